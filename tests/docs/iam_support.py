"""The shipped IAM policies (docs/iam/) as a user deploys them, an emulated organization that
enforces them, and the runs of the CLI that need them.

Who holds what is docs/permissions.md's "What to deploy": the audit caller's policy on the
caller (the emulator's own keys, the management account), the member role's policy and trust
policy on the role `imgperms-audit` in every member, and the unshare and Security Hub policies on
both, for the caller acts in its own account with its own keys. Each run is given exactly the
policies it needs, read from the files, so a new action in a file is a new case in the tests.
"""

from __future__ import annotations

import copy
import json
import os
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from imgperms_async.cli import main
from imgperms_async.emulator import Emulator

Policy = dict[str, Any]

IAM = Path(__file__).resolve().parents[2] / "docs" / "iam"
TEMPLATE = IAM / "member-role.yaml"
AUDIT_CALLER = "audit-caller-policy.json"
MEMBER_ROLE = "member-role-policy.json"
TRUST = "member-role-trust-policy.json"
UNSHARE = "unshare-policy.json"
SECURITY_HUB = "security-hub-policy.json"

ROLE_NAME = "imgperms-audit"
EXTERNAL_ID = "imgperms-docs-test"
AUDIT_ACCOUNT_PLACEHOLDER = "111122223333"
EXTERNAL_ID_PLACEHOLDER = "replace-with-your-external-id"
"""What a user replaces in the trust policy: the audit account, and the ExternalId chosen."""
ANOTHER_ACCOUNT = "999988887777"
"""An account that is not the audit account."""

CALLER, MEMBER, ROLE_TRUST = "caller", "role", "trust"
HOLDERS: Mapping[str, tuple[str, ...]] = {
    AUDIT_CALLER: (CALLER,),
    MEMBER_ROLE: (MEMBER,),
    UNSHARE: (CALLER, MEMBER),
    SECURITY_HUB: (CALLER, MEMBER),
}
"""Who holds each identity-based policy (the trust policy is the member role's own)."""


class Run(Enum):
    """What a user runs, each with every policy it needs (an unshare audits first, as does an import)."""

    AUDIT = (AUDIT_CALLER, MEMBER_ROLE)
    UNSHARE = (AUDIT_CALLER, MEMBER_ROLE, UNSHARE)
    SECURITY_HUB = (AUDIT_CALLER, MEMBER_ROLE, SECURITY_HUB)

    @property
    def policies(self) -> tuple[str, ...]:
        value: tuple[str, ...] = self.value
        return value


RUN_NEEDING: Mapping[str, Run] = {
    AUDIT_CALLER: Run.AUDIT,
    MEMBER_ROLE: Run.AUDIT,
    TRUST: Run.AUDIT,
    UNSHARE: Run.UNSHARE,
    SECURITY_HUB: Run.SECURITY_HUB,
}
"""The run each policy is there for (ListAccounts's too: `--organization`)."""


def shipped(name: str) -> Policy:
    policy: Policy = json.loads((IAM / name).read_text())
    return policy


def actions_of(statement: Mapping[str, Any]) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else list(action)


def trust_policy(
    audit_account: str, *, external_id: str = EXTERNAL_ID, policy: Policy | None = None
) -> Policy:
    """The trust policy (or `policy`, one changed from it) as a user fills it in: the audit
    account, and the ExternalId."""
    text = json.dumps(shipped(TRUST) if policy is None else policy)
    filled: Policy = json.loads(
        text.replace(AUDIT_ACCOUNT_PLACEHOLDER, audit_account).replace(
            EXTERNAL_ID_PLACEHOLDER, external_id
        )
    )
    return filled


def combined(*policies: Policy) -> Policy:
    """Several policies attached to one principal, as one document (IAM unions them)."""
    return {
        "Version": "2012-10-17",
        "Statement": [statement for policy in policies for statement in policy["Statement"]],
    }


def without_action(policy: Policy, action: str) -> Policy:
    """`policy` less `action`: dropped from its statement, and the statement dropped if empty."""
    left = copy.deepcopy(policy)
    statements = []
    for statement in left["Statement"]:
        kept = [named for named in actions_of(statement) if named != action]
        if kept:
            statement["Action"] = kept[0] if len(kept) == 1 else kept
            statements.append(statement)
    left["Statement"] = statements
    return left


