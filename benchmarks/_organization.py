"""An organization at AWS's limits per scope: ``imgperms audit --organization --all-regions``.

The claim: an organization of 50 accounts x 3 regions x 20 images, served with AWS's documented
WorkSpaces limit per account and region (2 requests/s, burst 5), is audited in at most 1.05x the
ideal time (process start included), with no image lost, at most 5 % of the requests throttled,
and a peak RSS at most 60 MB above a one-account audit of 20 images.

Accounts: the emulator's ``--accounts N`` serves the management account and N members, and
suspends a tenth of the members (at least one, from four on), which an organization audit skips
as it must. So the full plan asks for 54 members: 55 accounts, 5 of them SUSPENDED, 50 ACTIVE
ones audited (``Plan.organization_members``); the report says how many of each it met. The three
regions are WorkSpaces regions no account can disable, and the emulator's DescribeRegions lists
only the regions it serves, so ``--all-regions`` audits exactly those 3 x 50 scopes (the other
WorkSpaces regions become ``not_enabled`` scope records, which cost no WorkSpaces request).

Ideal: scopes are throttled apart and run side by side, so the busiest scope bounds the audit:
its requests at 2/s. A scope's requests are the fewest a correct client makes, counted from the
emulator's truth: the pages of DescribeWorkspaceImages (at most 25 images a page) and, for each
image, max(1, ceil(shares / 25)) pages of DescribeWorkspaceImagePermissions. The burst is left
out of the ideal, as the claim defines it.

The baseline is ``imgperms audit --all`` of one account of 20 images, served without limits: a
one-account audit has no default rate of 2/s, so at the limits it would be throttled and retry,
which changes its time, not its memory.

Both audits run as a user runs them, a fresh ``python -m imgperms_async`` on the client core with
the emulator's credentials and ``AWS_ENDPOINT_URL``, and fresh emulators: a small launcher
(``_launch``) spawns, times and reaps each, so its peak RSS is its own (a child forked by the
suite directly would start from the suite's peak, which Linux keeps across ``exec``). The throttled
share is the emulator's ``throttled`` counter (it throttles WorkSpaces only) over its WorkSpaces
requests, so the STS, Organizations and EC2 calls of the audit are not in the denominator.
imgperms_async is byte-compiled first, as for the start-up scenario.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from benchmarks import _server
from benchmarks._audit import last_line
from benchmarks._scenarios import (
    SEED,
    Truth,
    byte_compile_imgperms,
    log,
    on_client_core,
    serving,
    tool_env,
)
from imgperms_async.emulator._configuration import AWS_LIMITS
from imgperms_async.emulator._services.workspaces import MAX_IMAGES_PAGE

REGIONS: Final = ("us-east-1", "eu-west-1", "ap-southeast-1")
IMAGES: Final = 20
"""Images in each account and region."""
RATE: Final = AWS_LIMITS[0]
BURST: Final = AWS_LIMITS[1]
WORKSPACES_OPERATIONS: Final = ("DescribeWorkspaceImages", "DescribeWorkspaceImagePermissions")
REPORT: Final = "audit.jsonl"
KIB_PER_MB: Final = 1024
"""``ru_maxrss`` is in KiB on Linux."""
EXIT_OK, EXIT_FLAGGED, EXIT_INCOMPLETE = 0, 1, 3
"""``imgperms``'s exit statuses as docs/cli.md gives them (all audited; something shared outside;
something not audited), written out so the suite imports none of the CLI's private modules."""

Scope = tuple[str, str]
"""(account id, region)."""
Images = Mapping[str, Sequence[str]]
"""Image id -> shared account ids, in one scope."""


def expected_scopes(truth: Mapping[str, Any]) -> dict[Scope, Images]:
    """Every enabled region of every ACTIVE account, from ``/_emulator/truth``: what the audit
    must cover."""
    active = {
        account["account_id"]
        for account in truth["organization"]["accounts"]
        if account["status"] == "ACTIVE"
    }
    return {
        (account, region): images
        for account, regions in truth["images"].items()
        if account in active
        for region, images in regions.items()
    }


