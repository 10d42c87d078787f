"""The IAM policies docs/iam/ ships are enough and no more: with exactly them an organization
audit, an unshare and a Security Hub import succeed on the emulator enforcing them; without any
one action the run that needs it fails, saying which action is missing, in AWS's words; the
role trusts only the audit account, and only with the ExternalId. The CloudFormation template
holds the same policies and passes cfn-lint; every identity policy passes parliament.
"""

from __future__ import annotations

import json
import subprocess
import sysconfig
from dataclasses import dataclass
from pathlib import Path

import pytest
from iam_support import (
    ANOTHER_ACCOUNT,
    AUDIT_ACCOUNT_PLACEHOLDER,
    AUDIT_CALLER,
    CALLER,
    EXTERNAL_ID_PLACEHOLDER,
    HOLDERS,
    IAM,
    MANAGEMENT,
    MEMBER,
    MEMBER_ROLE,
    SECURITY_HUB,
    TEMPLATE,
    TRUST,
    UNSHARE,
    Grants,
    Removal,
    Run,
    accounts_of,
    actions_of,
    audit_arguments,
    imgperms,
    isolated_aws,
    organization,
    parliament_findings,
    perform,
    records,
    removals,
    shipped,
    since,
    template_policies,
    trust_policy,
)

from imgperms_async.cli._status import FLAGGED, INCOMPLETE, OK, USAGE

pytestmark = pytest.mark.usefixtures("one_botocore_loader")

REMOVALS = removals()


def denied(action: str) -> str:
    """How AWS begins to say that a caller lacks `action`."""
    return f"is not authorized to perform: {action}"


@dataclass(frozen=True)
class Audited:
    """The organization audited with exactly the shipped audit policies: the jsonl report,
    what the run said on stderr, and the organization's accounts."""

    report: Path
    stderr: str
    accounts: list[str]


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory) -> Audited:
    directory = tmp_path_factory.mktemp("audited")
    report = directory / "report.jsonl"
    with isolated_aws(directory), organization(Grants.shipped_for(Run.AUDIT)) as emulator:
        result = imgperms(emulator, *audit_arguments("--output", str(report)))
    assert result.exit_code == FLAGGED, result.stderr
    return Audited(report, result.stderr, accounts_of(emulator))


@pytest.fixture
def report(audited: Audited) -> Path:
    return audited.report


def shares_outside(report: Path) -> int:
    return sum(len(r.get("unexpected_account_ids", ())) for r in records(report.read_text()))


# --- with exactly the shipped policies ------------------------------------------------------------


def test_an_organization_audit_with_the_shipped_policies_audits_every_account_in_full(
    audited: Audited,
) -> None:
    written = records(audited.report.read_text())
    images = [r for r in written if r.get("kind") != "scope"]

    assert {r["account_id"] for r in images} == set(audited.accounts)
    assert [r for r in images if r["error"] is not None] == []
    assert {r["status"] for r in written if r.get("kind") == "scope"} <= {"not_enabled"}
    assert "not authorized" not in audited.stderr
    flagged_in = {r["account_id"] for r in images if r["unexpected_account_ids"]}
    assert flagged_in == set(audited.accounts), "so the writes act as caller and as role"


def test_the_same_audit_a_day_later_with_the_shipped_policies_exits_0(
    report: Path, tmp_path: Path
) -> None:
    with organization(Grants.shipped_for(Run.AUDIT)) as emulator:
        result = perform(Run.AUDIT, emulator, report, tmp_path)

    assert result.exit_code == OK, result.stderr


def test_an_unshare_with_the_unshare_policy_added_unshares_everything_outside(
    audited: Audited, tmp_path: Path
) -> None:
    with organization(Grants.shipped_for(Run.UNSHARE)) as emulator:
        result = perform(Run.UNSHARE, emulator, audited.report, tmp_path)
        written_in = {r.account_id for r in emulator.requests if r.changed}

    assert result.exit_code == OK, result.stderr
    assert f"unshared {shares_outside(audited.report)}, already done 0, failed 0" in result.stderr
    assert written_in == set(audited.accounts)


def test_a_security_hub_import_with_its_policy_added_imports_into_every_account(
    audited: Audited, tmp_path: Path
) -> None:
    with organization(Grants.shipped_for(Run.SECURITY_HUB)) as emulator:
        result = perform(Run.SECURITY_HUB, emulator, audited.report, tmp_path)
        imported_in = set(emulator.findings)

    assert result.exit_code == OK, result.stderr
    assert f"imported {shares_outside(audited.report)} findings" in result.stderr
    assert imported_in == set(audited.accounts)


# --- every action is needed, and a refusal names it -----------------------------------------------


@pytest.mark.parametrize("removal", REMOVALS, ids=[removal.id for removal in REMOVALS])
def test_without_any_one_action_the_run_needing_it_fails_naming_that_action(
    removal: Removal, report: Path, tmp_path: Path
) -> None:
    with organization(Grants.without(removal)) as emulator:
        result = perform(removal.run, emulator, report, tmp_path)

    assert result.exit_code == INCOMPLETE, result.stderr
    assert denied(removal.action) in result.stderr


