"""Helpers shared by the CLI tests: a runner bound to an emulator, subprocess runs, a dead port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass

from click.testing import CliRunner, Result

from imgperms_async.cli import main


@dataclass(frozen=True)
class Cli:
    endpoint_url: str

    def __call__(self, *args: str, stdin: str | None = None) -> Result:
        return CliRunner().invoke(main, list(args), input=stdin, catch_exceptions=False)

    def audit(self, *args: str, stdin: str | None = None) -> Result:
        """``imgperms audit`` against the emulator in us-east-1, without a progress bar."""
        return self(
            "audit",
            "--endpoint-url",
            self.endpoint_url,
            "--region",
            "us-east-1",
            "--no-progress",
            *args,
            stdin=stdin,
        )


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def run_imgperms(
    *args: str, env: Mapping[str, str], stdin: str | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "imgperms_async", *args],
        env={**os.environ, **env},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
