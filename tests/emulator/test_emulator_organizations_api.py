"""Organizations against boto3: the organization as its management account and members see it."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from emulator_support import AwsClients, assumed_keys

from imgperms_async.emulator import Emulator


def member_keys(organization: Emulator, aws: AwsClients, member: str) -> dict[str, str]:
    answer = aws(organization, "sts").assume_role(
        RoleArn=organization.role_arn(member), RoleSessionName="audit"
    )
    return assumed_keys(answer["Credentials"])


def active_members(organization: Emulator) -> list[str]:
    truth = organization.scoped_truth.organization
    assert truth is not None
    return [a.account_id for a in truth.accounts[1:] if a.status == "ACTIVE"]


def test_the_management_account_describes_its_organization(
    organization: Emulator, aws: AwsClients
) -> None:
    truth = organization.scoped_truth.organization
    assert truth is not None
    described = aws(organization, "organizations").describe_organization()["Organization"]
    management = organization.account_id
    assert described == {
        "Id": truth.organization_id,
        "Arn": f"arn:aws:organizations::{management}:organization/{truth.organization_id}",
        "FeatureSet": "ALL",
        "MasterAccountArn": (
            f"arn:aws:organizations::{management}:account/{truth.organization_id}/{management}"
        ),
        "MasterAccountId": management,
        "MasterAccountEmail": truth.accounts[0].email,
        "AvailablePolicyTypes": [{"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"}],
    }


def test_a_member_describes_the_same_organization(organization: Emulator, aws: AwsClients) -> None:
    keys = member_keys(organization, aws, active_members(organization)[0])
    seen = aws(organization, "organizations", **keys).describe_organization()["Organization"]
    assert seen["MasterAccountId"] == organization.account_id


def test_list_accounts_pages_through_every_account_in_order(
    organization: Emulator, aws: AwsClients
) -> None:
    truth = organization.scoped_truth.organization
    assert truth is not None
    client = aws(organization, "organizations")
    pages = list(client.get_paginator("list_accounts").paginate(PaginationConfig={"PageSize": 2}))
    assert [len(page["Accounts"]) for page in pages] == [2, 2, 2, 1]
    listed = [account for page in pages for account in page["Accounts"]]
    assert [(a["Id"], a["Name"], a["Email"], a["Status"]) for a in listed] == [
        (a.account_id, a.name, a.email, a.status) for a in truth.accounts
    ]
    assert {a["JoinedMethod"] for a in listed} <= {"CREATED", "INVITED"}
    assert all(a["Arn"].endswith(f"/{truth.organization_id}/{a['Id']}") for a in listed)


def test_list_accounts_without_max_results_returns_20_a_page(aws: AwsClients) -> None:
    with Emulator(accounts=24, seed=1, images=0) as served:
        first = aws(served, "organizations").list_accounts()
    assert len(first["Accounts"]) == 20
    assert "NextToken" in first


@pytest.mark.parametrize(
    ("arguments", "reason"),
    [
        ({"MaxResults": 21}, "MAX_VALUE_EXCEEDED"),
        ({"NextToken": "forged"}, "INVALID_NEXT_TOKEN"),
    ],
)
def test_list_accounts_refuses_what_the_model_does_not_allow(
    organization: Emulator, aws: AwsClients, arguments: dict[str, Any], reason: str
) -> None:
    with pytest.raises(ClientError) as caught:
        aws(organization, "organizations").list_accounts(**arguments)
    assert caught.value.response["Error"]["Code"] == "InvalidInputException"
    assert caught.value.response["Reason"] == reason


def test_a_member_that_is_not_a_delegated_administrator_cannot_list_accounts(
    organization: Emulator, aws: AwsClients
) -> None:
    keys = member_keys(organization, aws, active_members(organization)[0])
    with pytest.raises(ClientError) as caught:
        aws(organization, "organizations", **keys).list_accounts()
    assert caught.value.response["Error"] == {
        "Code": "AccessDeniedException",
        "Message": "You don't have permissions to access this resource.",
    }


def test_a_delegated_administrator_lists_the_accounts(aws: AwsClients) -> None:
    admin = active_members(Emulator(accounts=3, seed=2))[0]
    with Emulator(accounts=3, seed=2, delegated_admins=[admin]) as served:
        keys = member_keys(served, aws, admin)
        listed = aws(served, "organizations", **keys).list_accounts()["Accounts"]
    assert len(listed) == 4


@pytest.mark.parametrize("operation", ["describe_organization", "list_accounts"])
def test_a_standalone_account_is_in_no_organization(
    threaded_emulator: Emulator, aws: AwsClients, operation: str
) -> None:
    with pytest.raises(ClientError) as caught:
        getattr(aws(threaded_emulator, "organizations"), operation)()
    assert caught.value.response["Error"] == {
        "Code": "AWSOrganizationsNotInUseException",
        "Message": "Your account is not a member of an organization.",
    }
