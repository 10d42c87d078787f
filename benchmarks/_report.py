"""The markdown report and the throughput chart: medians, per-round ratios, and targets with pass/fail.

A ratio is taken within each round (this client's figure over the reference's in the same round)
and then the median of those ratios is reported, so a round where the whole machine was slow moves
both sides of a ratio instead of one. A round where the server used more than 0.8 of a core on
either side is left out of the ratio, since there the server may be what was measured; a ratio
with no round left, or whose reference client is not installed, is reported as n/a.
"""

from __future__ import annotations

import datetime
import os
import platform
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from benchmarks import _c7n_org, _enterprise, _env, _server
from benchmarks._audit import CUSTODIAN, IMGPERMS, Audit
from benchmarks._c7n_org import C7N_ORG, C7nOrg
from benchmarks._enterprise import Counted, Enterprise, EnterpriseRun, Round
from benchmarks._organization import BURST, IMAGES, RATE, REGIONS, OrganizationAudit
from benchmarks._scenarios import (
    SERVER_BOUND,
    STARTUP_FLOOR,
    Measurement,
    Memory,
    Startup,
    Throttled,
    Throughput,
)

AIOBOTOCORE: Final = "aiobotocore"
RAW_FLOOR: Final = "raw floor"
OURS: Final = "imgperms_async"
OURS_UVLOOP: Final = "imgperms_async+uvloop"
TARGET_CONCURRENCIES: Final = (16, 64)
SPEEDUP_TARGET: Final = 3.5
CPU_TARGET: Final = 0.75
THROTTLED_SLOWDOWN_TARGET: Final = 1.05
THROTTLED_SHARE_TARGET: Final = 0.03
MEMORY_GROWTH_TARGET_MB: Final = 60
STARTUP_TARGET: Final = 0.65
ORGANIZATION_SLOWDOWN_TARGET: Final = 1.05
ORGANIZATION_THROTTLED_TARGET: Final = 0.05
ORGANIZATION_RSS_TARGET_MB: Final = 60
ENTERPRISE_PER_REQUEST_TARGET: Final = 1.5
ENTERPRISE_CPU_MS_TARGET: Final = 5.0
ENTERPRISE_RSS_TARGET_MB: Final = 100
ENTERPRISE_GROWTH_TARGET: Final = 1.1
"""Wall time per request of the largest run over the first's: linear growth is 1.0."""
ENTERPRISE_RSS_KB_PER_ACCOUNT_TARGET: Final = 10.0
"""Memory follows the requests in flight, not the accounts: a few KB each at most."""
C7N_ORG_SPEEDUP_TARGET: Final = 6.0
C7N_ORG_IDEAL_TARGET: Final = 1.2

Metric = Callable[[Measurement], float]


def requests_per_sec(run: Measurement) -> float:
    return run.requests_per_sec


def cpu_per_request(run: Measurement) -> float:
    return run.cpu_us_per_request


@dataclass
class Results:
    """Whatever scenarios this run measured; absent ones are left out of the report."""

    quick: bool
    throughput: Throughput | None = None
    throttled: Throttled | None = None
    memory: Memory | None = None
    startup: Startup | None = None
    audit: Audit | None = None
    organization: OrganizationAudit | None = None
    enterprise: Enterprise | None = None
    c7n_org: C7nOrg | None = None
    chart_skipped: str | None = None
    """Why no chart was drawn, when the throughput scenario ran but matplotlib is missing."""


def median_of(runs: Sequence[Measurement], metric: Metric) -> float:
    return statistics.median(metric(run) for run in runs)


def median_ratio(
    runs: Sequence[Measurement], bases: Sequence[Measurement] | None, metric: Metric
) -> float | None:
    """Round by round, then the median: runs[i] and bases[i] come from the same round.

    Rounds where either side was server-bound are left out; ``None`` when no round is left or
    there is no reference (its client is not installed).
    """
    if bases is None:
        return None
    ratios = [
        metric(run) / metric(base)
        for run, base in zip(runs, bases, strict=True)
        if not (run.server_bound or base.server_bound)
    ]
    return statistics.median(ratios) if ratios else None


