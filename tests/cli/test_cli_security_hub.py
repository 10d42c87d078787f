"""`imgperms audit --security-hub [--dry-run]`: the audit's findings imported into Security Hub, in
the account and region that own each image; a dry run imports nothing and says what it would."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from report_support import Served, organization_emulator, serving

IMPORT = "BatchImportFindings"


@pytest.fixture
def org(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Served]:
    with serving(monkeypatch, tmp_path, organization_emulator(), organization=True) as served:
        yield served


def imported(served: Served) -> dict[tuple[str, str, str], set[str]]:
    """(account, region, image) -> the accounts of its ACTIVE findings in Security Hub."""
    found: dict[tuple[str, str, str], set[str]] = {}
    for account, regions in served.emu.findings.items():
        for region, findings in regions.items():
            for finding in findings:
                if finding["RecordState"] != "ACTIVE":
                    continue
                [resource] = finding["Resources"]
                image = resource["Id"].rpartition("/")[2]
                shared = resource["Details"]["Other"]["SharedAccountId"]
                found.setdefault((account, region, image), set()).add(shared)
    return found


def test_each_share_outside_is_a_finding_in_the_account_and_region_of_its_image(
    org: Served,
) -> None:
    outside = org.outside_shares()

    result = org.audit("--security-hub")

    assert result.exit_code == 1, result.stderr
    assert imported(org) == {key: set(accounts) for key, accounts in outside.items()}
    count = sum(len(accounts) for accounts in outside.values())
    assert any(line.startswith(f"security hub: imported {count} findings and resolved 0 in ")
               for line in result.stderr.splitlines())  # fmt: skip


def test_a_finding_names_its_account_and_the_share_outside(org: Served) -> None:
    org.audit("--security-hub")

    for account, regions in org.emu.findings.items():
        for region, findings in regions.items():
            for finding in findings:
                assert (finding["AwsAccountId"], finding["Region"]) == (account, region)
                assert finding["Severity"]["Label"] == "HIGH"
                assert finding["Compliance"]["Status"] == "FAILED"
                assert f"--region {region}" in finding["Remediation"]["Recommendation"]["Text"]


def test_a_dry_run_imports_nothing_and_says_what_it_would(org: Served) -> None:
    count = sum(len(accounts) for accounts in org.outside_shares().values())

    result = org.audit("--security-hub", "--dry-run")

    assert org.emu.findings == {}
    assert IMPORT not in {r.operation for r in org.emu.requests}
    assert any(
        line.startswith(f"security hub: would import {count} findings and would resolve 0 in ")
        and line.endswith("; nothing was imported (dry run)")
        for line in result.stderr.splitlines()
    )


def test_a_share_gone_since_the_last_import_is_resolved(org: Served) -> None:
    count = sum(len(accounts) for accounts in org.outside_shares().values())
    org.audit("--security-hub")
    report = org.report()
    applied = org.apply(report)
    assert applied.exit_code == 0, applied.stderr

    result = org.audit("--security-hub")

    resolved = sum(
        finding["RecordState"] == "ARCHIVED"
        for regions in org.emu.findings.values()
        for findings in regions.values()
        for finding in findings
    )
    assert imported(org) == {}
    assert resolved == count
    assert f"imported 0 findings and resolved {count} in " in result.stderr


def test_a_scope_where_security_hub_is_not_enabled_is_an_error_and_exit_3(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    organization = organization_emulator().scoped_truth.organization
    assert organization is not None
    owner = organization.accounts[1].account_id
    with serving(
        monkeypatch, tmp_path,
        organization_emulator(securityhub_disabled=[(owner, "eu-west-1")]), organization=True,
    ) as served:  # fmt: skip
        allowed = served.tmp_path / "allowed.txt"
        allowed.write_text(
            "".join(f"{a}\n" for shares in served.outside_shares().values() for a in shares)
        )
        result = served.audit("--security-hub", "--allowlist", str(allowed))

    assert result.exit_code == 3, result.stderr
    assert any(line.startswith(f"error: security hub: account {owner}, eu-west-1: ")
               for line in result.stderr.splitlines())  # fmt: skip


def test_dry_run_without_security_hub_is_a_usage_error(org: Served) -> None:
    result = org.audit("--dry-run")

    assert result.exit_code == 2
    assert "--dry-run is for --security-hub" in result.stderr
    assert org.emu.requests == []