@dataclass(frozen=True)
class Removal:
    """One action of one shipped policy, taken away from the copy one holder has."""

    policy: str
    holder: str
    action: str

    @property
    def run(self) -> Run:
        return RUN_NEEDING[self.policy]

    @property
    def id(self) -> str:
        return f"{self.policy.removesuffix('.json')}[{self.holder}]-{self.action}"


def removals() -> list[Removal]:
    """Every action of every shipped policy, in each place it is granted."""
    found = [
        Removal(name, holder, action)
        for name, holders in HOLDERS.items()
        for holder in holders
        for statement in shipped(name)["Statement"]
        for action in actions_of(statement)
    ]
    found += [
        Removal(TRUST, ROLE_TRUST, action)
        for statement in shipped(TRUST)["Statement"]
        for action in actions_of(statement)
    ]
    return found


@dataclass(frozen=True)
class Grants:
    """The emulator's policy arguments: the caller's, the member role's, and its trust."""

    caller: Policy
    member: Policy
    trust: Policy

    @classmethod
    def shipped_for(cls, run: Run) -> Grants:
        """Exactly the shipped policies `run` needs, each on its holders."""
        return cls(
            caller=combined(*(shipped(n) for n in run.policies if CALLER in HOLDERS[n])),
            member=combined(*(shipped(n) for n in run.policies if MEMBER in HOLDERS[n])),
            trust=trust_policy(MANAGEMENT),
        )

    @classmethod
    def without(cls, removal: Removal, *, run: Run | None = None) -> Grants:
        """What `run` (by default the one the policy is for) needs, with `removal.action`
        taken from that holder's copy of the policy."""
        policies = {
            holder: [
                without_action(shipped(name), removal.action)
                if (name, holder) == (removal.policy, removal.holder)
                else shipped(name)
                for name in (run or removal.run).policies
                if holder in HOLDERS[name]
            ]
            for holder in (CALLER, MEMBER)
        }
        trust = shipped(TRUST)
        if removal.holder == ROLE_TRUST:
            trust = without_action(trust, removal.action)
            if not trust["Statement"]:
                trust = _trusting_for_nothing(shipped(TRUST))
        return cls(
            caller=combined(*policies[CALLER]),
            member=combined(*policies[MEMBER]),
            trust=trust_policy(MANAGEMENT, policy=trust),
        )


def _trusting_for_nothing(trust: Policy) -> Policy:
    """IAM stores no trust policy without a statement: with its last action gone, the role
    trusts the same principal, under the same condition, to tag sessions only."""
    left = copy.deepcopy(trust)
    for statement in left["Statement"]:
        statement["Action"] = "sts:TagSession"
    return left


ORGANIZATION: dict[str, Any] = {
    "accounts": 2,
    "images": 2,
    "regions": ("us-east-1", "eu-west-1"),
    "seed": 1,
}
"""The management account and two members, each sharing images outside the organization, so
that an unshare and an import act both with the caller's keys and through the role."""


def organization(grants: Grants) -> Emulator:
    """The organization, enforcing `grants` (not served until entered)."""
    return Emulator(
        **ORGANIZATION,
        role_name=ROLE_NAME,
        caller_policy=grants.caller,
        member_policy=grants.member,
        member_trust_policy=grants.trust,
    )


MANAGEMENT = Emulator(**ORGANIZATION).account_id


def accounts_of(emulator: Emulator) -> list[str]:
    """The organization's accounts, the management account first."""
    organization = emulator.scoped_truth.organization
    assert organization is not None
    return [account.account_id for account in organization.accounts]


def imgperms(emulator: Emulator, *args: str) -> Result:
    """The CLI in-process, with the environment `imgperms emulator` exports for it."""
    return CliRunner(env=emulator.environment).invoke(main, list(args), catch_exceptions=False)


def audit_arguments(
    *more: str, role_name: str = ROLE_NAME, external_id: str | None = EXTERNAL_ID
) -> list[str]:
    """`imgperms audit` of the whole organization, as docs/permissions.md says to run it."""
    given = [] if external_id is None else ["--external-id", external_id]
    return [
        "audit", "--organization", "--all-regions", "--role-name", role_name, *given,
        "--format", "jsonl", "--no-progress", *more,
    ]  # fmt: skip