def _times(ratio: float | None) -> str:
    return "n/a" if ratio is None else f"{ratio:.2f}x"


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _header(quick: bool) -> list[str]:
    pinned = _server.pinned_to(_server.SERVER_CPU) and _server.pinned_to(_server.CLIENT_CPU)
    placement = (
        f"server pinned to CPU {_server.SERVER_CPU}, each client process to CPU"
        f" {_server.CLIENT_CPU}"
        if pinned
        else "not pinned (fewer than two usable cores): server CPU competes with the client"
    )
    lines = [
        f"# imgperms_async benchmarks ({'quick' if quick else 'full'} run)",
        "",
        f"- date: {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}",
        f"- machine: {os.cpu_count()} cores, {_cpu_model()}; {placement}",
        f"- {_env.versions()}",
    ]
    if pins := _env.pins():
        lines.append(f"- pins between the measured packages: {'; '.join(pins)}")
    if _env.dev_environment():
        lines.append(
            f"- WARNING: run in the dev environment ({_env.TEST_TOOLING} is installed), whose"
            " versions are what its test tools and the day it was made left there, not"
            " necessarily what a user installing today gets. Quote figures from a fresh"
            " `pip install -e '.[bench]'` environment."
        )
    lines += [
        f"- command: `python -m benchmarks{' --quick' if quick else ''}`",
        "- servers: throughput on `benchmarks/_lean_server.py`, which answers with the emulator's"
        " own pages, headers and tokens (checked by `tests/benchmarks/test_lean_server.py`) but"
        " does not verify SigV4; every other scenario on the emulator, which does.",
        f"- server CPU: the server process's utime+stime over each client's wall time, as a"
        f" fraction of one core; a run above {SERVER_BOUND} is flagged and left out of the ratios.",
        "",
    ]
    return lines


@dataclass(frozen=True)
class Target:
    name: str
    measured: str
    passed: bool | None
    """``None``: not measured in this run (a reference missing, or every round server-bound)."""

    @property
    def verdict(self) -> str:
        return {True: "PASS", False: "FAIL", None: "not measured"}[self.passed]


def _at_most(name: str, value: float | None, limit: float) -> Target:
    return Target(name, _times(value), None if value is None else value <= limit)


def _at_least(name: str, value: float | None, limit: float) -> Target:
    return Target(name, _times(value), None if value is None else value >= limit)


def _throughput_targets(throughput: Throughput) -> list[Target]:
    found = []
    for concurrency in TARGET_CONCURRENCIES:
        runs = throughput.runs.get(concurrency)
        if runs is None:
            continue
        ours = runs[OURS]
        speedup = median_ratio(ours, runs.get(AIOBOTOCORE), requests_per_sec)
        cpu = median_ratio(ours, runs.get(RAW_FLOOR), cpu_per_request)
        wrong = throughput.wrong(concurrency, OURS)
        found += [
            _at_least(
                f"c={concurrency} req/s >= {SPEEDUP_TARGET}x aiobotocore", speedup, SPEEDUP_TARGET
            ),
            _at_most(f"c={concurrency} CPU/request <= {CPU_TARGET}x raw floor", cpu, CPU_TARGET),
            Target(f"c={concurrency} results equal the truth", f"{wrong} wrong runs", wrong == 0),
        ]
    return found


def _throttled_targets(throttled: Throttled) -> list[Target]:
    ours = throttled.runs[0]
    slowdown = ours.measurement.wall_secs / throttled.ideal_secs
    share = ours.throttled / ours.requests
    lost = ours.measurement.failed
    return [
        _at_most(
            f"throttled: <= {THROTTLED_SLOWDOWN_TARGET}x ideal", slowdown, THROTTLED_SLOWDOWN_TARGET
        ),
        Target("throttled: 0 images lost", str(lost), lost == 0 and ours.correct),
        Target(
            f"throttled: <= {THROTTLED_SHARE_TARGET:.0%} requests throttled",
            f"{share:.1%}",
            share <= THROTTLED_SHARE_TARGET,
        ),
    ]


