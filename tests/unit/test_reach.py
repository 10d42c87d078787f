"""Reaching an account: the caller's own credentials in its own account, a role assumed once per
account (each hop of a chain signed by the one before) everywhere else (an in-memory STS)."""

from __future__ import annotations

import asyncio
import re
import time
from calendar import timegm
from email.utils import formatdate
from typing import Any
from urllib.parse import parse_qs

import pytest
from fakes import settle

from imgperms_async import (
    Account,
    ClientConfig,
    ClientError,
    HttpRequest,
    Identity,
    MockResponse,
    MockTransport,
    Role,
)
from imgperms_async._mock_transport import Handler
from imgperms_async._organization._reach import Reach

CALLER = "100000000001"
MEMBER = "100000000002"
HUB = "arn:aws:iam::100000000003:role/Hub"
IDENTITY = Identity(
    region_name="eu-west-1",
    endpoint_url="http://aws.test",
    aws_access_key_id="AKIDCALLER",
    aws_secret_access_key="caller-secret",
)


class FakeSts:
    """GetCallerIdentity and AssumeRole; each session's key names the role it is for."""

    def __init__(self, *, clock_ahead_secs: float = 0.0) -> None:
        self.assumed: list[dict[str, str]] = []
        self.denied: set[str] = set()
        self.clock_ahead_secs = clock_ahead_secs

    def __call__(self, request: HttpRequest) -> MockResponse:
        params = {key: values[0] for key, values in parse_qs(request.body.decode()).items()}
        signer = re.search(r"Credential=([^/]+)/", request.headers["Authorization"])
        assert signer is not None
        if params["Action"] == "GetCallerIdentity":
            return MockResponse(
                body=(
                    "<GetCallerIdentityResponse><GetCallerIdentityResult>"
                    f"<Account>{CALLER}</Account><Arn>arn:aws:iam::{CALLER}:user/me</Arn>"
                    "<UserId>AIDA</UserId></GetCallerIdentityResult></GetCallerIdentityResponse>"
                ).encode()
            )
        assert params["Action"] == "AssumeRole"
        signed_at = request.headers["X-Amz-Date"]
        self.assumed.append({**params, "signed_by": signer[1], "signed_at": signed_at})
        if params["RoleArn"] in self.denied:
            return MockResponse(
                403,
                {},
                b"<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>"
                b"<Message>not allowed</Message></Error></ErrorResponse>",
            )
        expires = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
        key = "ASIA" + params["RoleArn"].rsplit("/", 1)[1].upper()
        return MockResponse(
            headers={"Date": formatdate(time.time() + self.clock_ahead_secs, usegmt=True)},
            body=(
                "<AssumeRoleResponse><AssumeRoleResult><Credentials>"
                f"<AccessKeyId>{key}</AccessKeyId><SecretAccessKey>s-{key}</SecretAccessKey>"
                f"<SessionToken>t-{key}</SessionToken><Expiration>{expires}</Expiration>"
                "</Credentials></AssumeRoleResult></AssumeRoleResponse>"
            ).encode(),
        )


def reach(sts: Handler, role: Role | None = None) -> Reach:
    config = ClientConfig(max_attempts=1)
    return Reach(
        IDENTITY,
        role=role or Role(),
        config=config,
        scope_config=config,
        transport=MockTransport(sts),
    )


async def access_key(reached: Reach, account: Account) -> str:
    return (await (await reached.credentials(account)).get()).access_key


async def test_the_callers_own_account_is_reached_with_its_own_credentials() -> None:
    sts = FakeSts()
    async with reach(sts) as reached:
        assert await access_key(reached, Account(CALLER)) == "AKIDCALLER"
        assert reached.roles_assumed == 0
    assert sts.assumed == []


async def test_another_account_is_reached_through_the_role_in_the_home_partition() -> None:
    sts = FakeSts()
    async with reach(sts, Role(name="Auditor", session_name="audit-run")) as reached:
        assert await access_key(reached, Account(MEMBER)) == "ASIAAUDITOR"
    [assumed] = sts.assumed
    assert assumed["RoleArn"] == f"arn:aws:iam::{MEMBER}:role/Auditor"
    assert assumed["RoleSessionName"] == "audit-run"
    assert assumed["DurationSeconds"] == "3600"
    assert assumed["signed_by"] == "AKIDCALLER"


async def test_an_account_asked_for_at_once_many_times_is_assumed_once() -> None:
    sts = FakeSts()
    async with reach(sts) as reached:
        sources = await asyncio.gather(*(reached.credentials(Account(MEMBER)) for _ in range(10)))
        assert len({id(source) for source in sources}) == 1
        assert reached.roles_assumed == 1
    assert len(sts.assumed) == 1