UNSHARE_READS = [
    Removal(AUDIT_CALLER, CALLER, "organizations:ListAccounts"),
    Removal(AUDIT_CALLER, CALLER, "organizations:DescribeOrganization"),
    Removal(AUDIT_CALLER, CALLER, "sts:AssumeRole"),
    Removal(AUDIT_CALLER, CALLER, "workspaces:DescribeWorkspaceImagePermissions"),
    Removal(MEMBER_ROLE, MEMBER, "workspaces:DescribeWorkspaceImagePermissions"),
]
"""What `unshare --apply` needs of the audit's policies, as docs/permissions.md lists it."""


@pytest.mark.parametrize("removal", UNSHARE_READS, ids=[removal.id for removal in UNSHARE_READS])
def test_an_unshare_without_one_of_the_audits_actions_it_needs_fails_naming_it(
    removal: Removal, report: Path, tmp_path: Path
) -> None:
    with organization(Grants.without(removal, run=Run.UNSHARE)) as emulator:
        result = perform(Run.UNSHARE, emulator, report, tmp_path)
        changed = [r for r in emulator.requests if r.changed]

    assert denied(removal.action) in result.stderr
    if removal.action == "organizations:ListAccounts":
        # Members cannot be told from outsiders: refused before any change.
        assert (result.exit_code, changed) == (USAGE, []), result.stderr
    else:
        assert result.exit_code == INCOMPLETE, result.stderr


# --- whom the role trusts -------------------------------------------------------------------------


def test_the_role_refuses_a_caller_without_the_external_id_for_its_condition(
    report: Path,
) -> None:
    grants = Grants.shipped_for(Run.AUDIT)
    unconditional = shipped(TRUST)
    for statement in unconditional["Statement"]:
        del statement["Condition"]
    with organization(grants) as emulator:
        refused = imgperms(emulator, *audit_arguments(*since(report), external_id=None))
        roles = [emulator.role_arn(member) for member in accounts_of(emulator)[1:]]
    without_the_condition = Grants(
        grants.caller, grants.member, trust_policy(MANAGEMENT, policy=unconditional)
    )
    with organization(without_the_condition) as emulator:
        allowed = imgperms(emulator, *audit_arguments(*since(report), external_id=None))

    assert refused.exit_code == INCOMPLETE
    for role in roles:
        assert f"{denied('sts:AssumeRole')} on resource: {role}" in refused.stderr
    assert allowed.exit_code == OK, allowed.stderr


def test_the_role_refuses_a_principal_it_does_not_name(report: Path) -> None:
    grants = Grants.shipped_for(Run.AUDIT)
    trusting_another = json.loads(json.dumps(grants.trust).replace(MANAGEMENT, ANOTHER_ACCOUNT))
    with organization(Grants(grants.caller, grants.member, trusting_another)) as emulator:
        result = imgperms(emulator, *audit_arguments(*since(report)))
        roles = [emulator.role_arn(member) for member in accounts_of(emulator)[1:]]

    assert result.exit_code == INCOMPLETE
    for role in roles:
        assert f"{denied('sts:AssumeRole')} on resource: {role}" in result.stderr


def test_the_caller_may_assume_no_role_but_the_audit_role(report: Path) -> None:
    arguments = audit_arguments(*since(report), role_name="OrganizationAccountAccessRole")
    with organization(Grants.shipped_for(Run.AUDIT)) as emulator:
        result = imgperms(emulator, *arguments)

    assert result.exit_code == INCOMPLETE
    assert (
        "role/OrganizationAccountAccessRole because no identity-based policy allows the"
        " sts:AssumeRole action"
    ) in result.stderr


# --- the files themselves -------------------------------------------------------------------------


def test_every_policy_shipped_is_one_these_tests_grant() -> None:
    assert {path.name for path in IAM.glob("*.json")} == {*HOLDERS, TRUST}


def test_no_policy_grants_a_wildcard_action() -> None:
    for path in IAM.glob("*.json"):
        for statement in shipped(path.name)["Statement"]:
            assert "NotAction" not in statement, path.name
            assert all("*" not in action for action in actions_of(statement)), path.name


def test_the_templates_policies_are_the_json_files() -> None:
    trust, inline = template_policies()

    assert trust == shipped(TRUST)
    assert inline == {
        "imgperms-audit-read": shipped(MEMBER_ROLE),
        "imgperms-unshare": shipped(UNSHARE),
        "imgperms-security-hub": shipped(SECURITY_HUB),
    }


@pytest.mark.parametrize("name", sorted(HOLDERS))
def test_parliament_finds_nothing_in_an_identity_policy(name: str) -> None:
    assert parliament_findings(IAM / name) == []


def test_parliament_finds_in_the_trust_policy_only_that_it_names_no_resource() -> None:
    """Parliament reads every document as an identity policy; a trust policy has no Resource."""
    assert parliament_findings(IAM / TRUST) == [
        ("MALFORMED", "Statement contains neither Resource nor NotResource")
    ]


def test_the_trust_policy_leaves_the_audit_account_and_the_external_id_to_fill_in() -> None:
    (statement,) = shipped(TRUST)["Statement"]

    assert statement["Principal"] == {"AWS": f"arn:aws:iam::{AUDIT_ACCOUNT_PLACEHOLDER}:root"}
    assert statement["Condition"] == {"StringEquals": {"sts:ExternalId": EXTERNAL_ID_PLACEHOLDER}}


@pytest.mark.slow
def test_cfn_lint_passes_the_member_role_template() -> None:
    linted = subprocess.run(
        [str(Path(sysconfig.get_path("scripts")) / "cfn-lint"), str(TEMPLATE)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert (linted.returncode, linted.stdout, linted.stderr) == (0, "", "")
