"""Shares with accounts whose membership cannot be read (a member account audits itself, and may
not list its organization): classed ``unknown``, marked ``?``, never flagged unless
``--fail-on-unknown``, never unshared."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import Result
from report_support import Served, become, images_of, invoke, organization_emulator, serving


@dataclass(frozen=True)
class MemberAudit:
    served: Served
    member: str

    def audit(self, *args: str) -> Result:
        return invoke(
            "audit", "--endpoint-url", self.served.emu.endpoint_url, "--no-progress",
            "--account", self.member, *args,
        )  # fmt: skip


@pytest.fixture
def as_member(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[MemberAudit]:
    """A member of the organization audits its own account with its own credentials."""
    with serving(monkeypatch, tmp_path, organization_emulator(), organization=False) as served:
        organization = served.emu.scoped_truth.organization
        assert organization is not None
        member = organization.accounts[1].account_id
        become(monkeypatch, served.emu, member)
        yield MemberAudit(served, member)


def audit(member: MemberAudit, *args: str) -> Result:
    return member.audit("--region", "us-east-1", "--region", "eu-west-1", *args)


def test_a_share_whose_membership_cannot_be_read_is_unknown_and_not_flagged(
    as_member: MemberAudit,
) -> None:
    result = audit(as_member, "--format", "json")

    records = json.loads(result.stdout)
    management = as_member.served.emu.account_id
    classes = {a: c for r in records for a, c in r["share_classes"].items()}
    assert classes
    assert {c for a, c in classes.items() if a != management} == {"unknown"}
    assert classes.get(management, "organization") == "organization"
    assert all(r["unexpected_account_ids"] == [] for r in records)
    assert result.exit_code == 0, result.stderr


def test_the_summary_counts_images_shared_with_accounts_of_unknown_membership(
    as_member: MemberAudit,
) -> None:
    records = images_of(audit(as_member, "--format", "jsonl").stdout)
    unjudged = sum("unknown" in r["share_classes"].values() for r in records)

    result = audit(as_member)

    assert unjudged
    assert f", {unjudged} shared with accounts of unknown membership, " in result.stderr
    assert "FLAGGED" not in result.stdout
    assert "?" in result.stdout


def test_fail_on_unknown_exits_1_for_a_share_of_unknown_membership(as_member: MemberAudit) -> None:
    assert audit(as_member, "--fail-on-unknown").exit_code == 1


def test_a_share_of_unknown_membership_is_never_unshared(as_member: MemberAudit) -> None:
    served = as_member.served
    report = served.tmp_path / "member.jsonl"
    audit(as_member, "--format", "jsonl", "--output", str(report))
    unknown = {
        a for r in images_of(report.read_text()) for a, c in r["share_classes"].items()
        if c == "unknown"
    }  # fmt: skip
    sent = len(served.emu.requests)

    result = served.apply(report, "--shared-account", sorted(unknown)[0])

    assert unknown
    assert result.exit_code == 0, result.stderr
    assert served.writes(since=sent) == []
    assert "nothing to unshare" in result.stderr