async def test_every_role_is_assumed_at_the_callers_one_sts_pace_and_clock() -> None:
    # STS counts its quota per calling account: a thousand roles are a thousand calls of one
    # caller. What the first answer taught (here, that the local clock is an hour behind)
    # holds for the next account's call too.
    sts = FakeSts(clock_ahead_secs=3600)
    async with reach(sts) as reached:
        await reached.credentials(Account(MEMBER))
        await reached.credentials(Account("100000000004"))
    first, second = (timegm(time.strptime(a["signed_at"], "%Y%m%dT%H%M%SZ")) for a in sts.assumed)
    assert first == pytest.approx(time.time(), abs=60)
    assert second == pytest.approx(time.time() + 3600, abs=60)


async def test_each_hop_of_a_chain_is_assumed_with_the_keys_of_the_one_before() -> None:
    sts = FakeSts()
    role_arn = f"arn:aws:iam::{MEMBER}:role/Auditor"
    async with reach(sts) as reached:
        key = await access_key(reached, Account(MEMBER, role_arn=role_arn, role_chain=(HUB,)))
    assert key == "ASIAAUDITOR"
    assert [(a["RoleArn"], a["signed_by"]) for a in sts.assumed] == [
        (HUB, "AKIDCALLER"),
        (role_arn, "ASIAHUB"),
    ]


def spoke(account_id: str, *, external_id: str | None = None) -> Account:
    role_arn = f"arn:aws:iam::{account_id}:role/Auditor"
    return Account(account_id, role_arn=role_arn, role_chain=(HUB,), external_id=external_id)


async def test_a_hub_that_many_accounts_chain_through_is_assumed_once_for_them_all() -> None:
    sts = FakeSts()
    async with reach(sts) as reached:
        await asyncio.gather(*(reached.credentials(spoke(n)) for n in (MEMBER, "100000000004")))
    assert sorted((a["RoleArn"], a["signed_by"]) for a in sts.assumed) == [
        (f"arn:aws:iam::{MEMBER}:role/Auditor", "ASIAHUB"),
        (HUB, "AKIDCALLER"),
        ("arn:aws:iam::100000000004:role/Auditor", "ASIAHUB"),
    ]


async def test_a_hub_asked_for_with_another_external_id_is_another_session() -> None:
    sts = FakeSts()
    async with reach(sts) as reached:
        await reached.credentials(spoke(MEMBER, external_id="one"))
        await reached.credentials(spoke("100000000004", external_id="two"))
    hub_sessions = [a["ExternalId"] for a in sts.assumed if a["RoleArn"] == HUB]
    assert hub_sessions == ["one", "two"]


async def test_closing_cancels_a_hub_session_still_being_asked_for() -> None:
    sts = FakeSts()
    asked = asyncio.Event()

    async def unanswered_hub(request: HttpRequest) -> MockResponse:
        if b"Action=AssumeRole" in request.body:
            asked.set()
            await asyncio.Event().wait()
        return sts(request)

    async with reach(unanswered_hub) as reached:
        asking = asyncio.create_task(reached.credentials(spoke(MEMBER)))
        await asked.wait()
    await settle()

    assert asking.cancelled()
    assert asyncio.all_tasks() == {asyncio.current_task()}


async def test_the_accounts_external_id_beats_the_roles_and_is_sent_on_every_hop() -> None:
    sts = FakeSts()
    role_arn = f"arn:aws:iam::{MEMBER}:role/Auditor"
    account = Account(MEMBER, role_arn=role_arn, role_chain=(HUB,), external_id="account-xid")
    async with reach(sts, Role(external_id="role-xid")) as reached:
        await reached.credentials(account)
    assert [a["ExternalId"] for a in sts.assumed] == ["account-xid", "account-xid"]


async def test_the_roles_external_id_is_sent_when_the_account_has_none() -> None:
    sts = FakeSts()
    async with reach(sts, Role(external_id="role-xid")) as reached:
        await reached.credentials(Account(MEMBER))
    assert sts.assumed[0]["ExternalId"] == "role-xid"


async def test_a_denied_role_fails_once_and_is_not_asked_again() -> None:
    sts = FakeSts()
    sts.denied.add(f"arn:aws:iam::{MEMBER}:role/OrganizationAccountAccessRole")
    async with reach(sts) as reached:
        for _ in range(2):
            with pytest.raises(ClientError, match="AccessDenied"):
                await reached.credentials(Account(MEMBER))
    assert len(sts.assumed) == 1


async def test_the_caller_is_asked_who_it_is_once() -> None:
    asked: list[Any] = []
    sts = FakeSts()

    def counting(request: HttpRequest) -> MockResponse:
        asked.append(request.body)
        return sts(request)

    config = ClientConfig(max_attempts=1)
    reached = Reach(
        IDENTITY, role=Role(), config=config, scope_config=config, transport=MockTransport(counting)
    )
    async with reached:
        ids = await asyncio.gather(*(reached.caller_account_id() for _ in range(5)))
    assert ids == [CALLER] * 5
    assert len(asked) == 1
    assert reached.totals.requests == 1, "what the control plane cost is counted on closing"
