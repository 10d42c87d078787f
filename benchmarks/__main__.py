"""``python -m benchmarks [--quick] [--scenario NAME]...``: run the suite, print and save the report.

The report goes to stdout and to ``benchmarks/results/latest.md``, and a full run of every
scenario's also to ``benchmarks/results/YYYY-MM-DD.md`` (the dated results the README links); the
throughput chart to ``benchmarks/results/throughput.png`` when matplotlib is installed. Progress
goes to stderr.
The exit status is 1 when a client returned a wrong result, so a broken driver cannot pass unseen.
"""

from __future__ import annotations

import argparse
import datetime
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from benchmarks import _audit, _c7n_org, _enterprise, _env, _organization, _report, _scenarios

RESULTS: Final = Path(__file__).parent / "results"
SCENARIOS: Final = (
    "throughput",
    "throttled",
    "memory",
    "startup",
    "audit",
    "organization",
    "enterprise",
    "c7n-org",
)


@dataclass(frozen=True)
class Plan:
    """Sizes of a run: the full one for figures to quote, the quick one to check a change."""

    images: int
    concurrencies: tuple[int, ...]
    rounds: int
    throttled_images: int
    memory_ids: tuple[int, int]
    startup_repeats: int
    audit_images: int
    organization_members: int
    """Members besides the management account; the emulator suspends a tenth of them."""
    enterprise_members: int
    """Members of the enterprise judged: the emulator suspends a tenth of them."""
    enterprise_rounds: int
    enterprise_growth: tuple[int, ...]
    """Larger enterprises, audited once each to show how cost grows."""
    c7n_org_members: int


FULL: Final = Plan(
    images=1_000,
    concurrencies=(1, 16, 64),
    rounds=5,
    throttled_images=500,
    memory_ids=(1_000, 100_000),
    startup_repeats=7,
    audit_images=1_000,
    # 55 accounts, 5 of them SUSPENDED: 50 ACTIVE ones audited, 150 scopes.
    organization_members=54,
    # 1,001 accounts, 100 SUSPENDED: 901 audited in 17 regions; then 5,001 (4,501 audited).
    enterprise_members=1_000,
    enterprise_rounds=3,
    enterprise_growth=(5_000,),
    # 20 accounts, 1 SUSPENDED, the management account has no role: 18 in the accounts file.
    c7n_org_members=19,
)
QUICK: Final = Plan(
    # Big enough that each run lasts a few server clock ticks and the burst is a small share.
    images=300,
    concurrencies=(1, 16, 64),
    rounds=1,
    throttled_images=150,
    memory_ids=(1_000, 10_000),
    startup_repeats=3,
    audit_images=100,
    # 11 accounts, 1 SUSPENDED: 10 audited. Scopes run side by side, so the ideal (the busiest
    # scope's requests at 2/s) is 12 to 14 s whatever the count: fewer only make it cheaper.
    organization_members=10,
    enterprise_members=200,
    enterprise_rounds=1,
    enterprise_growth=(),
    # 5 accounts, 1 SUSPENDED: 3 members in the accounts file, 9 scopes.
    c7n_org_members=4,
)
THROTTLE_RATE: Final = 50.0
THROTTLE_BURST: Final = 10.0
THROTTLED_CONCURRENCY: Final = 32
MEMORY_CONCURRENCY: Final = 64
AUDIT_LATENCY_SECS: Final = 0.05


def run(plan: Plan, scenarios: Sequence[str], *, quick: bool) -> _report.Results:
    results = _report.Results(quick=quick)
    if "throughput" in scenarios:
        results.throughput = _scenarios.throughput(plan.images, plan.concurrencies, plan.rounds)
    if "throttled" in scenarios:
        results.throttled = _scenarios.throttled(
            plan.throttled_images, THROTTLE_RATE, THROTTLE_BURST, THROTTLED_CONCURRENCY
        )
    if "memory" in scenarios:
        results.memory = _scenarios.memory(*plan.memory_ids, MEMORY_CONCURRENCY)
    if "startup" in scenarios:
        results.startup = _scenarios.startup(plan.startup_repeats)
    if "audit" in scenarios:
        results.audit = _audit.audit(plan.audit_images, AUDIT_LATENCY_SECS)
    if "organization" in scenarios:
        results.organization = _organization.organization(plan.organization_members)
    if "enterprise" in scenarios:
        results.enterprise = _enterprise.enterprise(
            plan.enterprise_members, plan.enterprise_rounds, plan.enterprise_growth
        )
    if "c7n-org" in scenarios:
        results.c7n_org = _c7n_org.c7n_org(plan.c7n_org_members)
    return results


def all_correct(results: _report.Results) -> bool:
    """Every client matched the truth at full speed, fan_out answered every streamed id, and
    the organization audits ended with a report.

    Images lost under throttling, or by the organization audit, are findings of those
    scenarios, not a broken driver.
    """
    throughput, memory, organization = results.throughput, results.memory, results.organization
    enterprise, c7n_org = results.enterprise, results.c7n_org
    wrong_throughput = throughput is not None and any(
        throughput.wrong(concurrency, label)
        for concurrency, by_label in throughput.runs.items()
        for label in by_label
    )
    incomplete_memory = memory is not None and not (
        memory.complete(memory.small, memory.small_ids)
        and memory.complete(memory.large, memory.large_ids)
    )
    unfinished_organization = organization is not None and not organization.completed
    unfinished_enterprise = enterprise is not None and not enterprise.completed
    unfinished_c7n_org = c7n_org is not None and c7n_org.ours.error is not None
    return not (
        wrong_throughput
        or incomplete_memory
        or unfinished_organization
        or unfinished_enterprise
        or unfinished_c7n_org
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="fewer images and rounds: about a minute"
    )
    parser.add_argument(
        "--scenario",
        action="append",
        choices=SCENARIOS,
        help="run only this scenario (repeatable; default: all)",
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    results = run(QUICK if args.quick else FULL, args.scenario or SCENARIOS, quick=args.quick)
    RESULTS.mkdir(exist_ok=True)
    if results.throughput:
        if lacking := _env.missing(("matplotlib",)):
            results.chart_skipped = f"{', '.join(lacking)} not installed"
        else:
            _report.chart(results.throughput, RESULTS / "throughput.png")
            _scenarios.log(f"chart: {RESULTS / 'throughput.png'}")
    report = _report.render(results)
    (RESULTS / "latest.md").write_text(report + "\n")
    if not args.quick and args.scenario is None:
        # Only a whole full run is a dated result: a run of some scenarios would replace it.
        dated = RESULTS / f"{datetime.date.today():%Y-%m-%d}.md"
        dated.write_text(report + "\n")
        _scenarios.log(f"dated report: {dated}")
    print(report)
    _scenarios.log(f"report: {RESULTS / 'latest.md'} ({time.perf_counter() - started:.0f} s)")
    return 0 if all_correct(results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
