"""The enterprise scenario's arithmetic: per request, per account, growth, and the marks.

Figures are built by hand, except in the last test, which runs the real CLI once against a small
organization in every WorkSpaces region, so the records and counters read here are the CLI's and
the emulator's own.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from benchmarks import _enterprise, _report
from benchmarks.__main__ import all_correct
from benchmarks._enterprise import Counted, Enterprise, EnterpriseRun, Round
from benchmarks._organization import CliRun, _run_cli
from benchmarks._scenarios import SEED, serving


def cli_run(
    wall_secs: float, cpu_secs: float, peak_rss_mb: float, error: str | None = None
) -> CliRun:
    return CliRun(
        wall_secs=wall_secs,
        peak_rss_mb=peak_rss_mb,
        exit_code=1 if error is None else 3,
        server_cpu_secs=wall_secs * 0.3,
        images_reported=15_000,
        error=error,
        cpu_secs=cpu_secs,
    )


def enterprise_run(members: int, wall_secs: float, cpu_secs: float, rss: float) -> EnterpriseRun:
    audited = members * 9 // 10
    return EnterpriseRun(
        members=members,
        accounts=members + 1,
        audited_accounts=audited,
        regions=17,
        scopes=audited * 17,
        scopes_audited=audited * 17,
        images=audited * 17,
        control_requests=audited * 2 + 3,
        busiest_requests=4,
        lost=0,
        audit=Counted(cli_run(wall_secs, cpu_secs, rss), requests=audited * 36, throttled=0),
    )


# One request costs 100 µs of CPU and 0.2 ms of wall time in the one-account audit; start-up
# 0.5 s of CPU and 0.6 s of wall time.
EMPTY = Counted(cli_run(0.6, 0.5, 50.0), requests=1, throttled=0)
ONE = Counted(cli_run(0.6 + 20_000 * 0.0002, 0.5 + 20_000 * 0.0001, 60.0), 20_001, 0)
SMALL = enterprise_run(1_000, wall_secs=900 * 36 * 0.0003, cpu_secs=0.5 + 900 * 36 * 0.0001, rss=90)
ROUND = Round(SMALL, ONE, EMPTY)
ENTERPRISE = Enterprise((ROUND,))


def with_cpu(run: EnterpriseRun, cpu_secs: float) -> EnterpriseRun:
    return replace(run, audit=replace(run.audit, run=replace(run.audit.run, cpu_secs=cpu_secs)))


def test_the_enterprise_is_judged_per_request_against_the_one_account_audit() -> None:
    assert ROUND.one_account.wall_ms_per_request == pytest.approx(4.6 / 20_001 * 1000)
    assert ROUND.per_request_ratio == pytest.approx(0.3 / (4.6 / 20_001 * 1000))
    assert ROUND.request_cpu_secs == pytest.approx(0.0001)


def test_cpu_per_account_is_what_is_left_beyond_start_up_and_the_requests() -> None:
    # Exactly its requests' cost: nothing per account.
    assert ROUND.cpu_ms_per_account == pytest.approx(0, abs=1e-3)
    heavier = Round(with_cpu(SMALL, 9), ONE, EMPTY)
    beyond = 9 - 0.5 - (900 * 36 - 1) * 0.0001
    assert heavier.cpu_ms_per_account == pytest.approx(beyond / 900 * 1000)


def test_each_ratio_is_taken_within_its_round_and_the_median_round_is_judged() -> None:
    # A round on a machine twice as slow: its audit and its baselines alike.
    slow = Round(
        replace(SMALL, audit=replace(SMALL.audit, run=cli_run(900 * 36 * 0.0006, 7.48, 90))),
        replace(ONE, run=cli_run(1.2 + 20_000 * 0.0004, 1.0 + 20_000 * 0.0002, 60.0)),
        replace(EMPTY, run=cli_run(1.2, 1.0, 50.0)),
    )
    heavy = Round(with_cpu(SMALL, 9), ONE, EMPTY)
    rounds = Enterprise((slow, ROUND, heavy))
    across = slow.run.audit.wall_ms_per_request / ROUND.one_account.wall_ms_per_request
    assert across == pytest.approx(2 * ROUND.per_request_ratio)
    assert slow.per_request_ratio == pytest.approx(ROUND.per_request_ratio)
    assert rounds.median(lambda each: each.per_request_ratio) == pytest.approx(
        ROUND.per_request_ratio
    )
    assert rounds.median(lambda each: each.cpu_ms_per_account) == pytest.approx(0, abs=1e-3)
    assert heavy.cpu_ms_per_account > 5


def test_one_lossy_round_is_a_loss() -> None:
    lossy = Round(replace(SMALL, lost=2), ONE, EMPTY)
    assert Enterprise((ROUND, lossy, ROUND)).lost == 2


def test_growth_compares_the_largest_run_with_the_rounds_median() -> None:
    assert ENTERPRISE.growth is None
    large = enterprise_run(5_000, wall_secs=4_500 * 36 * 0.00033, cpu_secs=20, rss=110)
    grown = replace(ENTERPRISE, growth_runs=(large,))
    assert grown.growth == pytest.approx(1.1)
    added = 4_500 * 36 * 0.00033 - 900 * 36 * 0.0003
    assert grown.marginal_ms_per_account == pytest.approx(added / 3_600 * 1000)
    assert grown.rss_kb_per_account == pytest.approx(20 / 3_600 * 1000)


def verdicts(enterprise: Enterprise) -> list[str]:
    found = _report.targets(_report.Results(quick=False, enterprise=enterprise))
    return [target.verdict for target in found]


def test_targets_pass_and_fail_on_the_enterprise_figures() -> None:
    assert verdicts(ENTERPRISE) == ["PASS"] * 4
    slow = replace(SMALL, audit=replace(SMALL.audit, run=cli_run(30.0, 40.0, 200.0)), lost=3)
    assert verdicts(Enterprise((Round(slow, ONE, EMPTY),))) == ["FAIL"] * 4
    large = enterprise_run(5_000, wall_secs=4_500 * 36 * 0.0004, cpu_secs=20, rss=150)
    assert verdicts(replace(ENTERPRISE, growth_runs=(large,))) == ["PASS"] * 4 + ["FAIL"] * 2


def server_bound(run: EnterpriseRun) -> EnterpriseRun:
    busy = replace(run.audit.run, server_cpu_secs=run.audit.run.wall_secs)
    return replace(run, audit=replace(run.audit, run=busy))


def test_a_server_bound_round_is_left_out_of_the_wall_time_it_may_not_show() -> None:
    slow = Round(
        server_bound(replace(SMALL, audit=replace(SMALL.audit, run=cli_run(30, 9, 90)))), ONE, EMPTY
    )
    rounds = Enterprise((ROUND, slow, slow))
    assert rounds.per_request_ratio == pytest.approx(ROUND.per_request_ratio)
    assert verdicts(rounds)[0] == "PASS"
    assert "(without rounds 2, 3, whose emulator used more than" in _report.render(
        _report.Results(quick=False, enterprise=rounds)
    )


def test_with_every_round_server_bound_the_wall_time_is_not_measured() -> None:
    bound = Round(server_bound(SMALL), ONE, EMPTY)
    assert verdicts(Enterprise((bound, bound)))[0] == "not measured"
    unbound_large = enterprise_run(5_000, wall_secs=60, cpu_secs=20, rss=110)
    all_bound = Enterprise((bound, bound), growth_runs=(unbound_large,))
    assert all_bound.growth is None
    assert "no wall time per request (every round's emulator was server-bound)" in (
        _report.render(_report.Results(quick=False, enterprise=all_bound))
    )
    large = server_bound(enterprise_run(5_000, wall_secs=60, cpu_secs=20, rss=110))
    grown = replace(ENTERPRISE, growth_runs=(large,))
    assert grown.growth is None
    assert verdicts(grown)[4] == "not measured"
    assert "wall time per request not measured (server-bound), " in _report.render(
        _report.Results(quick=False, enterprise=grown)
    )


def test_the_report_shows_every_round_and_an_unfinished_run_is_a_broken_run() -> None:
    report = _report.render(_report.Results(quick=False, enterprise=ENTERPRISE))
    assert "## Enterprise: `imgperms audit --organization --all-regions`" in report
    assert "| 1,000 accounts x 17 regions | 900 | 15,300 of 15,300 |" in report
    assert "| one account, no image (start-up) |" in report
    assert all_correct(_report.Results(quick=False, enterprise=ENTERPRISE))
    rounds = _report.render(_report.Results(quick=False, enterprise=Enterprise((ROUND,) * 3)))
    assert "| round 3: 1,000 accounts x 17 regions |" in rounds
    assert "Judged on the median of the 3 rounds" in rounds
    broken_empty = replace(EMPTY, run=cli_run(0.6, 0.5, 50, "NoRegionError"))
    broken = Enterprise((ROUND, Round(SMALL, ONE, broken_empty)))
    results = _report.Results(quick=False, enterprise=broken)
    assert not all_correct(results)
    assert "The start-up run of round 2 produced no whole result: NoRegionError" in (
        _report.render(results)
    )


def test_a_small_enterprise_in_every_region_loses_nothing(tmp_path: Path) -> None:
    command = ["imgperms_async.emulator", "--accounts", "4", "--images", "1", "--seed", str(SEED)]
    command += ["--regions", ",".join(_enterprise.REGIONS), "--aws-limits"]
    with serving(command) as server:
        truth = server.scoped_truth()
        run, records = _run_cli(["--organization", "--all-regions"], server, tmp_path)
        counters = server.counters()
    figures = _enterprise.summarize(
        4,
        truth,
        records,
        Counted(run, counters["requests"], counters.get("throttled", 0)),
        counters,
    )
    assert run.error is None
    assert run.cpu_secs > 0
    assert figures.lost == 0
    assert figures.audited_accounts == 4  # the management account and 3 ACTIVE members
    assert figures.scopes_audited == figures.scopes
    assert figures.busiest_requests <= 4
    assert figures.control_requests >= 2 * figures.audited_accounts
    assert figures.audit.throttled == 0
