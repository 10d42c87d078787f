"""The `emulator` command: announces itself, serves, stops cleanly on a signal, refuses bad values."""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
import sys
from typing import Any

import pytest
from botocore.exceptions import ClientError
from click.testing import CliRunner
from emulator_support import AwsClients

from imgperms_async.emulator import Emulator
from imgperms_async.emulator._command import emulator


async def line_of(stream: asyncio.StreamReader) -> str:
    """The next line, or a failure after 10 s rather than a test that hangs."""
    return (await asyncio.wait_for(stream.readline(), 10)).decode().rstrip("\n")


async def start_cli(*args: str, lines: int = 5) -> tuple[asyncio.subprocess.Process, list[str]]:
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
    announced = [await line_of(process.stdout) for _ in range(lines)]
    return process, announced


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
    process, lines = await start_cli("--seed", "5", lines=12)
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
        "export AWS_ENDPOINT_URL",
        "export AWS_ENDPOINT_URL_STS",
        "export AWS_ENDPOINT_URL_ORGANIZATIONS",
        "export AWS_ENDPOINT_URL_EC2",
        "export AWS_ENDPOINT_URL_RESOURCE_GROUPS_TAGGING_API",
        "export AWS_ENDPOINT_URL_SECURITYHUB",
        "export AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
    ]
    assert {line.partition("=")[2] for line in lines[4:11]} == {endpoint}
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
        (["--accounts", "-1"], "--accounts"),
        (["--accounts", "2", "--regions", "us-west-1"], "--regions"),
        (["--accounts", "2", "--opt-in-disabled", "123456789012"], "--opt-in-disabled"),
        (["--accounts", "2", "--deny-role", "123456789012"], "--deny-role"),
        (["--accounts", "2", "--external-id-role", "12345"], "--external-id-role"),
        (["--accounts", "2", "--delegated-admin", "123456789012"], "--delegated-admin"),
        (["--accounts", "2", "--credential-duration", "0"], "--credential-duration"),
        (["--accounts", "2", "--role-name", "no spaces"], "--role-name"),
        (["--accounts", "2", "--external-id", "x"], "--external-id"),
        (["--deny-role", "123456789012"], "--deny-role"),
        (["--deny-writes", "123456789012"], "--deny-writes"),
        (["--aws-limits", "--rate", "3"], "--aws-limits"),
        (["--accounts", "2", "--account-name", "000000000000=x"], "--account-name"),
        (["--accounts", "2", "--account-name", "nameless"], "--account-name"),
        (["--account-name", "123456789012=x"], "--account-name"),
        (["--inbound-outside", "-1"], "--inbound-outside"),
        (["--securityhub-disabled", "123456789012"], "--securityhub-disabled"),
        (["--securityhub-disabled", "000000000000:us-east-1"], "--securityhub-disabled"),
        (["--caller-policy", "/nonexistent/policy.json"], "--caller-policy"),
        (["--accounts", "2", "--member-policy", "/nonexistent/p.json"], "--member-policy"),
        (["--member-policy", "/nonexistent/p.json"], "--member-policy"),
        (["--accounts", "2", "--member-trust-policy", "/nonexistent"], "--member-trust-policy"),
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


async def read_notes(process: asyncio.subprocess.Process) -> list[str]:
    assert process.stderr is not None
    notes = []
    while not notes or "/_emulator/truth" not in notes[-1]:
        notes.append(await line_of(process.stderr))
    return notes


async def test_an_organization_describes_itself_on_stderr(http_session: Any) -> None:
    member = list(Emulator(accounts=3, seed=2).scoped_truth.images)[1]
    process, _ = await start_cli(
        "--accounts", "3", "--seed", "2", "--external-id-role", member, lines=12
    )
    notes = await read_notes(process)
    process.send_signal(signal.SIGINT)
    await process.communicate()
    assert notes[0].startswith("# organization o-")
    external_id = Emulator(accounts=3, seed=2).external_id
    assert f"# the role requires ExternalId {external_id} in: {member}" in notes
    assert all(note.startswith("# ") for note in notes)
    assert not any("secret" in note for note in notes)
    assert process.returncode == 0


def test_registering_the_command_loads_no_server() -> None:
    code = (
        "import sys; import imgperms_async.emulator._command;"
        " print('aiohttp.web' in sys.modules, 'imgperms_async.emulator._http' in sys.modules)"
    )
    shown = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert shown.split() == ["False", "False"]


def test_names_outside_images_and_a_policy_file_reach_the_emulator(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any, aws: AwsClients
) -> None:
    served: list[Emulator] = []
    monkeypatch.setattr("imgperms_async.emulator._serve.run_emulator", served.append)
    member = list(Emulator(accounts=2, seed=3).scoped_truth.images)[1]
    policy = tmp_path / "caller.json"
    policy.write_text('{"Statement": {"Effect": "Deny", "Action": "ec2:*", "Resource": "*"}}')
    result = CliRunner().invoke(
        emulator,
        ["--accounts", "2", "--seed", "3", "--account-name", f"{member}=<b>x</b>",
         "--inbound-outside", "2", "--caller-policy", str(policy)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    (running,) = served
    truth = running.scoped_truth
    assert truth.organization is not None
    assert truth.organization.accounts[1].name == "<b>x</b>"
    assert truth.inbound == Emulator(accounts=2, seed=3, inbound_outside=2).scoped_truth.inbound
    with running, pytest.raises(ClientError, match="UnauthorizedOperation"):
        aws(running, "ec2").describe_regions()
