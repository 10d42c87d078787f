"""The `emulator` command: announces itself, serves, stops cleanly on a signal, refuses bad values."""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
import sys
from typing import Any

import pytest
from click.testing import CliRunner

from imgperms_async.emulator._command import emulator


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


def ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
async def test_cli_announces_endpoint_and_credentials_then_exits_cleanly_on_signal(
    http_session: Any, signum: signal.Signals
) -> None:
    process, lines = await start_cli("--seed", "5")
    endpoint = lines[0]
    async with http_session.get(endpoint + "/_emulator/health") as response:
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


@pytest.mark.skipif(not ipv6_loopback(), reason="no IPv6 loopback on this machine")
async def test_an_ipv6_host_is_announced_in_brackets_and_served(http_session: Any) -> None:
    process, lines = await start_cli("--host", "::1")
    endpoint = lines[0]
    try:
        async with http_session.get(endpoint + "/_emulator/health") as response:
            status = response.status
    finally:
        process.send_signal(signal.SIGINT)
        await process.communicate()
    assert endpoint.startswith("http://[::1]:")
    assert status == 200


@pytest.mark.parametrize(
    ("arguments", "flag"),
    [
        (["--host", ""], "--host"),
        (["--port", "99999"], "--port"),
        (["--port", "-1"], "--port"),
        (["--port", "eighty"], "--port"),
        (["--images", "-5"], "--images"),
        (["--rate", "nan"], "--rate"),
        (["--rate", "0"], "--rate"),
        (["--rate", "inf"], "--rate"),
        (["--rate", "5", "--burst", "0.5"], "--burst"),
        (["--burst", "5"], "--burst"),
        (["--fault-rate", "2"], "--fault-rate"),
        (["--drop-rate", "-0.1"], "--drop-rate"),
        (["--malformed-rate", "nan"], "--malformed-rate"),
        (["--latency", "-1"], "--latency"),
        (["--latency", "0.2,0.1"], "--latency"),
        (["--latency", "soon"], "--latency"),
        (["--page-size", "0"], "--page-size"),
        (["--page-size", "26"], "--page-size"),
        (["--clock-offset", "inf"], "--clock-offset"),
        (["--retry-after", "-1"], "--retry-after"),
        (["--deny-image", "wsi-notanimage"], "--deny-image"),
    ],
)
def test_a_bad_value_is_a_one_line_usage_error_naming_its_flag(
    arguments: list[str], flag: str
) -> None:
    result = CliRunner().invoke(emulator, arguments)
    assert result.exit_code == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"Error: Invalid value for '{flag}': ")


def test_python_dash_m_runs_the_same_command() -> None:
    shown = subprocess.run(
        [sys.executable, "-m", "imgperms_async.emulator", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert shown.startswith("Usage: python -m imgperms_async.emulator [OPTIONS]")
    assert {param.opts[0] for param in emulator.params} <= set(shown.split())
