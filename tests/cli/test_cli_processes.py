"""The CLI as users run it: separate processes, real signals, a real terminal, the demo and the
emulator command. Every test that spawns a process is marked slow."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
from cli_support import run_imgperms, run_on_terminal
from click.testing import CliRunner
from report_support import organization_emulator
from rich.cells import cell_len

from imgperms_async.cli import main
from imgperms_async.emulator import Emulator


def wait_for(condition: object, *, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@dataclass(frozen=True)
class Interrupted:
    returncode: int
    stderr: str
    report: Path
    truth: Mapping[str, tuple[str, ...]]


def interrupted_audit(tmp_path: Path, signum: int) -> Interrupted:
    """A slow jsonl audit, sent ``signum`` once it has written three images."""
    target = tmp_path / "report.jsonl"
    with Emulator(images=200, seed=3, latency=0.2) as emu:
        process = audit_process(
            emu, "--all", "--format", "jsonl", "--output", str(target), "--concurrency", "4"
        )
        wait_for(lambda: target.exists() and target.read_text().count("\n") >= 3)
        process.send_signal(signum)
        _, stderr = process.communicate(timeout=20)
    return Interrupted(process.returncode, stderr, target, emu.truth)


@pytest.mark.slow
def test_interrupted_jsonl_run_keeps_only_finished_images_and_exits_130(tmp_path: Path) -> None:
    run = interrupted_audit(tmp_path, signal.SIGINT)
    stderr, target = run.stderr, run.report

    assert run.returncode == 130
    assert "the output keeps them, one record each" in stderr
    assert "Traceback" not in stderr
    text = target.read_text()
    assert text.endswith("\n")
    records = [json.loads(line) for line in text.splitlines()]
    assert 3 <= len(records) < 200
    for record in records:
        assert record["error"] is None
        assert tuple(record["shared_account_ids"]) == run.truth[record["image_id"]]


@pytest.mark.slow
def test_emulator_command_announces_endpoint_and_credentials_then_serves(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "imgperms_async", "emulator", "--images", "12", "--seed", "5"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    endpoint = process.stdout.readline().strip()
    exports = dict(
        process.stdout.readline().removeprefix("export ").strip().split("=", 1) for _ in range(4)
    )
    try:
        audited = run_imgperms("audit", "--all", "--format", "json", env=exports)
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=20)

    assert endpoint.startswith("http://127.0.0.1:")
    assert exports["AWS_ENDPOINT_URL_WORKSPACES"] == endpoint
    assert audited.returncode == 0
    assert len(json.loads(audited.stdout)) == 12
    assert process.returncode == 0


def test_emulator_command_rejects_an_impossible_fault_rate() -> None:
    result = CliRunner().invoke(main, ["emulator", "--fault-rate", "2"])

    assert result.exit_code == 2
    assert "--fault-rate" in result.stderr
    assert "between 0 and 1" in result.stderr


@pytest.mark.slow
def test_demo_needs_no_aws_configuration_and_exits_0_although_it_flags_some() -> None:
    result = run_imgperms("demo", env={"HOME": "/nonexistent"})

    assert result.returncode == 0, result.stderr
    assert "FLAGGED" in result.stdout
    assert "audited 300 images in 1 region" in result.stderr
    assert "0 errors" in result.stderr


@pytest.mark.slow
def test_module_runs_like_the_imgperms_command() -> None:
    result = run_imgperms("--help", env={})

    assert result.returncode == 0
    for command in ("audit", "demo", "emulator"):
        assert command in result.stdout


@pytest.mark.slow
def test_importing_the_package_loads_neither_click_nor_rich() -> None:
    code = "import sys, imgperms_async; print('click' in sys.modules, 'rich' in sys.modules)"

    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )

    assert result.stdout.split() == ["False", "False"]


def audit_process(emulator: Emulator, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "imgperms_async", "audit", "--region", "us-east-1",
         "--endpoint-url", emulator.endpoint_url, *args],
        env={**os.environ, "AWS_ACCESS_KEY_ID": emulator.credentials.access_key,
             "AWS_SECRET_ACCESS_KEY": emulator.credentials.secret_key},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


@pytest.mark.slow
def test_sigterm_ends_a_run_as_ctrl_c_does_with_status_143(tmp_path: Path) -> None:
    run = interrupted_audit(tmp_path, signal.SIGTERM)
    stderr = run.stderr

    assert run.returncode == 143
    assert "interrupted:" in stderr
    assert "requests" in stderr, "the summary is printed too"
    assert "Traceback" not in stderr
    records = [json.loads(line) for line in run.report.read_text().splitlines()]
    assert all(tuple(r["shared_account_ids"]) == run.truth[r["image_id"]] for r in records)


@pytest.mark.slow
def test_a_reader_that_closes_the_pipe_ends_the_run_quietly_with_status_141() -> None:
    with Emulator(images=200, seed=3, latency=0.05) as emu:
        process = audit_process(emu, "--all", "--format", "jsonl", "--concurrency", "4")
        assert process.stdout is not None
        first = process.stdout.readline()
        process.stdout.close()
        _, stderr = process.communicate(timeout=20)

    assert json.loads(first)["error"] is None
    assert process.returncode == 141
    assert "Broken pipe" not in stderr
    assert "Traceback" not in stderr


ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def visible_lines(shown: str) -> list[str]:
    return [ANSI.sub("", line) for line in shown.splitlines()]


@pytest.fixture(scope="module")
def organization_report(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Emulator, Path, dict[str, str]]]:
    """An organization with an image shared with 30 accounts outside, its jsonl report, and the
    environment that points the CLI at it."""
    report = tmp_path_factory.mktemp("terminal") / "report.jsonl"
    with organization_emulator() as emu:
        env = {**emu.environment, "AWS_DEFAULT_REGION": "us-east-1"}
        audited = run_imgperms(
            "audit", "--organization", "--region", "us-east-1", "--region", "eu-west-1",
            "--format", "jsonl", "--output", str(report), env=env,
        )  # fmt: skip
        assert audited.returncode == 1, audited.stderr
        yield emu, report, env


@pytest.mark.slow
def test_the_plan_table_fits_an_80_column_terminal_with_every_account_id_whole(
    organization_report: tuple[Emulator, Path, dict[str, str]],
) -> None:
    _, report, env = organization_report
    planned = [
        account
        for line in report.read_text().splitlines()
        for account in json.loads(line).get("unexpected_account_ids", ())
    ]

    status, shown, stderr = run_on_terminal("unshare", str(report), env=env, columns=80)

    lines = visible_lines(shown)
    assert status == 0, stderr
    assert max(cell_len(line) for line in lines) <= 80
    assert len(planned) > 25
    assert set(planned) <= set(re.findall(r"(?<![0-9])[0-9]{12}(?![0-9])", shown))
    assert "plan:" not in shown
    assert stderr.count("plan:") == 1


@pytest.mark.slow
def test_the_audit_table_fits_an_80_column_terminal_with_every_account_id_whole(
    organization_report: tuple[Emulator, Path, dict[str, str]],
) -> None:
    _, report, env = organization_report
    flagged = {
        account
        for line in report.read_text().splitlines()
        for account in json.loads(line).get("unexpected_account_ids", ())
    }

    status, shown, stderr = run_on_terminal(
        "audit", "--organization", "--region", "us-east-1", "--region", "eu-west-1",
        env=env, columns=80,
    )  # fmt: skip

    lines = visible_lines(shown)
    assert status == 1, stderr
    assert max(cell_len(line) for line in lines) <= 80
    assert flagged <= {a.lstrip("!") for a in re.findall(r"![0-9]{12}(?![0-9])", shown)}
    for run in re.findall(r"[0-9]+", "\n".join(line for line in lines if line.startswith("│"))):
        assert len(run) in (1, 2, 12), f"{run!r}: an account id cut short"
