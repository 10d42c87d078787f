"""Fixtures for CLI tests: a threaded emulator, its credentials in the environment, a runner."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import pytest
from click.testing import CliRunner, Result

from imgperms_async._cli import main
from imgperms_async.emulator import Emulator


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator(images=40, seed=7) as emulator:
        yield emulator


@pytest.fixture
def aws_env(emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The emulator's credentials as botocore's environment variables, region left out."""
    variables = {
        "AWS_ACCESS_KEY_ID": emu.credentials.access_key,
        "AWS_SECRET_ACCESS_KEY": emu.credentials.secret_key,
    }
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    return variables


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


@pytest.fixture
def cli(emu: Emulator, aws_env: dict[str, str]) -> Cli:
    return Cli(emu.endpoint_url)


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