def _organization_targets(organization: OrganizationAudit) -> list[Target]:
    """Wall time, images lost, throttled share, peak RSS: in that order."""
    slowdown, growth = organization.slowdown, organization.rss_growth_mb
    return [
        # Three decimals: a run just above the target must not read as 1.10x and FAIL.
        Target(
            f"organization: <= {ORGANIZATION_SLOWDOWN_TARGET}x ideal",
            f"{slowdown:.3f}x",
            slowdown <= ORGANIZATION_SLOWDOWN_TARGET,
        ),
        Target(
            "organization: 0 images lost",
            str(organization.lost),
            organization.lost == 0 and organization.completed,
        ),
        Target(
            f"organization: <= {ORGANIZATION_THROTTLED_TARGET:.0%} requests throttled",
            f"{organization.throttled_share:.1%}",
            organization.throttled_share <= ORGANIZATION_THROTTLED_TARGET,
        ),
        Target(
            f"organization: peak RSS <= one-account audit + {ORGANIZATION_RSS_TARGET_MB} MB",
            f"{growth:+.1f} MB",
            growth <= ORGANIZATION_RSS_TARGET_MB,
        ),
    ]


def _enterprise_targets(enterprise: Enterprise) -> list[Target]:
    """Wall time per request, CPU per account, images lost, peak RSS, each the rounds' median
    (the worst round's losses); then, with a larger run, growth of wall time and of memory. A
    round whose emulator was server-bound is left out of the wall-time ratios (the emulator may
    be what it shows), which are not measured when no round is left."""
    run = enterprise.judged
    ratio = enterprise.per_request_ratio
    cpu = enterprise.median(lambda each: each.cpu_ms_per_account)
    growth = enterprise.median(lambda each: each.rss_growth_mb)
    size = f"{run.members:,} accounts"
    found = [
        Target(
            f"enterprise {size}: wall/request <= {ENTERPRISE_PER_REQUEST_TARGET}x one-account audit",
            "every round server-bound" if ratio is None else f"{ratio:.2f}x",
            None if ratio is None else ratio <= ENTERPRISE_PER_REQUEST_TARGET,
        ),
        Target(
            f"enterprise {size}: CPU/account <= {ENTERPRISE_CPU_MS_TARGET:g} ms beyond its requests",
            f"{cpu:.2f} ms",
            cpu <= ENTERPRISE_CPU_MS_TARGET,
        ),
        Target(
            f"enterprise {size}: 0 images lost",
            str(enterprise.lost),
            enterprise.lost == 0 and enterprise.completed,
        ),
        Target(
            f"enterprise {size}: peak RSS <= one-account audit + {ENTERPRISE_RSS_TARGET_MB} MB",
            f"{growth:+.1f} MB",
            growth <= ENTERPRISE_RSS_TARGET_MB,
        ),
    ]
    largest = enterprise.largest
    if largest is not None:
        per_account = enterprise.rss_kb_per_account or 0.0
        wall_growth = enterprise.growth
        found += [
            Target(
                f"enterprise {largest.members:,} accounts: wall/request"
                f" <= {ENTERPRISE_GROWTH_TARGET}x that at {run.members:,} (linear)",
                "server-bound" if wall_growth is None else f"{wall_growth:.2f}x",
                None if wall_growth is None else wall_growth <= ENTERPRISE_GROWTH_TARGET,
            ),
            Target(
                f"enterprise {largest.members:,} accounts: peak RSS"
                f" <= {ENTERPRISE_RSS_KB_PER_ACCOUNT_TARGET:g} KB per added account",
                f"{per_account:.1f} KB",
                per_account <= ENTERPRISE_RSS_KB_PER_ACCOUNT_TARGET,
            ),
        ]
    return found


def _c7n_org_targets(c7n_org: C7nOrg) -> list[Target]:
    ours = c7n_org.ours
    every = ours.error is None and ours.lost == 0 and ours.shares_found == c7n_org.truth_shares
    slowdown = c7n_org.slowdown
    return [
        Target(
            f"c7n-org: {_c7n_org.IMGPERMS} reports every share",
            f"{c7n_org.completeness(ours):.1%}",
            every,
        ),
        _at_least(
            f"c7n-org: >= {C7N_ORG_SPEEDUP_TARGET:g}x c7n-org's speed",
            c7n_org.speedup,
            C7N_ORG_SPEEDUP_TARGET,
        ),
        Target(
            f"c7n-org: <= {C7N_ORG_IDEAL_TARGET}x the scopes' ideal",
            f"{slowdown:.2f}x",
            slowdown <= C7N_ORG_IDEAL_TARGET,
        ),
    ]


