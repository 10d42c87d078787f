"""STS against boto3: who am I, and AssumeRole into each member, with the role's every refusal."""

from __future__ import annotations

import time
from typing import Any

import pytest
from botocore.exceptions import ClientError
from emulator_support import AwsClients, assumed_keys
from fakes import FakeClock

from imgperms_async.emulator import Emulator, ScopedTruth


def account_ids(truth: ScopedTruth, **where: str) -> list[str]:
    assert truth.organization is not None
    return [
        account.account_id
        for account in truth.organization.accounts[1:]
        if all(getattr(account, key) == value for key, value in where.items())
    ]


def error_of(caught: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    error = caught.value.response["Error"]
    return error["Code"], error["Message"]


def all_permissions(client: Any, image_id: str) -> tuple[str, ...]:
    paginator_pages = [client.describe_workspace_image_permissions(ImageId=image_id)]
    while "NextToken" in paginator_pages[-1]:
        paginator_pages.append(
            client.describe_workspace_image_permissions(
                ImageId=image_id, NextToken=paginator_pages[-1]["NextToken"]
            )
        )
    return tuple(
        permission["SharedAccountId"]
        for page in paginator_pages
        for permission in page["ImagePermissions"]
    )


def test_caller_identity_of_a_standalone_account(
    threaded_emulator: Emulator, aws: AwsClients
) -> None:
    identity = aws(threaded_emulator, "sts").get_caller_identity()
    assert identity["Account"] == threaded_emulator.account_id
    assert identity["Arn"] == f"arn:aws:iam::{threaded_emulator.account_id}:user/emulator"
    assert identity["UserId"].startswith("AIDA")


def test_caller_identity_of_the_management_account(organization: Emulator, aws: AwsClients) -> None:
    identity = aws(organization, "sts").get_caller_identity()
    assert identity["Account"] == organization.account_id


def test_assuming_the_role_in_every_member_lists_its_images_in_every_region(
    organization: Emulator, aws: AwsClients
) -> None:
    truth = organization.scoped_truth
    sts = aws(organization, "sts")
    for account in account_ids(truth, status="ACTIVE"):
        keys = assumed_keys(
            sts.assume_role(RoleArn=organization.role_arn(account), RoleSessionName="audit")[
                "Credentials"
            ]
        )
        for region, images in truth.images[account].items():
            workspaces = aws(organization, "workspaces", region=region, **keys)
            listed = workspaces.get_paginator("describe_workspace_images").paginate(
                ImageType="OWNED"
            )
            ids = [image["ImageId"] for page in listed for image in page["Images"]]
            assert {image: all_permissions(workspaces, image) for image in ids} == images


def test_the_session_is_the_roles_in_that_account(organization: Emulator, aws: AwsClients) -> None:
    member = account_ids(organization.scoped_truth, status="ACTIVE")[0]
    answer = aws(organization, "sts").assume_role(
        RoleArn=organization.role_arn(member), RoleSessionName="audit-7"
    )
    identity = aws(organization, "sts", **assumed_keys(answer["Credentials"])).get_caller_identity()
    arn = f"arn:aws:sts::{member}:assumed-role/OrganizationAccountAccessRole/audit-7"
    assert answer["AssumedRoleUser"]["Arn"] == identity["Arn"] == arn
    assert identity["Account"] == member
    assert identity["UserId"] == answer["AssumedRoleUser"]["AssumedRoleId"]
    assert identity["UserId"].startswith("AROA")
    assert identity["UserId"].endswith(":audit-7")


def test_temporary_credentials_reach_their_own_account_only(
    organization: Emulator, aws: AwsClients
) -> None:
    truth = organization.scoped_truth
    member = account_ids(truth, status="ACTIVE")[0]
    keys = assumed_keys(
        aws(organization, "sts").assume_role(
            RoleArn=organization.role_arn(member), RoleSessionName="audit"
        )["Credentials"]
    )
    management_image = next(iter(truth.images[organization.account_id]["us-east-1"]))
    with pytest.raises(ClientError) as caught:
        aws(organization, "workspaces", **keys).describe_workspace_image_permissions(
            ImageId=management_image
        )
    assert error_of(caught)[0] == "ResourceNotFoundException"


def test_a_session_lasts_an_hour_by_default_and_carries_a_token(aws: AwsClients) -> None:
    clock = FakeClock(start=time.time())
    with Emulator(accounts=2, seed=1, clock=clock) as served:
        member = account_ids(served.scoped_truth)[0]
        credentials = aws(served, "sts").assume_role(
            RoleArn=served.role_arn(member), RoleSessionName="audit"
        )["Credentials"]
    assert credentials["AccessKeyId"].startswith("ASIA")
    assert len(credentials["SessionToken"]) > 100
    assert credentials["Expiration"].timestamp() == pytest.approx(clock.now + 3600, abs=1)


def test_the_same_seed_issues_the_same_keys(aws: AwsClients) -> None:
    issued = []
    for _ in range(2):
        with Emulator(accounts=2, seed=1) as served:
            member = account_ids(served.scoped_truth)[0]
            answer = aws(served, "sts").assume_role(
                RoleArn=served.role_arn(member), RoleSessionName="audit"
            )
            issued.append(answer["Credentials"]["AccessKeyId"])
    assert issued[0] == issued[1]


def test_a_denied_role_answers_access_denied(aws: AwsClients) -> None:
    member = account_ids(Emulator(accounts=3, seed=1).scoped_truth)[0]
    with (
        Emulator(accounts=3, seed=1, deny_role=[member]) as served,
        pytest.raises(ClientError) as caught,
    ):
        aws(served, "sts").assume_role(RoleArn=served.role_arn(member), RoleSessionName="audit")
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert error_of(caught) == (
        "AccessDenied",
        f"User: arn:aws:iam::{served.account_id}:user/emulator is not authorized to perform:"
        f" sts:AssumeRole on resource: {served.role_arn(member)}",
    )


@pytest.mark.parametrize("external_id", [None, "not-the-one"])
def test_an_external_id_role_refuses_without_its_external_id(
    aws: AwsClients, external_id: str | None
) -> None:
    member = account_ids(Emulator(accounts=3, seed=1).scoped_truth)[0]
    extra = {} if external_id is None else {"ExternalId": external_id}
    with (
        Emulator(accounts=3, seed=1, external_id_role=[member]) as served,
        pytest.raises(ClientError) as caught,
    ):
        aws(served, "sts").assume_role(
            RoleArn=served.role_arn(member), RoleSessionName="audit", **extra
        )
    assert error_of(caught)[0] == "AccessDenied"


def test_an_external_id_role_admits_its_external_id(aws: AwsClients) -> None:
    member = account_ids(Emulator(accounts=3, seed=1).scoped_truth)[0]
    with Emulator(accounts=3, seed=1, external_id_role=[member]) as served:
        answer = aws(served, "sts").assume_role(
            RoleArn=served.role_arn(member), RoleSessionName="audit", ExternalId=served.external_id
        )
    assert answer["AssumedRoleUser"]["Arn"].startswith(f"arn:aws:sts::{member}:")


def test_other_roles_accept_an_external_id_they_do_not_need(
    organization: Emulator, aws: AwsClients
) -> None:
    member = account_ids(organization.scoped_truth, status="ACTIVE")[0]
    answer = aws(organization, "sts").assume_role(
        RoleArn=organization.role_arn(member), RoleSessionName="audit", ExternalId="anything"
    )
    assert answer["Credentials"]["AccessKeyId"]


@pytest.mark.parametrize(
    "target",
    ["suspended", "management", "stranger", "other role name", "path"],
)
def test_roles_that_cannot_be_entered_answer_access_denied(
    organization: Emulator, aws: AwsClients, target: str
) -> None:
    truth = organization.scoped_truth
    member = account_ids(truth, status="ACTIVE")[0]
    role_arn = {
        "suspended": organization.role_arn(account_ids(truth, status="SUSPENDED")[0]),
        "management": organization.role_arn(organization.account_id),
        "stranger": organization.role_arn("999999999999"),
        "other role name": f"arn:aws:iam::{member}:role/Admin",
        "path": f"arn:aws:iam::{member}:role/team/OrganizationAccountAccessRole",
    }[target]
    with pytest.raises(ClientError) as caught:
        aws(organization, "sts").assume_role(RoleArn=role_arn, RoleSessionName="audit")
    assert error_of(caught)[0] == "AccessDenied"


def test_a_members_session_cannot_enter_another_member(
    organization: Emulator, aws: AwsClients
) -> None:
    first, second = account_ids(organization.scoped_truth, status="ACTIVE")[:2]
    keys = assumed_keys(
        aws(organization, "sts").assume_role(
            RoleArn=organization.role_arn(first), RoleSessionName="audit"
        )["Credentials"]
    )
    with pytest.raises(ClientError) as caught:
        aws(organization, "sts", **keys).assume_role(
            RoleArn=organization.role_arn(second), RoleSessionName="hop"
        )
    assert error_of(caught)[0] == "AccessDenied"


def test_no_role_exists_in_a_standalone_account(
    threaded_emulator: Emulator, aws: AwsClients
) -> None:
    with pytest.raises(ClientError) as caught:
        aws(threaded_emulator, "sts").assume_role(
            RoleArn="arn:aws:iam::123456789012:role/OrganizationAccountAccessRole",
            RoleSessionName="audit",
        )
    assert error_of(caught)[0] == "AccessDenied"


def test_more_than_the_roles_hour_is_a_validation_error(
    organization: Emulator, aws: AwsClients
) -> None:
    member = account_ids(organization.scoped_truth, status="ACTIVE")[0]
    with pytest.raises(ClientError) as caught:
        aws(organization, "sts").assume_role(
            RoleArn=organization.role_arn(member), RoleSessionName="audit", DurationSeconds=3601
        )
    assert error_of(caught) == (
        "ValidationError",
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
    )


@pytest.mark.parametrize(
    ("extra", "member"),
    [
        ({"RoleSessionName": "sessé"}, "roleSessionName"),
        ({"RoleSessionName": "a" * 65}, "roleSessionName"),
        ({"RoleSessionName": "audit", "ExternalId": "ïd-1"}, "externalId"),
        ({"RoleSessionName": "audit", "DurationSeconds": 43_201}, "durationSeconds"),
    ],
    ids=["non-ascii", "too-long", "non-ascii-external-id", "over-12-h"],
)
def test_assume_role_parameters_are_held_to_stss_constraints(
    organization: Emulator, aws: AwsClients, extra: dict[str, Any], member: str
) -> None:
    account = account_ids(organization.scoped_truth, status="ACTIVE")[0]
    with pytest.raises(ClientError) as caught:
        aws(organization, "sts").assume_role(RoleArn=organization.role_arn(account), **extra)
    code, message = error_of(caught)
    assert code == "ValidationError"
    assert f"at '{member}' failed to satisfy constraint" in message


SERVICES_AFTER_EXPIRY = [
    ("workspaces", "describe_workspace_images", {}, "ExpiredTokenException"),
    ("sts", "get_caller_identity", {}, "ExpiredToken"),
    ("organizations", "describe_organization", {}, "ExpiredTokenException"),
    ("ec2", "describe_regions", {}, "RequestExpired"),
    ("resourcegroupstaggingapi", "get_resources", {}, "ExpiredTokenException"),
]


@pytest.mark.parametrize(("service", "operation", "arguments", "code"), SERVICES_AFTER_EXPIRY)
def test_every_service_refuses_a_session_once_it_expired(
    aws: AwsClients, service: str, operation: str, arguments: dict[str, Any], code: str
) -> None:
    clock = FakeClock(start=time.time())
    with Emulator(accounts=2, seed=1, clock=clock, credential_duration=60) as served:
        member = account_ids(served.scoped_truth)[0]
        keys = assumed_keys(
            aws(served, "sts").assume_role(
                RoleArn=served.role_arn(member), RoleSessionName="audit"
            )["Credentials"]
        )
        client = aws(served, service, **keys)
        getattr(client, operation)(**arguments)
        clock.now += 61
        with pytest.raises(ClientError) as caught:
            getattr(client, operation)(**arguments)
    assert caught.value.response["Error"]["Code"] == code


def test_credential_duration_sets_the_expiration_announced(aws: AwsClients) -> None:
    clock = FakeClock(start=time.time())
    with Emulator(accounts=2, seed=1, clock=clock, credential_duration=90) as served:
        member = account_ids(served.scoped_truth)[0]
        expiration = aws(served, "sts").assume_role(
            RoleArn=served.role_arn(member), RoleSessionName="audit", DurationSeconds=900
        )["Credentials"]["Expiration"]
    assert expiration.timestamp() == pytest.approx(clock.now + 90, abs=1)
