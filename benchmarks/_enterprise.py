"""An enterprise at AWS's limits: ``imgperms audit --organization --all-regions`` over 1,000 accounts.

The claim: an audit of 1,000 accounts in every WorkSpaces region is paced by AWS, not by the
control plane that reaches the accounts. The emulator serves ``--accounts 1000`` (the management
account and 1,000 members, a tenth of them SUSPENDED, which the audit skips) in every WorkSpaces
region the installed botocore knows (all 17 with a recent one), one image in each account and
region, at AWS's limits per account and region (``--aws-limits``: 2 requests/s, burst 5). A
scope of one image needs at most 4 WorkSpaces requests (its listing and up to 3 pages of
permissions), all within the burst, so no request ever has to wait for AWS's limit: whatever time
the audit takes is the client's own.

So it is judged against the client at its best: a one-account audit (``imgperms audit --all``)
of as many images, served without limits, in the same run. Wall time per request (every request
the emulator served, STS, Organizations and EC2 included) must stay within 1.5x that audit's.
CPU per account is what the audit spent beyond its requests' own cost: its CPU, less a
one-account audit of no image (process start and the fixed cost of an audit), less each request
at the one-account audit's CPU per request, over the accounts audited; at most 5 ms. Peak RSS at
most 100 MB above the one-account audit's, and no image lost.

The machine's speed drifts by a third within minutes (a pure-Python loop here takes 0.66 s or
0.93 s from one minute to the next), and a ratio of two runs a minute apart carries that drift.
So the full run measures three rounds, each an audit and its two baselines back to back, takes
each ratio within its round, and judges the median of the rounds' figures.

The full run also audits 5,000 accounts the same way, once, to show how cost grows: wall time
should grow linearly with accounts (the same wall time per request at 5,000 as the rounds'
median at 1,000) and memory follow the requests in flight, not the accounts (a few KB per
account at most).

Every audit runs as a user runs it (see ``_organization``), each against a fresh emulator; the
emulator's CPU share over each audit's wall time is reported, as for the throughput scenario,
so the emulator is never what was measured without the report saying so.
"""

from __future__ import annotations

import statistics
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import botocore.session

from benchmarks._organization import (
    CliRun,
    _run_cli,
    expected_scopes,
    image_records,
    lost_images,
    needed_requests,
)
from benchmarks._scenarios import SEED, SERVER_BOUND, byte_compile_imgperms, log, serving
from imgperms_async.emulator._regions import WORKSPACES_REGIONS

REGIONS: Final = tuple(
    sorted(
        WORKSPACES_REGIONS & set(botocore.session.get_session().get_available_regions("workspaces"))
    )
)
"""Every region WorkSpaces is offered in (17), as far as the installed botocore knows: an audit of
every region can reach no other (its summary names the rest)."""
IMAGES: Final = 1
"""Images in each account and region."""
BASELINE_REGION: Final = "us-east-1"
CONTROL_OPERATIONS: Final = (
    "GetCallerIdentity",
    "AssumeRole",
    "ListAccounts",
    "DescribeOrganization",
    "DescribeRegions",
)
MS_PER_SEC: Final = 1_000.0
KB_PER_MB: Final = 1_000.0


@dataclass(frozen=True)
class Counted:
    """An audit, and what the emulator served it."""

    run: CliRun
    requests: int
    """Every request the emulator answered, control plane included."""
    throttled: int

    @property
    def wall_ms_per_request(self) -> float:
        return self.run.wall_secs / max(self.requests, 1) * MS_PER_SEC

    @property
    def server_bound(self) -> bool:
        return self.run.server_share > SERVER_BOUND


@dataclass(frozen=True)
class EnterpriseRun:
    """One organization audit of ``members`` members at AWS's limits."""

    members: int
    accounts: int
    """In the organization: the management account and every member, SUSPENDED ones included."""
    audited_accounts: int
    regions: int
    """Regions audited: every WorkSpaces region the installed botocore knows."""
    scopes: int
    """(account, region) pairs to audit: every region each ACTIVE account has enabled."""
    scopes_audited: int
    images: int
    control_requests: int
    """STS, Organizations and EC2 requests."""
    busiest_requests: int
    """The fewest WorkSpaces requests that audit the busiest scope: at most the burst."""
    lost: int
    audit: Counted


