"""The organization scenario's arithmetic: which scopes count, the ideal, lost images, the marks.

Truth and records are built by hand, except in the last test, which runs the real CLI once
against a small organization without limits, so the records read here are the CLI's own.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

from benchmarks import _organization, _report
from benchmarks.__main__ import all_correct
from benchmarks._organization import (
    CliRun,
    OrganizationAudit,
    expected_scopes,
    lost_images,
    needed_requests,
    run_reaped,
)
from benchmarks._scenarios import SEED, serving

MANAGEMENT, MEMBER, SUSPENDED, OUTSIDE = "111111111111", "222222222222", "333333333333", "9" * 12
TRUTH: dict[str, Any] = {
    "organization": {
        "accounts": [
            {"account_id": MANAGEMENT, "status": "ACTIVE"},
            {"account_id": MEMBER, "status": "ACTIVE"},
            {"account_id": SUSPENDED, "status": "SUSPENDED"},
        ]
    },
    "images": {
        MANAGEMENT: {"us-east-1": {"wsi-aaaaaaaaa": [MEMBER]}, "eu-west-1": {}},
        MEMBER: {"us-east-1": {"wsi-bbbbbbbbb": [], "wsi-ccccccccc": [OUTSIDE, MANAGEMENT]}},
        SUSPENDED: {"us-east-1": {"wsi-ddddddddd": [OUTSIDE]}},
    },
}


def record(account: str, image: str, shares: list[str], error: object = None) -> dict[str, Any]:
    return {
        "account_id": account,
        "region": "us-east-1",
        "image_id": image,
        "shared_account_ids": shares,
        "error": error,
    }


RIGHT = [
    record(MANAGEMENT, "wsi-aaaaaaaaa", [MEMBER]),
    record(MEMBER, "wsi-bbbbbbbbb", []),
    record(MEMBER, "wsi-ccccccccc", [MANAGEMENT, OUTSIDE]),
    {"kind": "scope", "account_id": SUSPENDED, "region": None, "status": "skipped"},
]


def replace_at(records: list[dict[str, Any]], index: int, **fields: object) -> list[dict[str, Any]]:
    return [{**r, **fields} if n == index else r for n, r in enumerate(records)]


def test_the_scopes_to_audit_are_every_region_of_the_active_accounts() -> None:
    assert set(expected_scopes(TRUTH)) == {
        (MANAGEMENT, "us-east-1"),
        (MANAGEMENT, "eu-west-1"),
        (MEMBER, "us-east-1"),
    }


def test_a_scope_needs_its_listing_pages_and_every_image_s_permission_pages() -> None:
    assert needed_requests({}) == 1
    shares = {f"wsi-{n:09d}": [OUTSIDE] * count for n, count in enumerate((0, 25, 26, 60))}
    assert needed_requests(shares) == 1 + 1 + 1 + 2 + 3
    assert needed_requests({f"wsi-{n:09d}": [] for n in range(26)}) == 2 + 26


def test_an_image_is_lost_when_missing_failed_wrong_or_doubled() -> None:
    expected = expected_scopes(TRUTH)
    assert lost_images(expected, RIGHT) == 0
    failed = replace_at(RIGHT, 0, error={"code": "ThrottlingException", "message": "Rate"})
    assert lost_images(expected, failed) == 1
    assert lost_images(expected, replace_at(RIGHT, 2, shared_account_ids=[OUTSIDE])) == 1
    assert lost_images(expected, RIGHT[1:]) == 1
    assert lost_images(expected, [*RIGHT, RIGHT[1]]) == 1
    assert lost_images(expected, []) == 3


def cli_run(peak_rss_mb: float, exit_code: int = 1, error: str | None = None) -> CliRun:
    return CliRun(
        wall_secs=13.0,
        peak_rss_mb=peak_rss_mb,
        exit_code=exit_code,
        server_cpu_secs=1.3,
        images_reported=3_000,
        error=error,
    )


AUDIT = OrganizationAudit(
    accounts=55,
    audited_accounts=50,
    scopes=150,
    scopes_audited=150,
    images=3_000,
    busiest_requests=25,
    fewest_requests=3_300,
    workspaces_requests=3_300,
    throttled=33,
    lost=0,
    run=cli_run(100.0),
    one_account=cli_run(50.0, exit_code=0),
)


def test_targets_pass_and_fail_on_the_organization_figures() -> None:
    def verdicts(audit: OrganizationAudit) -> list[str]:
        found = _report.targets(_report.Results(quick=False, organization=audit))
        return [target.verdict for target in found]

    assert AUDIT.ideal_secs == 12.5
    assert verdicts(AUDIT) == ["PASS"] * 4
    slow_and_big = replace(AUDIT, run=replace(cli_run(111.0), wall_secs=14.0), throttled=200)
    assert verdicts(slow_and_big) == ["FAIL", "PASS", "FAIL", "FAIL"]
    assert verdicts(replace(AUDIT, lost=1)) == ["PASS", "FAIL", "PASS", "PASS"]


def test_the_report_shows_the_figures_and_lost_images_are_a_finding() -> None:
    report = _report.render(_report.Results(quick=False, organization=replace(AUDIT, lost=7)))
    assert "50 accounts x 3 regions x 20 images, 2 req/s burst 5" in report
    assert "| ideal: the busiest scope's 25 requests at 2/s | 12.5 s |  |  |" in report
    assert "| wall time (start-up included) | 13.0 s, 1.040x ideal | <= 1.05x | PASS |" in report
    assert "| images lost | 7 of 3,000 | 0 | FAIL |" in report
    assert "| WorkSpaces requests throttled | 33 of 3,300, 1.0% | <= 5% | PASS |" in report
    assert "| 100.0 MB, 50.0 MB: +50.0 MB | <= +60 MB | PASS |" in report
    assert "55 accounts, 5 of them SUSPENDED" in report
    assert all_correct(_report.Results(quick=False, organization=replace(AUDIT, lost=7)))


def test_an_audit_that_ended_without_a_whole_report_is_a_broken_run() -> None:
    broken = replace(AUDIT, run=cli_run(100.0, exit_code=3, error="ThrottlingException"))
    results = _report.Results(quick=False, organization=broken)
    assert not all_correct(results)
    assert "The organization audit produced no whole result: ThrottlingException" in (
        _report.render(results)
    )


def test_the_cli_s_own_records_of_a_small_organization_lose_nothing(tmp_path: Path) -> None:
    command = ["imgperms_async.emulator", "--accounts", "2", "--images", "5", "--seed", str(SEED)]
    with serving([*command, "--regions", ",".join(_organization.REGIONS)]) as server:
        expected = expected_scopes(server.scoped_truth())
        # Unthrottled at the client too: this checks what is read, not how fast.
        arguments = ["--organization", "--all-regions", "--max-rate", "1000"]
        run, records = _organization._run_cli(arguments, server, tmp_path)
    assert run.error is None
    assert records is not None
    assert run.peak_rss_mb > 0
    assert len(expected) == 3 * len(_organization.REGIONS)
    assert lost_images(expected, records) == 0
    assert run.images_reported == sum(len(images) for images in expected.values())


class IdleServer:
    """A server that spends no CPU: the command measured here talks to none."""

    def cpu_secs(self) -> float:
        return 0.0


def test_a_commands_peak_rss_is_its_own_not_the_suites(tmp_path: Path) -> None:
    # Linux keeps a process's peak across exec: forked by a large suite, a small command would
    # report the suite's size as its own.
    ballast = bytearray(300 * 1024 * 1024)
    ballast[::4096] = b"\x01" * len(ballast[::4096])

    reaped = run_reaped([sys.executable, "-c", "pass"], cast(Any, IdleServer()), tmp_path, env={})

    assert reaped.exit_code == 0
    assert reaped.peak_rss_mb < 100
    assert reaped.wall_secs > 0
    del ballast
