"""The control-plane calls an audit makes, each read strictly: who the caller is, the
organization's members and management account, a role's session, the regions enabled."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

import pytest

from imgperms_async import ClientError, MalformedResponseError, error_code
from imgperms_async._http import HttpResponse
from imgperms_async._organization import _control_plane as control_plane
from imgperms_async._organization._control_plane import (
    Member,
    Operations,
    OrganizationFacts,
    RoleRequest,
)
from imgperms_async._protocol import Operation


@pytest.fixture(scope="module")
def operations() -> Operations:
    return Operations()


def refusal(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "no"}}, "Call")


class Calls:
    """Answers each call with the next of ``answers`` (an exception is raised), recording them."""

    def __init__(self, *answers: dict[str, Any] | Exception) -> None:
        self.answers = list(answers)
        self.asked: list[tuple[str, dict[str, Any]]] = []

    async def __call__(self, operation: Operation, params: Mapping[str, Any]) -> dict[str, Any]:
        self.asked.append((operation.name, dict(params)))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


async def test_the_caller_account_is_get_caller_identitys(operations: Operations) -> None:
    calls = Calls({"Account": "100000000001"})
    assert await control_plane.caller_account_id(calls, operations) == "100000000001"
    assert calls.asked == [("GetCallerIdentity", {})]


async def test_every_page_of_members_is_listed(operations: Operations) -> None:
    calls = Calls(
        {"Accounts": [{"Id": "100000000001", "Name": "a", "Status": "ACTIVE"}], "NextToken": "t"},
        {"Accounts": [{"Id": "100000000002", "Name": "b", "Status": "SUSPENDED"}]},
    )

    members = await control_plane.organization_members(calls, operations)

    assert members == [
        Member("100000000001", "a", "ACTIVE"),
        Member("100000000002", "b", "SUSPENDED"),
    ]
    assert calls.asked == [("ListAccounts", {}), ("ListAccounts", {"NextToken": "t"})]


async def test_the_members_read_so_far_are_told_after_each_page(operations: Operations) -> None:
    calls = Calls(
        {"Accounts": [{"Id": "100000000001"}, {"Id": "100000000002"}], "NextToken": "t"},
        {"Accounts": [{"Id": "100000000003"}]},
    )
    told: list[int] = []

    await control_plane.organization_members(calls, operations, listed=told.append)

    assert told == [2, 3]


@pytest.mark.parametrize(
    "code", ["AWSOrganizationsNotInUseException", "AccessDeniedException", "AccessDenied"]
)
async def test_members_that_may_not_be_listed_are_a_refusal_with_aws_answer(
    operations: Operations, code: str
) -> None:
    with pytest.raises(control_plane.ListingRefused) as refused:
        await control_plane.organization_members(Calls(refusal(code)), operations)
    assert error_code(refused.value.reason) == code


async def test_a_refusal_after_the_first_page_is_an_error_not_a_shorter_organization(
    operations: Operations,
) -> None:
    calls = Calls(
        {"Accounts": [{"Id": "100000000001"}], "NextToken": "t"},
        refusal("AccessDeniedException"),
    )
    with pytest.raises(ClientError):
        await control_plane.organization_members(calls, operations)


async def test_any_other_refusal_to_list_is_raised(operations: Operations) -> None:
    with pytest.raises(ClientError):
        await control_plane.organization_members(
            Calls(refusal("TooManyRequestsException")), operations
        )


async def test_the_organization_names_its_management_account(operations: Operations) -> None:
    calls = Calls({"Organization": {"Id": "o-abc", "MasterAccountId": "100000000001"}})
    assert await control_plane.organization_facts(calls, operations) == OrganizationFacts(
        "o-abc", "100000000001"
    )


async def test_a_caller_in_no_organization_has_no_facts(operations: Operations) -> None:
    calls = Calls(refusal("AWSOrganizationsNotInUseException"))
    assert await control_plane.organization_facts(calls, operations) is None


async def test_a_missing_permission_to_describe_the_organization_is_raised(
    operations: Operations,
) -> None:
    with pytest.raises(ClientError):
        await control_plane.organization_facts(Calls(refusal("AccessDeniedException")), operations)


def session_answer() -> dict[str, Any]:
    return {
        "Credentials": {
            "AccessKeyId": "ASIAROLE",
            "SecretAccessKey": "role-secret",
            "SessionToken": "role-token",
            "Expiration": datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC),
        }
    }


async def test_a_role_session_is_asked_for_as_requested(operations: Operations) -> None:
    calls = Calls(session_answer())
    request = RoleRequest("arn:aws:iam::100000000002:role/Auditor", "imgperms", 900, "xid-1")

    session = await control_plane.assume_role(calls, operations, request)

    assert calls.asked == [
        (
            "AssumeRole",
            {
                "RoleArn": "arn:aws:iam::100000000002:role/Auditor",
                "RoleSessionName": "imgperms",
                "DurationSeconds": 900,
                "ExternalId": "xid-1",
            },
        )
    ]
    assert (session.credentials.access_key, session.credentials.token) == ("ASIAROLE", "role-token")
    assert session.expires_at == datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC).timestamp()


async def test_no_external_id_is_sent_when_none_is_given(operations: Operations) -> None:
    calls = Calls(session_answer())
    request = RoleRequest("arn:aws:iam::100000000002:role/Auditor", "imgperms", 900)

    await control_plane.assume_role(calls, operations, request)

    assert "ExternalId" not in calls.asked[0][1]


def test_a_role_requests_external_id_is_not_in_its_repr() -> None:
    request = RoleRequest("arn:aws:iam::100000000002:role/A", "s", 900, "request-external-id")
    assert "request-external-id" not in repr(request)


async def test_enabled_regions_leave_out_those_not_opted_in(operations: Operations) -> None:
    calls = Calls(
        {
            "Regions": [
                {"RegionName": "us-east-1", "OptInStatus": "opt-in-not-required"},
                {"RegionName": "af-south-1", "OptInStatus": "not-opted-in"},
                {"RegionName": "eu-south-1", "OptInStatus": "opted-in"},
                {"RegionName": "eu-west-1"},
            ]
        }
    )

    regions = await control_plane.enabled_regions(calls, operations)

    assert regions == frozenset({"us-east-1", "eu-south-1", "eu-west-1"})
    assert calls.asked == [("DescribeRegions", {"AllRegions": False})]


async def test_a_region_not_enabled_for_the_call_means_every_region_is_tried(
    operations: Operations,
) -> None:
    assert await control_plane.enabled_regions(Calls(refusal("AuthFailure")), operations) is None


async def test_any_other_refusal_of_describe_regions_fails_the_account(
    operations: Operations,
) -> None:
    with pytest.raises(ClientError):
        await control_plane.enabled_regions(Calls(refusal("UnauthorizedOperation")), operations)


def test_the_answers_the_control_plane_cannot_do_without_are_required(
    operations: Operations,
) -> None:
    answer = HttpResponse(200, {}, b'{"Accounts": [{"Name": "no id"}]}', 0.0, 0.0)
    with pytest.raises(MalformedResponseError, match=r"Accounts\[0\]: Id is missing"):
        operations.list_accounts.result({}, answer)