@dataclass(frozen=True)
class Round:
    """One audit of the judged size and its two baselines, run one after the other: a machine
    that slows down for a minute slows a round's three runs alike, not one side of a ratio."""

    run: EnterpriseRun
    one_account: Counted
    """``imgperms audit --all`` of one account of as many images as the audit."""
    empty: Counted
    """``imgperms audit --all`` of one account of no image: process start and an audit's fixed
    cost, which every audit pays once."""

    @property
    def per_request_ratio(self) -> float:
        """Wall time per request over the one-account audit's."""
        return self.run.audit.wall_ms_per_request / self.one_account.wall_ms_per_request

    @property
    def request_cpu_secs(self) -> float:
        """What one request costs the one-account audit, its start and fixed cost left out."""
        requests = self.one_account.requests - self.empty.requests
        return (self.one_account.run.cpu_secs - self.empty.run.cpu_secs) / max(requests, 1)

    @property
    def cpu_ms_per_account(self) -> float:
        """CPU beyond the requests' own cost and the audit's fixed cost, per account audited."""
        audit = self.run.audit
        requests = audit.requests - self.empty.requests
        beyond = audit.run.cpu_secs - self.empty.run.cpu_secs - requests * self.request_cpu_secs
        return beyond / max(self.run.audited_accounts, 1) * MS_PER_SEC

    @property
    def rss_growth_mb(self) -> float:
        return self.run.audit.run.peak_rss_mb - self.one_account.run.peak_rss_mb

    @property
    def server_bound(self) -> bool:
        return self.run.audit.server_bound or self.one_account.server_bound

    @property
    def counted(self) -> tuple[Counted, ...]:
        return (self.run.audit, self.one_account, self.empty)


@dataclass(frozen=True)
class Enterprise:
    rounds: tuple[Round, ...]
    """Of the judged size; each figure judged is the median of the rounds'."""
    growth_runs: tuple[EnterpriseRun, ...] = ()
    """Larger audits, run once each, to show how cost grows; compared with the rounds' median."""

    @property
    def judged(self) -> EnterpriseRun:
        return self.rounds[0].run

    def median(self, figure: Callable[[Round], float]) -> float:
        """A figure of each round, the median of the rounds': what is judged."""
        return statistics.median(figure(each) for each in self.rounds)

    @property
    def lost(self) -> int:
        """Images lost by the worst round."""
        return max(each.run.lost for each in self.rounds)

    @property
    def measured(self) -> tuple[Round, ...]:
        """The rounds whose emulator kept up: a server-bound round's wall time may be the
        emulator's, so only these are judged on wall time (CPU and memory are the client's own
        in every round)."""
        return tuple(each for each in self.rounds if not each.server_bound)

    @property
    def per_request_ratio(self) -> float | None:
        """The measured rounds' median wall time per request against the one-account audit's;
        ``None`` when every round was server-bound."""
        ratios = [each.per_request_ratio for each in self.measured]
        return statistics.median(ratios) if ratios else None

    @property
    def largest(self) -> EnterpriseRun | None:
        """The largest run, when there is a larger size to compare."""
        return self.growth_runs[-1] if self.growth_runs else None

    @property
    def growth(self) -> float | None:
        """Wall time per request of the largest run over the measured rounds' median: 1.0 is
        linear; ``None`` when either side was server-bound."""
        largest = self.largest
        if largest is None or largest.audit.server_bound or not self.measured:
            return None
        return largest.audit.wall_ms_per_request / statistics.median(
            each.run.audit.wall_ms_per_request for each in self.measured
        )

    @property
    def marginal_ms_per_account(self) -> float | None:
        """Wall time each account beyond the judged size added."""
        largest = self.largest
        if largest is None:
            return None
        extra = largest.audit.run.wall_secs - self.median(lambda each: each.run.audit.run.wall_secs)
        return extra / (largest.audited_accounts - self.judged.audited_accounts) * MS_PER_SEC

    @property
    def rss_kb_per_account(self) -> float | None:
        """Peak RSS each account beyond the judged size added."""
        largest = self.largest
        if largest is None:
            return None
        extra = largest.audit.run.peak_rss_mb - self.median(
            lambda each: each.run.audit.run.peak_rss_mb
        )
        return extra / (largest.audited_accounts - self.judged.audited_accounts) * KB_PER_MB

    @property
    def completed(self) -> bool:
        """Every audit ended with a whole report."""
        every = [c for each in self.rounds for c in each.counted]
        every += [run.audit for run in self.growth_runs]
        return all(counted.run.error is None for counted in every)