def targets(results: Results) -> list[Target]:
    found: list[Target] = []
    if throughput := results.throughput:
        found += _throughput_targets(throughput)
    if throttled := results.throttled:
        found += _throttled_targets(throttled)
    if memory := results.memory:
        found.append(
            Target(
                f"memory: {memory.large_ids:,} ids <= {memory.small_ids:,} ids"
                f" + {MEMORY_GROWTH_TARGET_MB} MB",
                f"+{memory.growth_mb:.1f} MB",
                memory.growth_mb <= MEMORY_GROWTH_TARGET_MB
                and memory.complete(memory.small, memory.small_ids)
                and memory.complete(memory.large, memory.large_ids),
            )
        )
    if startup := results.startup:
        ratio = (
            startup.median(OURS) / startup.median(AIOBOTOCORE)
            if AIOBOTOCORE in startup.runs
            else None
        )
        found.append(_at_most(f"start-up <= {STARTUP_TARGET}x aiobotocore", ratio, STARTUP_TARGET))
    if audit := results.audit:
        ours = next(run for run in audit.runs if run.label == IMGPERMS)
        found.append(
            Target(
                f"audit: {IMGPERMS} reports every share",
                f"{audit.completeness(ours):.1%}",
                ours.error is None and ours.shares_found == audit.truth_shares,
            )
        )
    if organization := results.organization:
        found += _organization_targets(organization)
    if enterprise := results.enterprise:
        found += _enterprise_targets(enterprise)
    if c7n_org := results.c7n_org:
        found += _c7n_org_targets(c7n_org)
    return found


def _table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return [*lines, ""]


def _share(share: float) -> str:
    """A server CPU share, flagged when the server may have been the limit."""
    return f"{share:.2f}{' SERVER-BOUND' if share > SERVER_BOUND else ''}"


def _server_cell(runs: Sequence[Measurement]) -> str:
    """The busiest the server was across these runs."""
    return _share(max(run.server_share for run in runs))


def _skipped_lines(skipped: Mapping[str, str]) -> list[str]:
    if not skipped:
        return []
    named = "; ".join(f"{label} ({why})" for label, why in skipped.items())
    return [f"Skipped, not installed here: {named}.", ""]


def _capacity(throughput: Throughput) -> str:
    """How busy the server was in the fastest run: the one most likely to find its limit."""
    fastest, label, concurrency = max(
        (
            (run, label, concurrency)
            for concurrency, by_label in throughput.runs.items()
            for label, runs in by_label.items()
            for run in runs
        ),
        key=lambda found: found[0].requests_per_sec,
    )
    return (
        f"The fastest run ({label}, c={concurrency}, {fastest.requests_per_sec:,.0f} req/s) kept"
        f" the server {fastest.server_share:.2f} of a core busy."
    )


def _throughput_section(throughput: Throughput) -> list[str]:
    rounds = len(next(iter(next(iter(throughput.runs.values())).values())))
    rows = []
    excluded = 0
    for concurrency, by_label in throughput.runs.items():
        aiobotocore, raw = by_label.get(AIOBOTOCORE), by_label.get(RAW_FLOOR)
        for label, runs in by_label.items():
            excluded += sum(run.server_bound for run in runs)
            rows.append(
                [
                    str(concurrency),
                    label,
                    f"{median_of(runs, requests_per_sec):,.0f}",
                    f"{median_of(runs, cpu_per_request):,.0f}",
                    f"{statistics.median(run.peak_rss_mb for run in runs):.0f}",
                    _server_cell(runs),
                    _times(median_ratio(runs, aiobotocore, requests_per_sec)),
                    _times(median_ratio(runs, raw, requests_per_sec)),
                    _times(median_ratio(runs, raw, cpu_per_request)),
                    f"{len(runs) - throughput.wrong(concurrency, label)}/{len(runs)}",
                ]
            )
    lines = [
        f"## Throughput: {throughput.images:,} images x 3 pages, medians of {rounds} rounds",
        "",
        *_table(
            (
                "c",
                "client",
                "req/s",
                "CPU µs/req",
                "peak RSS MB",
                "server CPU (max)",
                "req/s vs aiobotocore",
                "req/s vs raw floor",
                "CPU/req vs raw floor",
                "correct runs",
            ),
            rows,
        ),
        f"Server-bound runs (server above {SERVER_BOUND} of a core), left out of the ratios:"
        f" {excluded}. {_capacity(throughput)}",
        "",
        *_skipped_lines(throughput.skipped),
    ]
    lines += _uvloop_verdict(throughput)
    return lines