def needed_requests(images: Images) -> int:
    """The fewest WorkSpaces requests that audit one scope: its listing, then every image's pages."""
    return max(1, math.ceil(len(images) / MAX_IMAGES_PAGE)) + Truth.of(images).pages


def image_records(records: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The records of images; scope records (``"kind": "scope"``) say what was not audited."""
    return [record for record in records if record.get("kind") != "scope"]


def lost_images(expected: Mapping[Scope, Images], records: Iterable[Mapping[str, Any]]) -> int:
    """Images of the truth not reported exactly once, without an error, with exactly its shares."""
    found: dict[tuple[str, str, str], list[Mapping[str, Any]]] = {}
    for record in image_records(records):
        key = (record["account_id"], record["region"], record["image_id"])
        found.setdefault(key, []).append(record)

    def right(key: tuple[str, str, str], shares: Sequence[str]) -> bool:
        reported = found.get(key, [])
        return (
            len(reported) == 1
            and reported[0]["error"] is None
            and Counter(reported[0]["shared_account_ids"]) == Counter(shares)
        )

    return sum(
        not right((account, region, image), shares)
        for (account, region), images in expected.items()
        for image, shares in images.items()
    )


@dataclass(frozen=True)
class Reaped:
    """A command run to its end in a fresh process on the client core, as the parent saw it."""

    wall_secs: float
    cpu_secs: float
    """User plus system CPU of the process and every child it waited for (c7n-org's workers)."""
    peak_rss_mb: float
    """The largest peak of the process and those children, not their sum."""
    exit_code: int
    server_cpu_secs: float
    stderr: str


LAUNCHER: Final = Path(__file__).with_name("_launch.py")


def run_reaped(
    command: Sequence[str], server: _server.Server, work: Path, env: Mapping[str, str] | None = None
) -> Reaped:
    """Run ``command`` in ``work`` with the emulator's credentials and endpoint, through the
    launcher (``_launch``), which times it and reaps it: its usage is that command's alone (its
    CPU, its peak), never the suite's."""
    server_before = server.cpu_secs()
    usage_file = work / "usage.json"
    launched = [sys.executable, "-S", "-I", str(LAUNCHER), str(usage_file), *command]
    with open(work / "stderr.txt", "w+") as stderr:
        exit_code = subprocess.run(
            launched,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            cwd=work,
            env=tool_env(server) if env is None else dict(env),
            preexec_fn=on_client_core(),
            check=False,
        ).returncode
        stderr.seek(0)
        written = stderr.read()
    usage = json.loads(usage_file.read_text())
    return Reaped(
        usage["wall_secs"],
        usage["cpu_secs"],
        usage["peak_rss_kib"] / KIB_PER_MB,
        exit_code,
        server.cpu_secs() - server_before,
        written,
    )


@dataclass(frozen=True)
class CliRun:
    """One whole ``imgperms audit``, as the parent saw it."""

    wall_secs: float
    peak_rss_mb: float
    exit_code: int
    server_cpu_secs: float
    images_reported: int
    """Image records without an error."""
    error: str | None
    """``None`` when the audit ended 0 or 1 with a report, else the last line it wrote to stderr.
    Exit 3 (an image or a scope not audited) is such an end too: the benchmark then did not
    measure a whole audit, and its lost images say how much was missing."""
    cpu_secs: float = 0.0
    """User plus system CPU of the whole process, start-up included."""

    @property
    def server_share(self) -> float:
        return self.server_cpu_secs / self.wall_secs


def _run_cli(
    arguments: Sequence[str], server: _server.Server, work: Path, *, label: str = "organization"
) -> tuple[CliRun, list[dict[str, Any]] | None]:
    """The audit and its records, ``None`` when it wrote no report or did not end as the CLI
    ends (interrupted, killed)."""
    command = [sys.executable, "-m", "imgperms_async", "audit", *arguments]
    command += ["--format", "jsonl", "--output", REPORT, "--no-progress"]
    reaped = run_reaped(command, server, work)
    report = work / REPORT
    records = None
    if reaped.exit_code in (EXIT_OK, EXIT_FLAGGED, EXIT_INCOMPLETE) and report.exists():
        with report.open() as lines:
            records = [json.loads(line) for line in lines]
    finished = records is not None and reaped.exit_code in (EXIT_OK, EXIT_FLAGGED)
    run = CliRun(
        reaped.wall_secs,
        reaped.peak_rss_mb,
        reaped.exit_code,
        reaped.server_cpu_secs,
        sum(not record["error"] for record in image_records(records or ())),
        None if finished else last_line(reaped.stderr),
        reaped.cpu_secs,
    )
    log(
        f"{label}: imgperms audit {' '.join(arguments):<32} {run.wall_secs:5.1f} s,"
        f" {run.cpu_secs:5.1f} s CPU, peak RSS {run.peak_rss_mb:.1f} MB, exit {run.exit_code},"
        f" server {run.server_share:.2f} core"
    )
    return run, records


@dataclass(frozen=True)
class OrganizationAudit:
    accounts: int
    """In the organization, the management account and the SUSPENDED members included."""
    audited_accounts: int
    """The ACTIVE ones, which the audit covers."""
    scopes: int
    scopes_audited: int
    """Scopes with at least one image record."""
    images: int
    """In the scopes to audit."""
    busiest_requests: int
    """The fewest WorkSpaces requests that audit the busiest scope."""
    fewest_requests: int
    """The fewest WorkSpaces requests that audit every scope."""
    workspaces_requests: int
    throttled: int
    lost: int
    run: CliRun
    one_account: CliRun
    """``imgperms audit --all`` of one account of ``IMAGES`` images: the memory baseline."""

    @property
    def ideal_secs(self) -> float:
        return self.busiest_requests / RATE

    @property
    def slowdown(self) -> float:
        return self.run.wall_secs / self.ideal_secs

    @property
    def throttled_share(self) -> float:
        return self.throttled / max(self.workspaces_requests, 1)

    @property
    def rss_growth_mb(self) -> float:
        return self.run.peak_rss_mb - self.one_account.peak_rss_mb

    @property
    def completed(self) -> bool:
        """Both audits finished with a report: one that did not is a broken benchmark, whatever
        it lost."""
        return self.run.error is None and self.one_account.error is None


def _emulator(*flags: str) -> list[str]:
    command = ["imgperms_async.emulator", "--images", str(IMAGES), "--seed", str(SEED)]
    return [*command, *flags]


def organization(members: int) -> OrganizationAudit:
    """Audit an organization of ``members`` members and the management account, then one account
    of as many images per scope for the baseline; each against a fresh emulator."""
    byte_compile_imgperms()
    command = _emulator("--accounts", str(members), "--regions", ",".join(REGIONS), "--aws-limits")
    with serving(command) as server, tempfile.TemporaryDirectory() as work:
        truth = server.scoped_truth()
        run, records = _run_cli(["--organization", "--all-regions"], server, Path(work))
        counters = server.counters()
    expected = expected_scopes(truth)
    needed = [needed_requests(images) for images in expected.values()]
    audited = {(r["account_id"], r["region"]) for r in image_records(records or ())}
    with (
        serving(_emulator("--regions", REGIONS[0])) as server,
        tempfile.TemporaryDirectory() as work,
    ):
        one_account, _ = _run_cli(["--all", "--region", REGIONS[0]], server, Path(work))
    result = OrganizationAudit(
        accounts=len(truth["organization"]["accounts"]),
        audited_accounts=len({account for account, _ in expected}),
        scopes=len(expected),
        scopes_audited=len(audited),
        images=sum(len(images) for images in expected.values()),
        busiest_requests=max(needed),
        fewest_requests=sum(needed),
        workspaces_requests=sum(counters.get(f"operation.{op}", 0) for op in WORKSPACES_OPERATIONS),
        throttled=counters.get("throttled", 0),
        lost=lost_images(expected, records or ()),
        run=run,
        one_account=one_account,
    )
    log(
        f"organization: {result.scopes_audited}/{result.scopes} scopes,"
        f" {result.slowdown:.2f}x ideal ({result.ideal_secs:.1f} s), {result.lost} lost,"
        f" {result.throttled}/{result.workspaces_requests} throttled,"
        f" RSS {result.rss_growth_mb:+.1f} MB, server {run.server_share:.2f} core"
    )
    return result