def _counted(run: CliRun, counters: Mapping[str, int]) -> Counted:
    return Counted(run, counters.get("requests", 0), counters.get("throttled", 0))


def _enterprise_run(members: int) -> EnterpriseRun:
    command = ["imgperms_async.emulator", "--accounts", str(members), "--images", str(IMAGES)]
    command += ["--regions", ",".join(REGIONS), "--seed", str(SEED), "--aws-limits"]
    with serving(command) as server, tempfile.TemporaryDirectory() as work:
        truth = server.scoped_truth()
        run, records = _run_cli(
            ["--organization", "--all-regions"], server, Path(work), label=f"enterprise {members}"
        )
        counters = server.counters()
    return summarize(members, truth, records, _counted(run, counters), counters)


def summarize(
    members: int,
    truth: Mapping[str, Any],
    records: Sequence[Mapping[str, Any]] | None,
    audit: Counted,
    counters: Mapping[str, int],
) -> EnterpriseRun:
    """The figures of one organization audit, from the emulator's truth and the CLI's records."""
    expected = expected_scopes(truth)
    audited = {(r["account_id"], r["region"]) for r in image_records(records or ())}
    result = EnterpriseRun(
        members=members,
        accounts=len(truth["organization"]["accounts"]),
        audited_accounts=len({account for account, _ in expected}),
        regions=len({region for _, region in expected}),
        scopes=len(expected),
        scopes_audited=len(audited),
        images=sum(len(images) for images in expected.values()),
        control_requests=sum(counters.get(f"operation.{op}", 0) for op in CONTROL_OPERATIONS),
        busiest_requests=max((needed_requests(images) for images in expected.values()), default=0),
        lost=lost_images(expected, records or ()),
        audit=audit,
    )
    log(
        f"enterprise {members}: {result.scopes_audited}/{result.scopes} scopes,"
        f" {audit.requests:,} requests ({result.control_requests:,} control plane),"
        f" {audit.wall_ms_per_request:.3f} ms/request, {result.lost} lost,"
        f" {audit.throttled} throttled"
    )
    return result


def _one_account(images: int, label: str) -> Counted:
    command = ["imgperms_async.emulator", "--images", str(images), "--seed", str(SEED)]
    with (
        serving([*command, "--regions", BASELINE_REGION]) as server,
        tempfile.TemporaryDirectory() as work,
    ):
        run, _ = _run_cli(["--all", "--region", BASELINE_REGION], server, Path(work), label=label)
        counters = server.counters()
    return _counted(run, counters)


def enterprise(members: int, rounds: int, growth: Sequence[int] = ()) -> Enterprise:
    """``rounds`` rounds of an organization audit of ``members`` members and its baselines (one
    account of as many images, and one of none), then one audit of each size in ``growth``;
    each against a fresh emulator."""
    byte_compile_imgperms()
    made: list[Round] = []
    for index in range(1, rounds + 1):
        run = _enterprise_run(members)
        one_account = _one_account(run.images, f"enterprise baseline {index}")
        made.append(Round(run, one_account, _one_account(0, f"enterprise start {index}")))
        log(
            f"enterprise {members}, round {index}: {made[-1].per_request_ratio:.2f}x the"
            f" one-account audit's wall time per request, {made[-1].cpu_ms_per_account:.2f} ms"
            f" CPU per account, RSS {made[-1].rss_growth_mb:+.1f} MB"
        )
    result = Enterprise(tuple(made), tuple(_enterprise_run(size) for size in growth))
    if result.growth is not None:
        log(
            f"enterprise growth: {result.growth:.2f}x wall time per request,"
            f" {result.marginal_ms_per_account:.1f} ms and {result.rss_kb_per_account:.1f} KB"
            " per added account"
        )
    return result