def _uvloop_verdict(throughput: Throughput) -> list[str]:
    parts = []
    for concurrency, by_label in throughput.runs.items():
        if OURS_UVLOOP not in by_label:
            return []
        speed = median_ratio(by_label[OURS_UVLOOP], by_label[OURS], requests_per_sec)
        cpu = median_ratio(by_label[OURS_UVLOOP], by_label[OURS], cpu_per_request)
        if speed is None or cpu is None:
            parts.append(f"c={concurrency}: n/a")
        else:
            parts.append(f"c={concurrency}: {speed - 1:+.0%} req/s, {cpu - 1:+.0%} CPU/req")
    return [f"uvloop vs asyncio for imgperms_async (per-round ratios): {'; '.join(parts)}.", ""]


def _throttled_section(throttled: Throttled) -> list[str]:
    rows = [
        [
            run.label,
            f"{run.measurement.wall_secs:.1f}",
            f"{run.measurement.wall_secs / throttled.ideal_secs:.2f}x",
            f"{run.requests:,}",
            f"{run.throttled / run.requests:.1%}",
            str(run.measurement.failed),
            "yes" if run.correct else "no",
            _server_cell([run.measurement]),
        ]
        for run in throttled.runs
    ]
    return [
        f"## Throttled: emulator at {throttled.rate:g} req/s, burst {throttled.burst:g};"
        f" {throttled.images} images ({throttled.truth.pages} requests needed);"
        f" concurrency {throttled.concurrency}; ideal {throttled.ideal_secs:.1f} s",
        "",
        *_table(
            (
                "client",
                "wall s",
                "vs ideal",
                "requests",
                "throttled",
                "failed images",
                "correct",
                "server CPU",
            ),
            rows,
        ),
        *_skipped_lines(throttled.skipped),
    ]


def _memory_section(memory: Memory) -> list[str]:
    rows = [
        [
            f"{ids:,}",
            f"{run.peak_rss_mb:.1f}",
            f"{run.wall_secs:.1f}",
            f"{run.images / run.wall_secs:,.0f}",
            "yes" if memory.complete(run, ids) else "no",
            _server_cell([run]),
        ]
        for ids, run in ((memory.small_ids, memory.small), (memory.large_ids, memory.large))
    ]
    return [
        f"## Memory: ids streamed through imgperms_async fan_out (concurrency {memory.concurrency},"
        " unknown ids answered ResourceNotFoundException)",
        "",
        *_table(("ids", "peak RSS MB", "wall s", "images/s", "all answered", "server CPU"), rows),
        f"Growth: +{memory.growth_mb:.1f} MB.",
        "",
    ]


def _startup_section(startup: Startup) -> list[str]:
    base = startup.median(AIOBOTOCORE) if AIOBOTOCORE in startup.runs else None
    rows = [
        [
            label,
            f"{startup.median(label) * 1000:.0f}",
            _times(None if base is None else startup.median(label) / base),
        ]
        for label in startup.runs
    ]
    repeats = len(next(iter(startup.runs.values())))
    return [
        f"## Start-up: fresh `python -c` (import, client, first call), median of {repeats}",
        "",
        *_table(("program", "wall ms", "vs aiobotocore"), rows),
        f"The floor imports only what the client needs at minimum: `{STARTUP_FLOOR}`."
        f" Server CPU over all the programs' wall time: {_share(startup.server_share)} of a core.",
        "",
        *_skipped_lines(startup.skipped),
    ]


def _audit_section(audit: Audit) -> list[str]:
    ours = next(run for run in audit.runs if run.label == IMGPERMS)
    rows = [
        [
            run.label,
            f"{run.wall_secs:.1f}",
            f"{run.wall_secs / ours.wall_secs:.1f}x",
            f"{run.shares_found:,} of {audit.truth_shares:,}",
            f"{audit.completeness(run):.1%}",
            f"{run.images_flagged:,} of {audit.truth_shared_images:,}",
            str(run.exit_code),
            _share(run.server_share),
        ]
        for run in audit.runs
    ]
    return [
        f"## Audit beside Cloud Custodian: {audit.images:,} images, every request"
        f" {audit.latency_secs * 1000:.0f} ms late, one run each (start-up included)",
        "",
        *_table(
            (
                "tool",
                "wall s",
                f"vs {IMGPERMS}",
                "shares reported",
                "completeness",
                "shared images reported",
                "exit",
                "server CPU",
            ),
            rows,
        ),
        f"{CUSTODIAN}: `custodian run` of an `aws.workspaces-image` policy with the"
        " `cross-account` filter; completeness counts the accounts in its"
        " `c7n:CrossAccountViolations` (its filter reads the first page of each image only).",
        "",
        *[f"{run.label} produced no result: {run.error}" for run in audit.runs if run.error],
        "",
        *_skipped_lines(audit.skipped),
    ]


