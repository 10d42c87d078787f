"""The CLI as users run it: separate processes, real signals, the demo and the emulator command."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cli_support import run_imgperms
from click.testing import CliRunner

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


def test_demo_needs_no_aws_configuration_and_exits_0_although_it_flags_some() -> None:
    result = run_imgperms("demo", env={"HOME": "/nonexistent"})

    assert result.returncode == 0, result.stderr
    assert "FLAGGED" in result.stdout
    assert "audited 300 images in 1 region" in result.stderr
    assert "0 errors" in result.stderr


def test_module_runs_like_the_imgperms_command() -> None:
    result = run_imgperms("--help", env={})

    assert result.returncode == 0
    for command in ("audit", "demo", "emulator"):
        assert command in result.stdout


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


def test_sigterm_ends_a_run_as_ctrl_c_does_with_status_143(tmp_path: Path) -> None:
    run = interrupted_audit(tmp_path, signal.SIGTERM)
    stderr = run.stderr

    assert run.returncode == 143
    assert "interrupted:" in stderr
    assert "requests" in stderr, "the summary is printed too"
    assert "Traceback" not in stderr
    records = [json.loads(line) for line in run.report.read_text().splitlines()]
    assert all(tuple(r["shared_account_ids"]) == run.truth[r["image_id"]] for r in records)


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
