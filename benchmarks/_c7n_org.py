"""c7n-org beside us on one organization: the same ``accounts.yml``, each tool as its users run it.

People who audit many accounts with Cloud Custodian run ``c7n-org run`` with an ``accounts.yml``
that names each account, its role and its regions. ``imgperms audit --accounts-file`` reads the
same file. The emulator serves an organization (``--accounts 19``: the management account and 19
members, one of them SUSPENDED) in three regions no account can disable, 20 images in each, at
AWS's limits per account and region (``--aws-limits``: 2 requests/s, burst 5) and with every
answer 50 ms late, as a real endpoint is. The file lists the 18 ACTIVE members, each with the
organization's role and the three regions: 54 scopes.

Each tool runs in a fresh process on the client core against a fresh emulator (the same seed, so
the same truth): ``c7n-org run -c accounts.yml -s out -u policy.yml`` with the ``cross-account``
filter of the audit scenario (c7n-org runs its own worker processes, as many as it chooses for
this machine; they inherit the client core), and ``imgperms audit --accounts-file accounts.yml
--all-regions``. Both are judged by wall time, CPU (the process and every worker it reaped), peak
RSS (the largest of them) and the shares they reported over the emulator's truth.

The scopes' own ideal: scopes are throttled apart and run side by side, so the busiest bounds
the audit. Its fewest requests (its listing, then every image's permission pages), the first
five at once (AWS's burst) and the rest at 2 per second: ``(requests - 5) / 2`` seconds. Start-up,
roles, regions and the 50 ms of each answer are left out: they are what a tool adds.
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from benchmarks import _env, _server
from benchmarks._audit import POLICY, POLICY_NAME, VIOLATIONS, last_line
from benchmarks._organization import (
    BURST,
    RATE,
    REGIONS,
    _run_cli,
    expected_scopes,
    image_records,
    lost_images,
    needed_requests,
    run_reaped,
)
from benchmarks._scenarios import SEED, Skipped, byte_compile_imgperms, log, serving

IMAGES: Final = 20
LATENCY_SECS: Final = 0.05
C7N_ORG: Final = "c7n-org"
IMGPERMS: Final = "imgperms audit --accounts-file"
ACCOUNTS_FILE: Final = "accounts.yml"


@dataclass(frozen=True)
class ToolRun:
    """One tool's whole audit of the organization, as the parent saw it."""

    label: str
    wall_secs: float
    cpu_secs: float
    peak_rss_mb: float
    shares_found: int
    exit_code: int
    server_cpu_secs: float
    lost: int | None = None
    """Images not reported exactly right (imgperms only: c7n reports flagged images alone)."""
    error: str | None = None
    """What the tool wrote to stderr last when it produced no result at all."""

    @property
    def server_share(self) -> float:
        return self.server_cpu_secs / self.wall_secs


@dataclass(frozen=True)
class C7nOrg:
    members: int
    accounts: int
    """In the accounts file: the ACTIVE members."""
    scopes: int
    images: int
    truth_shares: int
    busiest_requests: int
    runs: list[ToolRun]
    skipped: Skipped

    @property
    def ideal_secs(self) -> float:
        return max(self.busiest_requests - BURST, 0) / RATE

    def run(self, label: str) -> ToolRun | None:
        return next((run for run in self.runs if run.label == label), None)

    @property
    def ours(self) -> ToolRun:
        ours = self.run(IMGPERMS)
        assert ours is not None
        return ours

    def completeness(self, run: ToolRun) -> float:
        return run.shares_found / max(self.truth_shares, 1)

    @property
    def speedup(self) -> float | None:
        """c7n-org's wall time over ours; ``None`` when c7n-org did not run."""
        peer = self.run(C7N_ORG)
        return None if peer is None else peer.wall_secs / self.ours.wall_secs

    @property
    def slowdown(self) -> float:
        """Our wall time over the scopes' own ideal."""
        return self.ours.wall_secs / self.ideal_secs


def accounts_yml(truth: Mapping[str, Any]) -> str:
    """c7n-org's accounts file: every ACTIVE member with the organization's role and the regions."""
    organization = truth["organization"]
    lines = ["accounts:"]
    for account in organization["accounts"]:
        if (
            account["status"] != "ACTIVE"
            or account["account_id"] == (organization["management_account_id"])
        ):
            continue
        number = account["account_id"]
        lines += [
            f"  - account_id: '{number}'",
            f"    name: {json.dumps(account['name'])}",
            f"    role: arn:aws:iam::{number}:role/{organization['role_name']}",
            f"    regions: [{', '.join(REGIONS)}]",
        ]
    return "\n".join(lines) + "\n"