def _organization_section(organization: OrganizationAudit) -> list[str]:
    run, one = organization.run, organization.one_account
    slowdown, lost, throttled, rss = _organization_targets(organization)
    rows = [
        ("scopes audited", f"{organization.scopes_audited} of {organization.scopes}", "", ""),
        (
            f"ideal: the busiest scope's {organization.busiest_requests} requests at {RATE:g}/s",
            f"{organization.ideal_secs:.1f} s",
            "",
            "",
        ),
        (
            "wall time (start-up included)",
            f"{run.wall_secs:.1f} s, {slowdown.measured} ideal",
            f"<= {ORGANIZATION_SLOWDOWN_TARGET}x",
            slowdown.verdict,
        ),
        ("images lost", f"{organization.lost:,} of {organization.images:,}", "0", lost.verdict),
        (
            "WorkSpaces requests, and the fewest that audit every scope",
            f"{organization.workspaces_requests:,}, {organization.fewest_requests:,}",
            "",
            "",
        ),
        (
            "WorkSpaces requests throttled",
            f"{organization.throttled:,} of {organization.workspaces_requests:,},"
            f" {throttled.measured}",
            f"<= {ORGANIZATION_THROTTLED_TARGET:.0%}",
            throttled.verdict,
        ),
        (
            "peak RSS: organization, one-account audit",
            f"{run.peak_rss_mb:.1f} MB, {one.peak_rss_mb:.1f} MB: {rss.measured}",
            f"<= +{ORGANIZATION_RSS_TARGET_MB} MB",
            rss.verdict,
        ),
        ("server CPU", _share(run.server_share), "", ""),
        (
            "exit status: organization, one-account audit",
            f"{run.exit_code}, {one.exit_code}",
            "",
            "",
        ),
    ]
    suspended = organization.accounts - organization.audited_accounts
    return [
        f"## Organization: `imgperms audit --organization --all-regions`,"
        f" {organization.audited_accounts} accounts x {len(REGIONS)} regions x {IMAGES} images,"
        f" {RATE:g} req/s burst {BURST:g} per account and region",
        "",
        *_table(("figure", "measured", "target", "result"), rows),
        f"The organization holds {organization.accounts} accounts, {suspended} of them SUSPENDED,"
        " which the audit skips as it must. A scope's requests are the fewest a correct client makes:"
        " its DescribeWorkspaceImages pages, then each image's permission pages. The baseline is"
        f" `imgperms audit --all --region {REGIONS[0]}` of one account of {IMAGES} images.",
        "",
        *[
            f"The {label} produced no whole result: {audit.error}"
            for label, audit in (("organization audit", run), ("one-account audit", one))
            if audit.error
        ],
        "",
    ]


def _enterprise_row(label: str, run: EnterpriseRun, round_: Round | None) -> list[str]:
    audit = run.audit
    return [
        label,
        f"{run.audited_accounts:,}",
        f"{run.scopes_audited:,} of {run.scopes:,}",
        f"{run.images:,}",
        f"{audit.requests:,} ({run.control_requests:,})",
        f"{audit.run.wall_secs:.1f}",
        f"{audit.wall_ms_per_request:.3f}",
        "" if round_ is None else f"{round_.per_request_ratio:.2f}x",
        f"{audit.run.cpu_secs:.1f}",
        "" if round_ is None else f"{round_.cpu_ms_per_account:.2f}",
        f"{audit.run.peak_rss_mb:.1f}",
        f"{run.lost:,}",
        f"{audit.throttled:,}",
        _share(audit.run.server_share),
    ]


