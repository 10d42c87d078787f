"""IAM on the emulator: the caller's and the member role's identity-based policies and the
role's trust policy decide every call as AWS would, and a refusal names the action in each
service's own words. Without policies everything stays allowed."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from emulator_support import AwsClients, assumed_keys

from imgperms_async.emulator import Emulator

ROLE = "OrganizationAccountAccessRole"
IMAGES = "arn:aws:workspaces:*:*:workspaceimage/*"


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(actions: list[str], resource: str | list[str] = "*", **more: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": actions, "Resource": resource, **more}


def deny(actions: list[str], resource: str = "*", **more: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": actions, "Resource": resource, **more}


@dataclass(frozen=True)
class Step:
    """One call of an audit: who makes it, the IAM action it needs on which resources (as the
    least-privilege policy names them), and how it is refused."""

    who: str
    action: str
    service: str
    operation: str
    arguments: Callable[[Emulator, str], dict[str, Any]]
    code: str
    status: int
    resource: str = "*"


def product(emulator: Emulator, member: str) -> dict[str, Any]:
    arn = f"arn:aws:securityhub:us-east-1:{member}:product/{member}/default"
    return {
        "Findings": [
            {
                "SchemaVersion": "2018-10-08",
                "Id": "f-1",
                "ProductArn": arn,
                "GeneratorId": "imgperms",
                "AwsAccountId": member,
                "Types": ["Software and Configuration Checks"],
                "CreatedAt": "2026-01-01T00:00:00Z",
                "UpdatedAt": "2026-01-01T00:00:00Z",
                "Severity": {"Label": "LOW"},
                "Title": "t",
                "Description": "d",
                "Resources": [{"Type": "Other", "Id": "x"}],
            }
        ]
    }


def first_image(emulator: Emulator, member: str) -> str:
    return next(iter(emulator.scoped_truth.images[member]["us-east-1"]))


STEPS = [
    Step("caller", "organizations:DescribeOrganization", "organizations",
         "describe_organization", lambda e, m: {}, "AccessDeniedException", 400),
    Step("caller", "organizations:ListAccounts", "organizations", "list_accounts",
         lambda e, m: {}, "AccessDeniedException", 400),
    Step("caller", "ec2:DescribeRegions", "ec2", "describe_regions", lambda e, m: {},
         "UnauthorizedOperation", 403),
    Step("caller", "sts:AssumeRole", "sts", "assume_role",
         lambda e, m: {"RoleArn": e.role_arn(m), "RoleSessionName": "audit"}, "AccessDenied", 403,
         f"arn:aws:iam::*:role/{ROLE}"),
    Step("member", "ec2:DescribeRegions", "ec2", "describe_regions", lambda e, m: {},
         "UnauthorizedOperation", 403),
    Step("member", "workspaces:DescribeWorkspaceImages", "workspaces",
         "describe_workspace_images", lambda e, m: {"ImageType": "OWNED"},
         "AccessDeniedException", 400),
    Step("member", "workspaces:DescribeWorkspaceImagePermissions", "workspaces",
         "describe_workspace_image_permissions", lambda e, m: {"ImageId": first_image(e, m)},
         "AccessDeniedException", 400, IMAGES),
    Step("member", "workspaces:UpdateWorkspaceImagePermission", "workspaces",
         "update_workspace_image_permission",
         lambda e, m: {"ImageId": first_image(e, m), "AllowCopyImage": False,
                       "SharedAccountId": "111122223333"},
         "AccessDeniedException", 400, IMAGES),
    Step("member", "tag:GetResources", "resourcegroupstaggingapi", "get_resources",
         lambda e, m: {}, "AccessDeniedException", 400),
    Step("member", "securityhub:BatchImportFindings", "securityhub", "batch_import_findings",
         product, "AccessDeniedException", 403, "arn:aws:securityhub:*:*:product/*/default"),
    Step("member", "securityhub:GetFindings", "securityhub", "get_findings", lambda e, m: {},
         "AccessDeniedException", 403, "arn:aws:securityhub:*:*:hub/default"),
]  # fmt: skip


def least_privilege(who: str, *, without: Step | None = None) -> dict[str, Any]:
    """Exactly what `who` needs for the audit, each action on its resources, maybe one less."""
    return policy(
        *(allow([s.action], s.resource) for s in STEPS if s.who == who and s is not without)
    )


def member_of(emulator: Emulator) -> str:
    organization = emulator.scoped_truth.organization
    assert organization is not None
    return next(a.account_id for a in organization.accounts[1:] if a.status == "ACTIVE")


@contextlib.contextmanager
def governed(
    *,
    caller: dict[str, Any] | None = None,
    member: dict[str, Any] | None = None,
    trust: dict[str, Any] | None = None,
) -> Iterator[Emulator]:
    """An organization whose caller and member role hold these policies, serving."""
    with Emulator(
        accounts=3,
        seed=4,
        caller_policy=caller or least_privilege("caller"),
        member_policy=member or least_privilege("member"),
        member_trust_policy=trust,
    ) as served:
        yield served


def session(emulator: Emulator, aws: AwsClients, service: str, member: str, **options: Any) -> Any:
    credentials = aws(emulator, "sts").assume_role(
        RoleArn=emulator.role_arn(member), RoleSessionName="audit"
    )["Credentials"]
    return aws(emulator, service, **assumed_keys(credentials), **options)


def make(emulator: Emulator, aws: AwsClients, step: Step) -> Any:
    member = member_of(emulator)
    client = (
        aws(emulator, step.service)
        if step.who == "caller"
        else session(emulator, aws, step.service, member)
    )
    return getattr(client, step.operation)(**step.arguments(emulator, member))


def refusal(emulator: Emulator, aws: AwsClients, step: Step) -> tuple[int, str, str]:
    with pytest.raises(ClientError) as caught:
        make(emulator, aws, step)
    response = caught.value.response
    return (
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Code"],
        response["Error"]["Message"],
    )


def test_the_least_privilege_policies_allow_the_whole_audit(aws: AwsClients) -> None:
    with governed() as served:
        for step in STEPS:
            assert make(served, aws, step)["ResponseMetadata"]["HTTPStatusCode"] == 200


@pytest.mark.parametrize("removed", STEPS, ids=[f"{s.who}-{s.action}" for s in STEPS])
def test_taking_one_action_away_denies_exactly_that_call_naming_it(
    aws: AwsClients, removed: Step
) -> None:
    with governed(
        caller=least_privilege("caller", without=removed),
        member=least_privilege("member", without=removed),
    ) as served:
        status, code, message = refusal(served, aws, removed)
    assert (status, code) == (removed.status, removed.code)
    assert f"is not authorized to perform: {removed.action}" in message
    assert message.endswith(f"because no identity-based policy allows the {removed.action} action")


def test_an_explicit_deny_beats_any_allow(aws: AwsClients) -> None:
    denying = policy(allow(["*"]), deny(["workspaces:DescribeWorkspaceImages"]))
    with governed(member=denying) as served:
        member = member_of(served)
        answer = refusal(served, aws, STEPS[5])
    assert answer == (
        400,
        "AccessDeniedException",
        f"User: arn:aws:sts::{member}:assumed-role/{ROLE}/audit is not authorized to perform:"
        " workspaces:DescribeWorkspaceImages"
        " with an explicit deny in an identity-based policy",
    )


def test_a_denied_resource_is_named_and_an_action_without_one_is_not(aws: AwsClients) -> None:
    listing_only = policy(allow(["workspaces:DescribeWorkspaceImages"]))
    with governed(caller=policy(allow(["sts:*"])), member=listing_only) as served:
        member = member_of(served)
        _, _, accounts = refusal(served, aws, STEPS[1])
        _, _, permissions = refusal(served, aws, STEPS[6])
    image = first_image(served, member)
    assert accounts == (
        f"User: arn:aws:iam::{served.account_id}:user/emulator is not authorized to perform:"
        " organizations:ListAccounts because no identity-based policy allows the"
        " organizations:ListAccounts action"
    )
    assert permissions == (
        f"User: arn:aws:sts::{member}:assumed-role/{ROLE}/audit is not authorized to perform:"
        " workspaces:DescribeWorkspaceImagePermissions on resource:"
        f" arn:aws:workspaces:us-east-1:{member}:workspaceimage/{image} because no"
        " identity-based policy allows the workspaces:DescribeWorkspaceImagePermissions action"
    )


def test_get_caller_identity_needs_no_permission(aws: AwsClients) -> None:
    with governed(caller=policy(deny(["*"]))) as served:
        assert aws(served, "sts").get_caller_identity()["Account"] == served.account_id


def test_actions_match_case_insensitively_with_wildcards(aws: AwsClients) -> None:
    wildcards = policy(
        allow(["WorkSpaces:describe*"]),
        allow(
            ["workspaces:UpdateWorkspaceImagePermissio?"], "arn:aws:workspaces:*:*:workspaceimage/*"
        ),
    )
    with governed(member=wildcards) as served:
        for step in STEPS[5:8]:
            assert make(served, aws, step)["ResponseMetadata"]["HTTPStatusCode"] == 200
        assert refusal(served, aws, STEPS[8])[1] == "AccessDeniedException"


def test_a_resource_names_the_images_a_policy_allows(aws: AwsClients) -> None:
    probe = Emulator(accounts=3, seed=4)
    member = member_of(probe)
    allowed, other = list(probe.scoped_truth.images[member]["us-east-1"])[:2]
    arn = f"arn:aws:workspaces:us-east-1:{member}:workspaceimage/"
    member_policy = policy(allow(["workspaces:DescribeWorkspaceImagePermissions"], arn + allowed))
    with Emulator(accounts=3, seed=4, member_policy=member_policy) as served:
        client = session(served, aws, "workspaces", member)
        client.describe_workspace_image_permissions(ImageId=allowed)
        with pytest.raises(ClientError) as caught:
            client.describe_workspace_image_permissions(ImageId=other)
    assert f"on resource: {arn}{other} because" in caught.value.response["Error"]["Message"]


def test_not_action_and_not_resource_allow_everything_else(aws: AwsClients) -> None:
    negated = policy(
        {"Effect": "Allow", "NotAction": ["securityhub:*"], "Resource": "*"},
        {"Effect": "Allow", "Action": "securityhub:*",
         "NotResource": "arn:aws:securityhub:*:*:hub/default"},
    )  # fmt: skip
    with governed(member=negated) as served:
        assert make(served, aws, STEPS[5])["ResponseMetadata"]["HTTPStatusCode"] == 200
        assert make(served, aws, STEPS[9])["SuccessCount"] == 1
        assert refusal(served, aws, STEPS[10])[1] == "AccessDeniedException"


@pytest.mark.parametrize(
    ("condition", "allowed"),
    [
        ({"StringEquals": {"aws:RequestedRegion": "us-east-1"}}, True),
        ({"StringEquals": {"aws:RequestedRegion": ["eu-west-1", "af-south-1"]}}, False),
        ({"StringNotEquals": {"aws:RequestedRegion": "us-east-1"}}, False),
        ({"StringLike": {"aws:RequestedRegion": "us-*"}}, True),
        ({"StringNotLike": {"aws:RequestedRegion": "eu-*"}}, True),
        ({"StringEquals": {"aws:PrincipalAccount": "MEMBER"}}, True),
        ({"StringEquals": {"AWS:PRINCIPALACCOUNT": "111122223333"}}, False),
        ({"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::*:role/{ROLE}"}}, True),
        ({"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::*:user/*"}}, False),
        ({"Bool": {"aws:SecureTransport": False}}, True),
        ({"Bool": {"aws:SecureTransport": "true"}}, False),
        ({"StringEquals": {"sts:ExternalId": "x"}}, False),
        ({"StringEqualsIfExists": {"sts:ExternalId": "x"}}, True),
        ({"StringNotEquals": {"sts:ExternalId": "x"}}, True),
        ({"Null": {"sts:ExternalId": "true"}}, True),
        ({"StringEquals": {"aws:PrincipalOrgID": "ORG"}}, True),
    ],
)
def test_conditions_decide_as_iam_does(
    aws: AwsClients, condition: dict[str, Any], allowed: bool
) -> None:
    probe = Emulator(accounts=3, seed=4)
    member = member_of(probe)
    organization = probe.scoped_truth.organization
    assert organization is not None
    text = (
        json.dumps(condition).replace("MEMBER", member).replace("ORG", organization.organization_id)
    )
    member_policy = policy(allow(["workspaces:*"], Condition=json.loads(text)))
    with Emulator(accounts=3, seed=4, member_policy=member_policy) as served:
        client = session(served, aws, "workspaces", member)
        if allowed:
            client.describe_workspace_images(ImageType="OWNED")
        else:
            with pytest.raises(ClientError, match="AccessDeniedException"):
                client.describe_workspace_images(ImageType="OWNED")


def trusting(principal: str, **condition: Any) -> dict[str, Any]:
    return policy(
        {
            "Effect": "Allow",
            "Principal": {"AWS": principal},
            "Action": "sts:AssumeRole",
            **({"Condition": condition} if condition else {}),
        }
    )


@pytest.mark.parametrize(
    ("trust", "external_id", "allowed"),
    [
        (lambda home: trusting(f"arn:aws:iam::{home}:root"), None, True),
        (lambda home: trusting(home), None, True),
        (lambda home: trusting(f"arn:aws:iam::{home}:user/emulator"), None, True),
        (lambda home: trusting("*"), None, True),
        (lambda home: trusting("arn:aws:iam::111122223333:root"), None, False),
        (lambda home: trusting(home, StringEquals={"sts:ExternalId": "partner-7"}), None, False),
        (lambda home: trusting(home, StringEquals={"sts:ExternalId": "partner-7"}), "nope", False),
        (lambda home: trusting(home, StringEquals={"sts:ExternalId": "partner-7"}), "partner-7", True),
        (lambda home: policy({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                              "Action": "sts:AssumeRole"}), None, False),
    ],
)  # fmt: skip
def test_the_trust_policy_decides_who_may_assume_the_member_role(
    aws: AwsClients,
    trust: Callable[[str], dict[str, Any]],
    external_id: str | None,
    allowed: bool,
) -> None:
    home = Emulator(accounts=2, seed=4).account_id
    with Emulator(accounts=2, seed=4, member_trust_policy=trust(home)) as served:
        member = member_of(served)
        arguments = {"RoleArn": served.role_arn(member), "RoleSessionName": "audit"}
        if external_id is not None:
            arguments["ExternalId"] = external_id
        if allowed:
            aws(served, "sts").assume_role(**arguments)
        else:
            with pytest.raises(ClientError) as caught:
                aws(served, "sts").assume_role(**arguments)
            assert caught.value.response["Error"]["Message"] == (
                f"User: arn:aws:iam::{home}:user/emulator is not authorized to perform:"
                f" sts:AssumeRole on resource: {served.role_arn(member)}"
            )


def test_a_role_the_options_deny_stays_denied_whatever_its_trust_policy(
    aws: AwsClients,
) -> None:
    member = member_of(Emulator(accounts=2, seed=4))
    with (
        Emulator(
            accounts=2, seed=4, deny_role=[member], member_trust_policy=trusting("*")
        ) as served,
        pytest.raises(ClientError, match="AccessDenied"),
    ):
        aws(served, "sts").assume_role(RoleArn=served.role_arn(member), RoleSessionName="audit")


def test_a_policy_may_be_given_as_a_file(tmp_path: Path, aws: AwsClients) -> None:
    path = tmp_path / "caller.json"
    path.write_text(json.dumps(policy(allow(["sts:*"]))))
    with Emulator(accounts=1, seed=4, caller_policy=path) as served:
        assert refusal(served, aws, STEPS[2])[1] == "UnauthorizedOperation"
        with Emulator(accounts=1, seed=4, caller_policy=str(path)) as again:
            assert refusal(again, aws, STEPS[2])[1] == "UnauthorizedOperation"


@pytest.mark.parametrize(
    ("argument", "document", "refusal"),
    [
        ("caller_policy", {"Statement": []}, r"must hold a Statement"),
        ("caller_policy", {"Version": "2020-01-01", "Statement": allow(["*"])}, r"has Version"),
        ("caller_policy", policy({"Action": "*", "Resource": "*"}), r"statement 1 must have Effect"),
        ("caller_policy", policy({"Effect": "Allow", "Resource": "*"}), r"exactly one of Action"),
        ("caller_policy", policy(allow(["*"]), {"Effect": "Allow", "Action": "*"}),
         r"statement 2 must have exactly one of Resource and NotResource"),
        ("caller_policy", policy(allow(["DescribeRegions"])), r"not service:Action"),
        ("caller_policy", policy(allow(["*"], Condition={"NumericEquals": {"aws:RequestedRegion": "1"}})),
         r"condition operator the emulator does not know: NumericEquals"),
        ("caller_policy", policy(allow(["*"], Condition={"StringEquals": {"aws:SourceIp": "1"}})),
         r"condition key aws:SourceIp, which the emulator does not set"),
        ("caller_policy", policy(allow(["*"], Principal={"AWS": "*"})), r"has a Principal"),
        ("caller_policy", policy(allow(["*"], "arn:aws:s3:::${aws:username}/*")), r"policy variable"),
        ("member_policy", policy(allow(["*"], Sid=1, Extra=2)), r"does not evaluate: Extra"),
        ("member_trust_policy", policy(allow(["sts:AssumeRole"])), r"a trust policy may not have"),
        ("member_trust_policy", policy({"Effect": "Allow", "Action": "sts:AssumeRole"}),
         r"must name a Principal"),
        ("member_trust_policy", "/nonexistent/trust.json", r"cannot be read"),
    ],
)  # fmt: skip
def test_a_policy_the_emulator_cannot_evaluate_exactly_is_refused_naming_it(
    argument: str, document: Any, refusal: str
) -> None:
    with pytest.raises(ValueError, match=rf"^{argument} .*{refusal}"):
        Emulator(accounts=1, **{argument: document})


def test_a_file_that_is_not_json_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "policy.json"
    path.write_text("{not json")
    with pytest.raises(ValueError, match=r"^caller_policy is not JSON"):
        Emulator(caller_policy=path)


@pytest.mark.parametrize("argument", ["member_policy", "member_trust_policy"])
def test_member_policies_need_an_organization(argument: str) -> None:
    with pytest.raises(ValueError, match=rf"^{argument} needs an organization"):
        Emulator(**{argument: policy(allow(["*"]))})


def test_a_standalone_callers_policy_governs_it(aws: AwsClients) -> None:
    with Emulator(
        images=2, caller_policy=policy(allow(["workspaces:DescribeWorkspaceImages"]))
    ) as served:
        aws(served, "workspaces").describe_workspace_images(ImageType="OWNED")
        with pytest.raises(ClientError, match="AccessDeniedException"):
            aws(served, "workspaces").describe_workspace_image_permissions(
                ImageId=served.owned_image_ids[0]
            )