def listed_scopes(truth: Mapping[str, Any]) -> dict[tuple[str, str], Mapping[str, Any]]:
    """The scopes the accounts file names: every region of each ACTIVE member."""
    management = truth["organization"]["management_account_id"]
    return {
        scope: images
        for scope, images in expected_scopes(truth).items()
        if scope[0] != management and scope[1] in REGIONS
    }


def _c7n_org(server: _server.Server, work: Path) -> ToolRun:
    (work / "policy.yml").write_text(POLICY)
    command = [str(Path(sys.executable).with_name("c7n-org")), "run", "-c", ACCOUNTS_FILE]
    command += ["-s", "out", "-u", "policy.yml", "--cache-period", "0"]
    reaped = run_reaped(command, server, work)
    found = list((work / "out").glob(f"*/*/{POLICY_NAME}/resources.json"))
    shares = 0
    for path in found:
        resources: list[dict[str, Any]] = json.loads(path.read_text())
        shares += sum(len(resource.get(VIOLATIONS, ())) for resource in resources)
    log(
        f"c7n-org: c7n-org run {reaped.wall_secs:6.1f} s, {reaped.cpu_secs:5.1f} s CPU,"
        f" peak RSS {reaped.peak_rss_mb:.1f} MB, {len(found)} scopes written, exit"
        f" {reaped.exit_code}"
    )
    return ToolRun(
        C7N_ORG,
        reaped.wall_secs,
        reaped.cpu_secs,
        reaped.peak_rss_mb,
        shares,
        reaped.exit_code,
        reaped.server_cpu_secs,
        error=None if found else last_line(reaped.stderr),
    )


def _imgperms(server: _server.Server, work: Path) -> ToolRun:
    truth = server.scoped_truth()
    run, records = _run_cli(
        ["--accounts-file", ACCOUNTS_FILE, "--all-regions"], server, work, label=C7N_ORG
    )
    shares = sum(
        len(record["shared_account_ids"])
        for record in image_records(records or ())
        if not record["error"]
    )
    return ToolRun(
        IMGPERMS,
        run.wall_secs,
        run.cpu_secs,
        run.peak_rss_mb,
        shares,
        run.exit_code,
        run.server_cpu_secs,
        lost=lost_images(listed_scopes(truth), records or ()),
        error=run.error,
    )


def c7n_org(members: int) -> C7nOrg:
    """Each tool against a fresh emulator of the same organization, imgperms first."""
    byte_compile_imgperms()
    command = ["imgperms_async.emulator", "--accounts", str(members), "--images", str(IMAGES)]
    command += ["--regions", ",".join(REGIONS), "--seed", str(SEED), "--aws-limits"]
    command += ["--latency", str(LATENCY_SECS)]
    tools: list[Callable[[_server.Server, Path], ToolRun]] = [_imgperms]
    skipped: Skipped = {}
    if lacking := _env.missing(("c7n_org",)):
        skipped[C7N_ORG] = f"{', '.join(lacking)} not installed"
        log(f"c7n-org: {C7N_ORG} skipped ({skipped[C7N_ORG]})")
    else:
        tools.append(_c7n_org)
    truths, runs = [], []
    for tool in tools:
        with serving(command) as server, tempfile.TemporaryDirectory() as work:
            truth = server.scoped_truth()
            (Path(work) / ACCOUNTS_FILE).write_text(accounts_yml(truth))
            truths.append(truth)
            runs.append(tool(server, Path(work)))
    if any(truth != truths[0] for truth in truths):
        raise RuntimeError("the emulators of the c7n-org scenario held different states")
    scopes = listed_scopes(truths[0])
    result = C7nOrg(
        members=members,
        accounts=len({account for account, _ in scopes}),
        scopes=len(scopes),
        images=sum(len(images) for images in scopes.values()),
        truth_shares=sum(len(shares) for images in scopes.values() for shares in images.values()),
        busiest_requests=max(needed_requests(images) for images in scopes.values()),
        runs=runs,
        skipped=skipped,
    )
    speedup = result.speedup
    log(
        f"c7n-org: imgperms {result.slowdown:.2f}x the scopes' ideal"
        f" ({result.ideal_secs:.1f} s), {result.completeness(result.ours):.1%} of the shares"
        + ("" if speedup is None else f", {speedup:.1f}x c7n-org's speed")
    )
    return result
