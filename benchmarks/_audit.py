"""Cloud Custodian beside us: the same audit with c7n's ``aws.workspaces-image`` and ``imgperms``.

People audit WorkSpaces image sharing today with Cloud Custodian's ``cross-account`` filter. Both
tools run here as their users run them, each as a command in a fresh process pinned to the client
core, against one emulator with every request delayed by the same latency: ``custodian run`` with
a policy file, credentials from the emulator's ``export`` lines and ``AWS_ENDPOINT_URL`` pointing
at it (as c7n's docs and botocore's endpoint settings say), and ``imgperms audit --all``. Each is
judged by its wall time and its completeness: the shares it reported over the emulator's truth
(``GET /_emulator/truth``). c7n reads one page of permissions per image, so past 25 shares it
misses some; the figure says how many.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from benchmarks import _env, _server
from benchmarks._scenarios import SEED, Skipped, log, run_pinned, serving, tool_env

POLICY_NAME: Final = "workspaces-image-cross-account"
POLICY: Final = f"""policies:
  - name: {POLICY_NAME}
    resource: aws.workspaces-image
    filters:
      - type: cross-account
"""
VIOLATIONS: Final = "c7n:CrossAccountViolations"
CUSTODIAN: Final = "Cloud Custodian (c7n)"
IMGPERMS: Final = "imgperms audit --all"


@dataclass(frozen=True)
class AuditRun:
    """One tool's whole audit, as the parent process saw it."""

    label: str
    wall_secs: float
    shares_found: int
    images_flagged: int
    exit_code: int
    server_cpu_secs: float
    error: str | None = None
    """What the tool wrote to stderr last when it produced no result at all."""

    @property
    def server_share(self) -> float:
        return self.server_cpu_secs / self.wall_secs


@dataclass(frozen=True)
class Audit:
    images: int
    latency_secs: float
    truth: Mapping[str, tuple[str, ...]]
    """Image id -> shared account ids, as the emulator holds them."""
    runs: list[AuditRun]
    skipped: Skipped

    @property
    def truth_shares(self) -> int:
        return sum(len(accounts) for accounts in self.truth.values())

    @property
    def truth_shared_images(self) -> int:
        return sum(bool(accounts) for accounts in self.truth.values())

    def completeness(self, run: AuditRun) -> float:
        return run.shares_found / self.truth_shares


def _timed(
    label: str, command: list[str], server: _server.Server, cwd: Path
) -> tuple[subprocess.CompletedProcess[str], float, float]:
    server_before, started = server.cpu_secs(), time.perf_counter()
    completed = run_pinned(command, env=tool_env(server), cwd=str(cwd), check=False)
    wall = time.perf_counter() - started
    log(f"audit {label:<24} {wall:6.1f} s, exit {completed.returncode}")
    return completed, wall, server.cpu_secs() - server_before


def last_line(stderr: str) -> str:
    """The last line that names an error (a traceback's last line), else the last line at all."""
    lines = stderr.strip().splitlines()
    errors = [line for line in lines if "Error" in line or "Exception" in line]
    return (errors or lines or ["no output"])[-1].strip()


def _custodian(server: _server.Server, work: Path) -> AuditRun:
    (work / "policy.yml").write_text(POLICY)
    custodian = Path(sys.executable).with_name("custodian")
    command = [str(custodian), "run", "-s", "out", "--cache-period", "0", "policy.yml"]
    completed, wall, server_cpu = _timed(CUSTODIAN, command, server, work)
    found = work / "out" / POLICY_NAME / "resources.json"
    if not found.exists():
        return AuditRun(
            CUSTODIAN, wall, 0, 0, completed.returncode, server_cpu, last_line(completed.stderr)
        )
    resources: list[dict[str, Any]] = json.loads(found.read_text())
    shares = sum(len(resource.get(VIOLATIONS, ())) for resource in resources)
    return AuditRun(CUSTODIAN, wall, shares, len(resources), completed.returncode, server_cpu)


def _imgperms(server: _server.Server, work: Path) -> AuditRun:
    command = [sys.executable, "-m", "imgperms_async", "audit", "--all", "--format", "json"]
    command += ["--no-progress", "--output", "audit.json"]
    completed, wall, server_cpu = _timed(IMGPERMS, command, server, work)
    if completed.returncode not in (0, 1):
        return AuditRun(
            IMGPERMS, wall, 0, 0, completed.returncode, server_cpu, last_line(completed.stderr)
        )
    records: list[dict[str, Any]] = json.loads((work / "audit.json").read_text())
    shares = sum(len(record["shared_account_ids"]) for record in records if not record["error"])
    flagged = sum(bool(record["shared_account_ids"]) for record in records)
    return AuditRun(IMGPERMS, wall, shares, flagged, completed.returncode, server_cpu)


def audit(images: int, latency_secs: float) -> Audit:
    command = ["imgperms_async.emulator", "--images", str(images), "--seed", str(SEED)]
    command += ["--latency", str(latency_secs)]
    tools = [_imgperms]
    skipped: Skipped = {}
    if lacking := _env.missing(("c7n",)):
        skipped[CUSTODIAN] = f"{', '.join(lacking)} not installed"
        log(f"audit: {CUSTODIAN} skipped ({skipped[CUSTODIAN]})")
    else:
        tools.append(_custodian)
    truths, runs = [], []
    for tool in tools:
        # A fresh emulator for each tool, so neither meets the other's connections or counters.
        with serving(command) as server, tempfile.TemporaryDirectory() as work:
            truths.append(server.truth())
            runs.append(tool(server, Path(work)))
    if any(truth != truths[0] for truth in truths):
        raise RuntimeError("the emulators of one audit scenario held different states")
    return Audit(images, latency_secs, truths[0], runs, skipped)
