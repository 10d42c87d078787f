"""Applying an unshare plan acts on the present: the organization is read again, each image's
shares are read before and after, and a share with the organization is never removed, whatever
the report said (an in-memory AWS, no network)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from imgperms_async import (
    Action,
    ClientConfig,
    HttpRequest,
    Identity,
    MockResponse,
    MockTransport,
    Plan,
    Unshare,
    UnshareRefused,
    apply_unshares,
)

CALLER = "100000000001"
MEMBER = "100000000002"
OUTSIDER = "200000000001"
OTHER_OUTSIDER = "200000000002"
IMAGE = "wsi-aaaaaaaaa"
IDENTITY = Identity(
    region_name="us-east-1",
    endpoint_url="http://aws.test",
    aws_access_key_id="AKIDUNSHARE",
    aws_secret_access_key="unshare-secret",
)


def json_answer(body: dict[str, Any], status: int = 200) -> MockResponse:
    return MockResponse(status, {}, json.dumps(body).encode())


class FakeAws:
    """STS, Organizations and WorkSpaces of the caller's organization: one image, its shares."""

    def __init__(self, shares: list[str], *, members: list[str] | None = None) -> None:
        self.shares = list(shares)
        self.members = members
        """Accounts ListAccounts gives; ``None``: the caller may not list them."""
        self.sticky: set[str] = set()
        """Accounts whose share an update leaves in place."""
        self.updates: list[dict[str, Any]] = []

    def __call__(self, request: HttpRequest) -> MockResponse:
        if b"Action=GetCallerIdentity" in request.body:
            return MockResponse(
                body=(
                    "<GetCallerIdentityResponse><GetCallerIdentityResult>"
                    f"<Account>{CALLER}</Account><Arn>arn:aws:iam::{CALLER}:user/me</Arn>"
                    "<UserId>AIDA</UserId></GetCallerIdentityResult>"
                    "</GetCallerIdentityResponse>"
                ).encode()
            )
        service, operation = request.headers["X-Amz-Target"].split(".")
        params = json.loads(request.body)
        if operation == "ListAccounts":
            if self.members is None:
                return json_answer({"__type": "AccessDeniedException", "Message": "no"}, 400)
            return json_answer(
                {"Accounts": [{"Id": a, "Name": a, "Status": "ACTIVE"} for a in self.members]}
            )
        if operation == "DescribeOrganization":
            return json_answer({"Organization": {"Id": "o-abc", "MasterAccountId": CALLER}})
        if operation == "UpdateWorkspaceImagePermission":
            self.updates.append(params)
            if params["SharedAccountId"] not in self.sticky:
                self.shares.remove(params["SharedAccountId"])
            return json_answer({})
        assert operation == "DescribeWorkspaceImagePermissions", (service, operation)
        return json_answer(
            {"ImageId": params["ImageId"], "ImagePermissions": [
                {"SharedAccountId": a} for a in self.shares
            ]}
        )  # fmt: skip


def plan_of(*accounts: str, owner: str | None = CALLER) -> Plan:
    return Plan((Unshare(owner, "owner", "us-east-1", IMAGE, accounts),))


async def apply(aws: FakeAws, plan: Plan, **options: Any) -> tuple[Any, list[Action]]:
    actions: list[Action] = []
    applied = await apply_unshares(
        plan,
        identity=IDENTITY,
        config=ClientConfig(max_attempts=1),
        transport=MockTransport(aws),
        on_action=actions.append,
        **options,
    )
    return applied, actions


def outcomes(actions: list[Action]) -> list[tuple[str, str]]:
    return [(action.account, action.outcome) for action in actions]


async def test_an_outside_share_is_unshared_and_verified() -> None:
    aws = FakeAws([MEMBER, OUTSIDER], members=[CALLER, MEMBER])

    applied, actions = await apply(aws, plan_of(OUTSIDER))

    assert aws.updates == [{"ImageId": IMAGE, "SharedAccountId": OUTSIDER, "AllowCopyImage": False}]
    assert outcomes(actions) == [(OUTSIDER, "unshared"), (OUTSIDER, "verified")]
    assert (applied.unshared, applied.failures) == (1, [])
    assert aws.shares == [MEMBER]


async def test_a_share_already_gone_is_already_done_and_not_written() -> None:
    aws = FakeAws([MEMBER], members=[CALLER, MEMBER])

    applied, actions = await apply(aws, plan_of(OUTSIDER))

    assert aws.updates == []
    assert outcomes(actions) == [(OUTSIDER, "already_done")]
    assert applied.already_done == 1


async def test_an_account_in_the_organization_now_is_left_alone_whatever_the_report_said() -> None:
    aws = FakeAws([OUTSIDER, OTHER_OUTSIDER], members=[CALLER, OUTSIDER])

    applied, actions = await apply(aws, plan_of(OUTSIDER, OTHER_OUTSIDER))

    assert [update["SharedAccountId"] for update in aws.updates] == [OTHER_OUTSIDER]
    assert OUTSIDER not in {action.account for action in actions}
    assert applied.left_alone == [(OUTSIDER, "a member of your organization, read now")]
    assert OUTSIDER in aws.shares


async def test_a_share_still_there_after_unsharing_is_a_failure() -> None:
    aws = FakeAws([OUTSIDER], members=[CALLER])
    aws.sticky.add(OUTSIDER)

    applied, actions = await apply(aws, plan_of(OUTSIDER))

    assert outcomes(actions) == [(OUTSIDER, "unshared"), (OUTSIDER, "still_shared")]
    assert [failure.outcome for failure in applied.failures] == ["still_shared"]


async def test_a_report_of_an_account_outside_the_organization_is_refused_before_any_change() -> (
    None
):
    aws = FakeAws([OUTSIDER], members=[CALLER, MEMBER])

    with pytest.raises(UnshareRefused, match=f"the report is for account {OTHER_OUTSIDER}"):
        await apply(aws, plan_of(OUTSIDER, owner=OTHER_OUTSIDER))

    assert aws.updates == []


async def test_without_the_organization_nothing_unnamed_is_unshared() -> None:
    aws = FakeAws([OUTSIDER], members=None)

    with pytest.raises(UnshareRefused, match="name the accounts to unshare"):
        await apply(aws, plan_of(OUTSIDER))

    assert aws.updates == []


async def test_without_the_organization_only_the_accounts_named_are_unshared() -> None:
    aws = FakeAws([OUTSIDER, OTHER_OUTSIDER], members=None)

    applied, _ = await apply(aws, plan_of(OUTSIDER, OTHER_OUTSIDER), named=[OUTSIDER])

    assert [update["SharedAccountId"] for update in aws.updates] == [OUTSIDER]
    assert applied.left_alone == [(OTHER_OUTSIDER, "not named, and the organization is unknown")]


async def test_a_one_account_plan_unshares_the_callers_own_image() -> None:
    aws = FakeAws([OUTSIDER], members=[CALLER])

    applied, actions = await apply(aws, plan_of(OUTSIDER, owner=None))

    assert applied.unshared == 1
    assert actions[0].unshare.account_id == CALLER


async def test_what_applying_cost_is_counted() -> None:
    aws = FakeAws([OUTSIDER], members=[CALLER])

    applied, _ = await apply(aws, plan_of(OUTSIDER))

    # STS, ListAccounts, DescribeOrganization; then read, unshare, read again.
    assert applied.totals.requests == 6