def _baseline_row(label: str, counted: Counted, *, judged: bool) -> list[str]:
    return [
        label,
        "1",
        "1 of 1",
        f"{counted.run.images_reported:,}",
        f"{counted.requests:,}",
        f"{counted.run.wall_secs:.1f}",
        f"{counted.wall_ms_per_request:.3f}",
        "1.00x" if judged else "",
        f"{counted.run.cpu_secs:.1f}",
        "",
        f"{counted.run.peak_rss_mb:.1f}",
        "",
        f"{counted.throttled:,}",
        _share(counted.run.server_share),
    ]


def _enterprise_section(enterprise: Enterprise) -> list[str]:
    run = enterprise.judged
    shape = f"{run.members:,} accounts x {run.regions} regions"
    rows: list[list[str]] = []
    for index, each in enumerate(enterprise.rounds, start=1):
        named = f"round {index}: " if len(enterprise.rounds) > 1 else ""
        rows += [
            _enterprise_row(f"{named}{shape}", each.run, each),
            _baseline_row(
                f"{named}one account, {each.run.images:,} images, no limit",
                each.one_account,
                judged=True,
            ),
            _baseline_row(f"{named}one account, no image (start-up)", each.empty, judged=False),
        ]
    for larger in enterprise.growth_runs:
        rows.append(
            _enterprise_row(f"{larger.members:,} accounts x {larger.regions} regions", larger, None)
        )
    ratio = enterprise.per_request_ratio
    left_out = [str(n) for n, each in enumerate(enterprise.rounds, start=1) if each.server_bound]
    wall = (
        "no wall time per request (every round's emulator was server-bound)"
        if ratio is None
        else f"{ratio:.2f}x the one-account audit's wall time per request"
        + (
            f" (without {'round' if len(left_out) == 1 else 'rounds'} {', '.join(left_out)},"
            f" whose emulator used more than {SERVER_BOUND} of a core)"
            if left_out
            else ""
        )
    )
    median = (
        f"Judged on the median of the {len(enterprise.rounds)} rounds, each ratio taken within its"
        f" round: {wall},"
        f" {enterprise.median(lambda each: each.cpu_ms_per_account):.2f} ms of CPU per account"
        " beyond its requests, peak RSS"
        f" {enterprise.median(lambda each: each.rss_growth_mb):+.1f} MB over the one-account"
        " audit's. "
        if len(enterprise.rounds) > 1
        else ""
    )
    request_cpu_secs = enterprise.median(lambda each: each.request_cpu_secs)
    audits = (*(each.run for each in enterprise.rounds), *enterprise.growth_runs)
    busiest = max(each.busiest_requests for each in audits)
    lines = [
        f"## Enterprise: `imgperms audit --organization --all-regions`, {_enterprise.IMAGES}"
        f" image per account and region, {RATE:g} req/s burst {BURST:g} per account and region",
        "",
        *_table(
            (
                "audit",
                "accounts audited",
                "scopes audited",
                "images",
                "requests (control plane)",
                "wall s",
                "wall ms/request",
                "vs one account",
                "CPU s",
                "CPU ms/account beyond requests",
                "peak RSS MB",
                "lost",
                "throttled",
                "server CPU",
            ),
            rows,
        ),
        f"{median}Every scope needs at most {busiest}"
        f" WorkSpaces requests, within AWS's burst of {BURST:g}: no request has to wait for the"
        " limit, so the time is the client's own. Requests are every request the emulator"
        " answered, STS, Organizations and EC2 included. A request's own CPU is the one-account"
        f" audit's, less the start-up run's, per request: {request_cpu_secs * 1e6:.0f}"
        " µs (the rounds' median). Start-up runs include process start; the organization holds a"
        " tenth of its members SUSPENDED, which the audit skips.",
        "",
    ]
    if enterprise.largest is not None:
        growth = enterprise.growth
        per_request = (
            "not measured (server-bound)" if growth is None else f"{growth:.2f}x the rounds' median"
        )
        lines += [
            f"Growth from {run.members:,} to {enterprise.largest.members:,} accounts: wall time per"
            f" request {per_request},"
            f" {enterprise.marginal_ms_per_account:.1f} ms of wall time and"
            f" {enterprise.rss_kb_per_account:.1f} KB of peak RSS per added account.",
            "",
        ]
    unfinished = [
        (f"{larger.members:,}-account audit", larger.audit) for larger in enterprise.growth_runs
    ]
    for index, each in enumerate(enterprise.rounds, start=1):
        named = f" of round {index}" if len(enterprise.rounds) > 1 else ""
        unfinished += [
            (f"{each.run.members:,}-account audit{named}", each.run.audit),
            (f"one-account audit{named}", each.one_account),
            (f"start-up run{named}", each.empty),
        ]
    lines += [
        f"The {label} produced no whole result: {counted.run.error}"
        for label, counted in unfinished
        if counted.run.error
    ]
    return [*lines, ""]


