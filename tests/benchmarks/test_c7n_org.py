"""The c7n-org scenario: the accounts file both tools read, the ideal, and what each reported.

The last two run each tool once against a small organization, so what is counted is what the
tools themselves wrote.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from benchmarks import _c7n_org, _env, _report
from benchmarks._c7n_org import C7N_ORG, IMGPERMS, C7nOrg, ToolRun, accounts_yml, listed_scopes
from benchmarks._scenarios import SEED, serving

MANAGEMENT, MEMBER, SUSPENDED = "111111111111", "222222222222", "333333333333"
TRUTH: dict[str, Any] = {
    "organization": {
        "management_account_id": MANAGEMENT,
        "role_name": "OrganizationAccountAccessRole",
        "accounts": [
            {"account_id": MANAGEMENT, "name": "management", "status": "ACTIVE"},
            {"account_id": MEMBER, "name": "a: member", "status": "ACTIVE"},
            {"account_id": SUSPENDED, "name": "gone", "status": "SUSPENDED"},
        ],
    },
    "images": {
        MANAGEMENT: {"us-east-1": {"wsi-aaaaaaaaa": []}},
        MEMBER: {region: {f"wsi-{region[:2]}0000000": ["9" * 12]} for region in _c7n_org.REGIONS},
        SUSPENDED: {"us-east-1": {"wsi-ddddddddd": []}},
    },
}


def test_the_accounts_file_names_each_active_member_with_its_role_and_regions() -> None:
    written = yaml.safe_load(accounts_yml(TRUTH))
    assert written == {
        "accounts": [
            {
                "account_id": MEMBER,
                "name": "a: member",
                "role": f"arn:aws:iam::{MEMBER}:role/OrganizationAccountAccessRole",
                "regions": list(_c7n_org.REGIONS),
            }
        ]
    }
    assert set(listed_scopes(TRUTH)) == {(MEMBER, region) for region in _c7n_org.REGIONS}


def tool(label: str, wall_secs: float, shares: int, lost: int | None = None) -> ToolRun:
    return ToolRun(label, wall_secs, 2.0, 80.0, shares, 1, 0.5, lost=lost)


SCENARIO = C7nOrg(
    members=19,
    accounts=18,
    scopes=54,
    images=1_080,
    truth_shares=3_000,
    busiest_requests=25,
    runs=[tool(IMGPERMS, 11.0, 3_000, lost=0), tool(C7N_ORG, 70.0, 2_340)],
    skipped={},
)


def test_the_ideal_lets_the_burst_go_at_once_and_the_rest_at_the_rate() -> None:
    assert SCENARIO.ideal_secs == (25 - 5) / 2
    assert SCENARIO.slowdown == pytest.approx(1.1)
    assert SCENARIO.speedup == pytest.approx(70 / 11)
    assert SCENARIO.completeness(SCENARIO.runs[1]) == pytest.approx(0.78)


def test_targets_pass_and_fail_on_the_c7n_org_figures() -> None:
    def verdicts(scenario: C7nOrg) -> list[str]:
        found = _report.targets(_report.Results(quick=False, c7n_org=scenario))
        return [target.verdict for target in found]

    assert verdicts(SCENARIO) == ["PASS"] * 3
    slow = replace(SCENARIO, runs=[tool(IMGPERMS, 13.0, 2_999, lost=1), SCENARIO.runs[1]])
    assert verdicts(slow) == ["FAIL"] * 3
    alone = replace(SCENARIO, runs=SCENARIO.runs[:1], skipped={C7N_ORG: "c7n_org not installed"})
    assert verdicts(alone) == ["PASS", "not measured", "PASS"]
    report = _report.render(_report.Results(quick=False, c7n_org=alone))
    assert "Skipped, not installed here: c7n-org (c7n_org not installed)." in report


def test_imgperms_reads_the_accounts_file_and_reports_every_share(tmp_path: Path) -> None:
    command = ["imgperms_async.emulator", "--accounts", "4", "--images", "3", "--seed", str(SEED)]
    command += ["--regions", ",".join(_c7n_org.REGIONS)]
    with serving(command) as server:
        truth = server.scoped_truth()
        (tmp_path / _c7n_org.ACCOUNTS_FILE).write_text(accounts_yml(truth))
        run = _c7n_org._imgperms(server, tmp_path)
    scopes = listed_scopes(truth)
    assert run.error is None
    assert run.lost == 0
    assert run.shares_found == sum(len(s) for images in scopes.values() for s in images.values())


def test_c7n_org_runs_on_the_same_file_and_its_shares_are_counted(tmp_path: Path) -> None:
    """c7n's cross-account filter reads one page per image: at most 25 shares of each."""
    if _env.missing(("c7n_org",)):
        pytest.skip("c7n-org is not installed")
    command = ["imgperms_async.emulator", "--accounts", "2", "--images", "3", "--seed", str(SEED)]
    command += ["--regions", _c7n_org.REGIONS[0]]
    with serving(command) as server:
        truth = server.scoped_truth()
        file = accounts_yml(truth).replace(", ".join(_c7n_org.REGIONS), _c7n_org.REGIONS[0])
        (tmp_path / _c7n_org.ACCOUNTS_FILE).write_text(file)
        run = _c7n_org._c7n_org(server, tmp_path)
    scopes = {s: i for s, i in listed_scopes(truth).items() if s[1] == _c7n_org.REGIONS[0]}
    assert run.error is None
    assert run.cpu_secs > 0
    assert run.shares_found == sum(
        min(25, len(shares)) for images in scopes.values() for shares in images.values()
    )