def since(report: Path) -> list[str]:
    """An audit the day after `report`, as a scheduled job runs it: shares already known do
    not decide the exit status, so it is 0 when everything was done and 3 when not."""
    return ["--baseline", str(report), "--fail-on", "new"]


def perform(run: Run, emulator: Emulator, report: Path, directory: Path) -> Result:
    """`run` the day after `report`: the audit (and the import) `since` it, the unshare from
    it."""
    if run is Run.UNSHARE:
        return imgperms(
            emulator, "unshare", str(report), "--apply", "--yes", "--role-name", ROLE_NAME,
            "--external-id", EXTERNAL_ID, "--action-log", str(directory / "actions.jsonl"),
            "--no-progress",
        )  # fmt: skip
    importing = ["--security-hub"] if run is Run.SECURITY_HUB else []
    return imgperms(emulator, *audit_arguments(*since(report), *importing))


def parliament_findings(path: Path) -> list[tuple[str, str]]:
    """What parliament (its default auditors, as `parliament --file PATH` runs) finds: each
    issue and its detail."""
    with warnings.catch_warnings():
        # parliament 1.6 reads its data files at import without closing them, imports the
        # deprecated pkg_resources, and, compiled afresh, warns of its own regex escapes.
        for category in (ResourceWarning, UserWarning, DeprecationWarning, SyntaxWarning):
            warnings.simplefilter("ignore", category)
        from parliament import analyze_policy_string  # type: ignore[import-untyped]

    return [(f.issue, f.detail) for f in analyze_policy_string(path.read_text()).findings]


def records(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@contextmanager
def isolated_aws(directory: Path) -> Iterator[None]:
    """No AWS setting of the machine's, for a fixture wider than the suite's own isolation."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        for name in list(os.environ):
            if name.startswith("AWS_"):
                monkeypatch.delenv(name)
        monkeypatch.setenv("AWS_CONFIG_FILE", str(directory / "aws-config"))
        monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(directory / "aws-credentials"))
        monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
        yield


# --- the CloudFormation template -----------------------------------------------------------


class _TemplateLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short forms (!Sub, !Ref, !If, ...) read as their long ones."""


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        assert isinstance(node, yaml.MappingNode)
        value = loader.construct_mapping(node, deep=True)
    return {"Ref" if suffix == "Ref" else f"Fn::{suffix}": value}


_TemplateLoader.add_multi_constructor("!", _intrinsic)


def template() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.load(TEMPLATE.read_text(), Loader=_TemplateLoader)
    return loaded


_SUBSTITUTIONS = {
    "${AWS::Partition}": "aws",
    "${AWS::AccountId}": "*",
    "${AuditAccountId}": AUDIT_ACCOUNT_PLACEHOLDER,
}
"""The template's variables as the JSON files write them: the account a policy is deployed in
is any account there, the audit account and the ExternalId their placeholders."""


def normalised(value: Any) -> Any:
    """A template value as the JSON files write it; an intrinsic not known here fails."""
    if isinstance(value, list):
        return [normalised(item) for item in value]
    if not isinstance(value, dict):
        return value
    if value.keys() == {"Fn::Sub"}:
        text = value["Fn::Sub"]
        for variable, written in _SUBSTITUTIONS.items():
            text = text.replace(variable, written)
        assert "${" not in text, f"a substitution the JSON files cannot write: {text}"
        return text
    if value == {"Ref": "ExternalId"}:
        return EXTERNAL_ID_PLACEHOLDER
    assert not any(key == "Ref" or key.startswith("Fn::") for key in value), value
    return {key: normalised(item) for key, item in value.items()}


def template_policies() -> tuple[Policy, dict[str, Policy]]:
    """The role's trust policy and its inline policies by name (each `!If` taken as enabled),
    normalised."""
    role = template()["Resources"]["AuditRole"]["Properties"]
    inline: dict[str, Policy] = {}
    for entry in role["Policies"]:
        if "Fn::If" in entry:
            _condition, entry, otherwise = entry["Fn::If"]
            assert otherwise == {"Ref": "AWS::NoValue"}
        inline[entry["PolicyName"]] = normalised(entry["PolicyDocument"])
    return normalised(role["AssumeRolePolicyDocument"]), inline
