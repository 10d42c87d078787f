"""`python -m imgperms_async.emulator` announces itself, serves, and stops cleanly on a signal."""

from __future__ import annotations

import asyncio
import signal
import sys
from typing import Any

import pytest

from imgperms_async.emulator._cli import main


async def start_cli(*args: str) -> tuple[asyncio.subprocess.Process, list[str]]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "imgperms_async.emulator",
        "--images",
        "3",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    lines = [(await process.stdout.readline()).decode().rstrip("\n") for _ in range(5)]
    return process, lines


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
async def test_cli_announces_endpoint_and_credentials_then_exits_cleanly_on_signal(
    http: Any, signum: signal.Signals
) -> None:
    process, lines = await start_cli("--seed", "5")
    endpoint = lines[0]
    async with http.get(endpoint + "/_emulator/health") as response:
        health = await response.json()
    process.send_signal(signum)
    _, stderr = await process.communicate()
    assert endpoint.startswith("http://127.0.0.1:")
    assert [line.split("=")[0] for line in lines[1:]] == [
        "export AWS_ACCESS_KEY_ID",
        "export AWS_SECRET_ACCESS_KEY",
        "export AWS_DEFAULT_REGION",
        "export AWS_ENDPOINT_URL_WORKSPACES",
    ]
    assert lines[4] == f"export AWS_ENDPOINT_URL_WORKSPACES={endpoint}"
    assert health == {"status": "ok"}
    assert (process.returncode, stderr) == (0, b"")


def test_cli_refuses_an_out_of_range_option(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--fault-rate", "2"]) == 2
    assert "fault_rate" in capsys.readouterr().err