def _c7n_org_section(c7n_org: C7nOrg) -> list[str]:
    ours = c7n_org.ours
    rows = [
        [
            run.label,
            f"{run.wall_secs:.1f}",
            f"{run.wall_secs / ours.wall_secs:.1f}x",
            f"{run.wall_secs / c7n_org.ideal_secs:.2f}x",
            f"{run.cpu_secs:.1f}",
            f"{run.peak_rss_mb:.0f}",
            f"{run.shares_found:,} of {c7n_org.truth_shares:,}",
            f"{c7n_org.completeness(run):.1%}",
            str(run.exit_code),
            _share(run.server_share),
        ]
        for run in c7n_org.runs
    ]
    return [
        f"## Beside c7n-org: one `accounts.yml`, {c7n_org.accounts} accounts x {len(REGIONS)}"
        f" regions x {_c7n_org.IMAGES} images, {RATE:g} req/s burst {BURST:g} per account and"
        f" region, every answer {_c7n_org.LATENCY_SECS * 1000:.0f} ms late",
        "",
        *_table(
            (
                "tool",
                "wall s",
                f"vs {_c7n_org.IMGPERMS}",
                "vs the scopes' ideal",
                "CPU s",
                "peak RSS MB",
                "shares reported",
                "completeness",
                "exit",
                "server CPU",
            ),
            rows,
        ),
        f"The scopes' ideal: the busiest scope's {c7n_org.busiest_requests} requests, {BURST:g} at"
        f" once and the rest at {RATE:g}/s: {c7n_org.ideal_secs:.1f} s. {C7N_ORG}: `c7n-org run`"
        " of the audit scenario's policy with its own worker processes (CPU counts them, peak RSS"
        " is the largest); completeness counts the accounts in each image's"
        f" `c7n:CrossAccountViolations`. Both start as processes: start-up is included.",
        "",
        *[f"{run.label} produced no result: {run.error}" for run in c7n_org.runs if run.error],
        *_skipped_lines(c7n_org.skipped),
        "",
    ]


def render(results: Results) -> str:
    lines = _header(results.quick)
    if found := targets(results):
        lines += [
            "## Targets",
            "",
            *_table(
                ("target", "measured", "result"), [(t.name, t.measured, t.verdict) for t in found]
            ),
        ]
    if results.throughput:
        lines += _throughput_section(results.throughput)
        if results.chart_skipped:
            lines += [f"Chart: skipped ({results.chart_skipped}).", ""]
    if results.throttled:
        lines += _throttled_section(results.throttled)
    if results.memory:
        lines += _memory_section(results.memory)
    if results.startup:
        lines += _startup_section(results.startup)
    if results.audit:
        lines += _audit_section(results.audit)
    if results.organization:
        lines += _organization_section(results.organization)
    if results.enterprise:
        lines += _enterprise_section(results.enterprise)
    if results.c7n_org:
        lines += _c7n_org_section(results.c7n_org)
    return "\n".join(lines)


def chart(throughput: Throughput, path: Path) -> None:
    """Median req/s by concurrency, one line per client (matplotlib must be installed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    concurrencies = sorted(throughput.runs)
    figure, axes = plt.subplots(figsize=(8, 5))
    for label in throughput.runs[concurrencies[0]]:
        medians = [median_of(throughput.runs[c][label], requests_per_sec) for c in concurrencies]
        axes.plot(concurrencies, medians, marker="o", label=label)
    axes.set_xscale("log", base=2)
    axes.set_xticks(concurrencies, [str(c) for c in concurrencies])
    axes.set_xlabel("concurrency")
    axes.set_ylabel("requests/s (median)")
    axes.set_title(f"Throughput, {throughput.images:,} images x 3 pages")
    axes.grid(True, alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
