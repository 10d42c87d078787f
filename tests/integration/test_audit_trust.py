"""An organization audit a security team can trust, against the emulator over loopback: a region
that is not one is refused before any request, one without WorkSpaces says so; a member that
cannot list its organization flags nothing it cannot know; role sessions are renewed once per
session; a malformed or failing control-plane answer costs a retry or one account, never the
audit; accounts files reach accounts through role chains and profiles; the caller alone costs
no STS call unless asked.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs
from xml.etree import ElementTree

import pytest
from aiohttp import web
from fakes import FakeClock
from organization_support import EVERYWHERE, MANAGEMENT, MEMBERS, SUSPENDED, organization
from servers import LoopbackServer

from imgperms_async import (
    Account,
    AiohttpTransport,
    HttpRequest,
    InvalidSettingError,
    OrganizationUnavailableError,
    accounts_from_text,
)
from imgperms_async.emulator import Emulator

from .audit_support import (
    ACROSS_ACCOUNTS,
    SOURCES,
    Hooked,
    Instead,
    Seen,
    Source,
    Watched,
    active,
    assume_role_arns,
    audit_of,
    audited_accounts,
    boto3_keys,
    code_of,
    everything,
    identity_of,
    in_front_of,
    requests_of,
    sessions_on,
    truth_of,
    workspaces_requests,
)

pytestmark = pytest.mark.usefixtures("one_botocore_loader")
each_source = pytest.mark.parametrize("source", SOURCES)
across_accounts = pytest.mark.parametrize("source", ACROSS_ACCOUNTS)


# -- regions -----------------------------------------------------------------------------------


@each_source
@pytest.mark.parametrize("typo", ["us-esat-1", "US-EAST-1", "eu west 1"])
async def test_a_region_that_is_not_a_region_is_refused_before_any_request(
    source: Source, typo: str
) -> None:
    with organization() as emu, pytest.raises(InvalidSettingError, match=typo):
        audit_of(emu, source, regions=["us-east-1", typo])

    assert emu.requests == []


async def test_an_accounts_file_naming_a_region_that_is_not_one_is_refused_before_any_request(
    tmp_path: Path,
) -> None:
    text = (
        "accounts:\n"
        f"  - account_id: '{MEMBERS[0]}'\n"
        "    regions: [us-east-1]\n"
        f"  - account_id: '{MEMBERS[1]}'\n"
        "    regions: [us-east-1, eu-wset-1]\n"
    )
    with organization() as emu, pytest.raises(InvalidSettingError) as refused:
        audit_of(emu, accounts=accounts_from_text(text, source="accounts.yml"))

    assert "accounts.yml, line 4" in str(refused.value)
    assert "eu-wset-1" in str(refused.value)
    assert emu.requests == []


@each_source
async def test_a_region_where_workspaces_does_not_run_is_not_offered_in_every_account(
    source: Source,
) -> None:
    with organization() as emu:
        outcome = await everything(audit_of(emu, source, regions=["us-east-1", "us-west-1"]))

    accounts = audited_accounts(source, emu)
    statuses = outcome.statuses()
    assert {a: statuses[a, "us-west-1"] for a in accounts} == dict.fromkeys(accounts, "not_offered")
    assert all(outcome.status(a, "us-west-1").error is None for a in accounts)
    assert {a: statuses[a, "us-east-1"] for a in accounts} == dict.fromkeys(accounts, "audited")
    assert outcome.answer() == truth_of(emu, accounts, regions=["us-east-1"])
    assert [r for r in emu.requests if r.region == "us-west-1"] == []


async def test_an_accounts_own_region_where_workspaces_does_not_run_is_not_offered() -> None:
    member = EVERYWHERE[0]
    with organization() as emu:
        outcome = await everything(
            audit_of(emu, accounts=[Account(member, regions=("us-east-1", "us-west-1"))])
        )

    assert outcome.statuses() == {
        (member, "us-east-1"): "audited",
        (member, "us-west-1"): "not_offered",
    }
    assert workspaces_requests(emu, region="us-west-1") == []


# -- a caller that cannot list its organization ------------------------------------------------


def member_identity(emu: Emulator, member: str) -> Any:
    """The emulator, as a session of the organization's role in ``member``."""
    keys = boto3_keys(emu, member)
    return identity_of(
        emu,
        aws_access_key_id=keys["aws_access_key_id"],
        aws_secret_access_key=keys["aws_secret_access_key"],
        aws_session_token=keys["aws_session_token"],
    )


async def test_a_member_that_cannot_list_classes_shares_unknown_but_its_management_and_itself() -> (
    None
):
    """ListAccounts is refused to a member, DescribeOrganization is not: the management account
    is known to be in the organization, the caller is, and nothing else can be told apart."""
    member = MEMBERS[0]
    with organization(images=6) as emu:
        audit = audit_of(emu, identity=member_identity(emu, member), accounts=[Account(member)])
        outcome = await everything(audit)

    assert audit.members is None
    assert audit.caller_account_id == member
    assert audit.management_account_id == MANAGEMENT
    assert requests_of(emu, "organizations", operation="ListAccounts")[0].error_code == (
        "AccessDeniedException"
    )
    classes = outcome.classes()
    assert classes[MANAGEMENT] == {"organization"}
    others = {account for account in classes if account != MANAGEMENT}
    assert others & set(MEMBERS), "the seed shares the member's images with other members"
    assert {account: classes[account] for account in others} == {a: {"unknown"} for a in others}
    assert audit.classify(member) == "organization"
    assert outcome.answer() == truth_of(emu, [member])


async def test_a_member_that_cannot_list_cannot_audit_the_organization() -> None:
    with organization() as emu:
        identity = member_identity(emu, MEMBERS[0])
        emu.reset_log()
        with pytest.raises(OrganizationUnavailableError, match="cannot list"):
            async with audit_of(emu, "organization", identity=identity):
                pass

    assert workspaces_requests(emu) == []


async def test_a_delegated_administrator_knows_every_member_and_flags_the_rest() -> None:
    admin = MEMBERS[0]
    with organization(images=6, delegated_admins=[admin]) as emu:
        audit = audit_of(emu, identity=member_identity(emu, admin), accounts=[Account(admin)])
        outcome = await everything(audit)
        truth = emu.scoped_truth.organization
        assert truth is not None
        members = {account.account_id for account in truth.accounts}

    assert audit.members == frozenset(members)
    classes = outcome.classes()
    assert set(classes) & members, "the seed shares the member's images inside"
    assert set(classes) - members, "and outside"
    assert classes == {a: {"organization" if a in members else "external"} for a in classes}


# -- role sessions -----------------------------------------------------------------------------

SESSION_SECS = 4
STEP_SECS = 0.1
"""Each answer moves the clock on by this much: the audit lasts several sessions."""


@across_accounts
async def test_a_short_role_session_is_assumed_about_once_a_session_not_on_every_request(
    source: Source, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FakeClock(start=time.time())
    sessions_on(clock, monkeypatch)
    start = clock.now

    def time_passes(request: HttpRequest) -> None:
        clock.now += STEP_SECS

    with organization(credential_duration=SESSION_SECS, clock=clock, images=20) as emu:
        async with AiohttpTransport() as pool:
            transport = Hooked(pool, time_passes, one_at_a_time=True)
            # Few requests wait for the one slot, so a renewal waits a fraction of a session
            # for it, as it waits milliseconds for a connection in a real audit.
            audit = audit_of(emu, source, transport=transport, concurrency=2, scopes_in_flight=2)
            outcome = await everything(audit)

    assert outcome.answer() == truth_of(emu, active(emu))
    assert [r.error_code for r in emu.requests if r.error_code is not None] == []
    assumed = Counter(r.role_arn for r in emu.requests if r.operation == "AssumeRole")
    for member in MEMBERS:
        used = [r.time for r in emu.requests if r.account_id == member and r.service != "sts"]
        span = max(used) - min(used)
        sessions = assumed[emu.role_arn(member)]
        assert span > 2 * SESSION_SECS, "the account's work outlasts several sessions"
        # Renewed when a session is half gone, and only when in use: at most two a session's
        # length, and far fewer than the account's requests.
        assert 2 <= sessions <= 2 + 2 * span / SESSION_SECS
        assert sessions < len(used) / 4
    # Every request moved the clock once, but a renewal the last requests began can still be in
    # flight when the audit closes, which cancels it unread: one at most (a single slot), and
    # then it is the last request the emulator saw.
    read = round((clock.now - start) / STEP_SECS)
    assert read in (len(emu.requests), len(emu.requests) - 1)
    if read < len(emu.requests):
        assert emu.requests[-1].operation == "AssumeRole"


# -- the control plane fails -------------------------------------------------------------------


def parses(service: str, body: bytes) -> bool:
    """Whether an answer is whole: XML for STS and EC2, JSON for the rest."""
    try:
        if service in ("sts", "ec2"):
            ElementTree.fromstring(body)
        else:
            json.loads(body or b"{}")
    except (ElementTree.ParseError, ValueError):
        return False
    return True


@across_accounts
async def test_a_malformed_control_plane_answer_is_retried_like_any_other(source: Source) -> None:
    with organization(malformed_rate=0.3) as emu:
        async with AiohttpTransport() as pool:
            watched = Watched(pool)
            audit = audit_of(emu, source, transport=watched)
            outcome = await everything(audit)

    garbled = Counter(
        service
        for service, answer in watched.answers
        if answer.status == 200 and not parses(service, answer.body)
    )
    assert garbled["sts"] > 0, f"the seed garbles some of STS's answers: {garbled}"
    assert garbled["ec2"] > 0, f"the seed garbles some of EC2's answers: {garbled}"
    assert audit.totals.retries >= sum(garbled.values())
    assert "failed" not in outcome.statuses().values()
    assert outcome.answer() == truth_of(emu, active(emu))


def always_failing(service: str, operation: str, *, unless_key: str | None = None) -> Instead:
    def instead(seen: Seen) -> web.Response | None:
        if (seen.service, seen.operation) != (service, operation) or seen.access_key == unless_key:
            return None
        return web.Response(
            status=500,
            text="<ErrorResponse><Error><Type>Receiver</Type><Code>InternalFailure</Code>"
            "<Message>try again</Message></Error><RequestId>r</RequestId></ErrorResponse>",
            content_type="text/xml",
        )

    return instead


@across_accounts
async def test_an_assume_role_that_keeps_failing_fails_its_account_alone(
    source: Source, loopback_server: LoopbackServer
) -> None:
    failing = MEMBERS[1]

    def role_failing(seen: Seen) -> web.Response | None:
        role = parse_qs(seen.body.decode()).get("RoleArn", [""])[0]
        if seen.operation != "AssumeRole" or not role.startswith(f"arn:aws:iam::{failing}:"):
            return None
        return always_failing("sts", "AssumeRole")(seen)

    with organization() as emu:
        async with in_front_of(emu, loopback_server, role_failing) as url:
            outcome = await everything(
                audit_of(emu, source, identity=identity_of(emu, endpoint_url=url))
            )

    failure = outcome.status(failing, None)
    assert (failure.status, code_of(failure)) == ("failed", "InternalFailure")
    assert outcome.answer() == truth_of(emu, [a for a in active(emu) if a != failing])


@across_accounts
async def test_describe_regions_that_keeps_failing_fails_each_account_alone(
    source: Source, loopback_server: LoopbackServer
) -> None:
    """Here in every member (the caller's own account answers)."""
    with organization() as emu:
        instead = always_failing("ec2", "DescribeRegions", unless_key=emu.credentials.access_key)
        async with in_front_of(emu, loopback_server, instead) as url:
            outcome = await everything(
                audit_of(emu, source, identity=identity_of(emu, endpoint_url=url))
            )

    failed = {s.account_id: code_of(s) for s in outcome.scopes if s.status == "failed"}
    assert failed == dict.fromkeys(MEMBERS, "InternalFailure")
    assert {s.region for s in outcome.scopes if s.status == "failed"} == {None}
    assert outcome.answer() == truth_of(emu, [MANAGEMENT])


# -- accounts files: role chains and profiles --------------------------------------------------

JUMP_ROLE = f"arn:aws:iam::{MANAGEMENT}:role/Jump"


def jump_role_sts(emu: Emulator, hops: list[tuple[str, str, str | None]]) -> Any:
    """STS for the first hop of a chain, which the emulator has no role for: AssumeRole of
    ``JUMP_ROLE`` gives the emulator's session keys (its management account's); every
    AssumeRole is recorded as (role, signer's access key, ExternalId)."""
    session = emu.session_credentials

    def instead(seen: Seen) -> web.Response | None:
        if seen.operation != "AssumeRole":
            return None
        form = parse_qs(seen.body.decode())
        role = form["RoleArn"][0]
        hops.append((role, seen.access_key, form.get("ExternalId", [None])[0]))
        if role != JUMP_ROLE:
            return None
        body = (
            '<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
            "<AssumeRoleResult><Credentials>"
            f"<AccessKeyId>{session.access_key}</AccessKeyId>"
            f"<SecretAccessKey>{session.secret_key}</SecretAccessKey>"
            f"<SessionToken>{session.session_token}</SessionToken>"
            "<Expiration>2099-01-01T00:00:00Z</Expiration>"
            "</Credentials><AssumedRoleUser>"
            "<AssumedRoleId>AROAJUMPJUMPJUMPJUMP:imgperms-audit</AssumedRoleId>"
            f"<Arn>arn:aws:sts::{MANAGEMENT}:assumed-role/Jump/imgperms-audit</Arn>"
            "</AssumedRoleUser></AssumeRoleResult>"
            "<ResponseMetadata><RequestId>jump-1</RequestId></ResponseMetadata>"
            "</AssumeRoleResponse>"
        )
        return web.Response(text=body, content_type="text/xml")

    return instead


async def test_a_role_chain_from_an_accounts_file_is_assumed_hop_by_hop(
    loopback_server: LoopbackServer,
) -> None:
    """The emulator trusts only its management account: the chain's first hop (a role in the
    management account) is answered by a stand-in STS, the second by the emulator, asked with
    the first hop's keys; the ExternalId goes with every hop, as c7n-org sends it."""
    chained = MEMBERS[1]
    hops: list[tuple[str, str, str | None]] = []
    with organization(external_id_role=[chained]) as emu:
        text = (
            "accounts:\n"
            f"  - account_id: '{chained}'\n"
            f"    role: ['{JUMP_ROLE}', '{emu.role_arn(chained)}']\n"
            f"    external_id: {emu.external_id}\n"
        )
        accounts = accounts_from_text(text, source="accounts.yml")
        async with in_front_of(emu, loopback_server, jump_role_sts(emu, hops)) as url:
            outcome = await everything(
                audit_of(emu, identity=identity_of(emu, endpoint_url=url), accounts=accounts)
            )

    assert hops == [
        (JUMP_ROLE, emu.credentials.access_key, emu.external_id),
        (emu.role_arn(chained), emu.session_credentials.access_key, emu.external_id),
    ]
    assert outcome.answer() == truth_of(emu, [chained])
    assert {r.account_id for r in workspaces_requests(emu)} == {chained}


async def test_a_profile_from_an_accounts_file_reaches_its_account_without_a_role() -> None:
    """The profile holds a session of the member's role, as an SSO or credential_process
    profile would: the audit uses its keys there, and assumes no role."""
    through_profile, through_role = MEMBERS[0], MEMBERS[1]
    with organization() as emu:
        keys = await asyncio.to_thread(boto3_keys, emu, through_profile)
        profile = (
            "[member-a]\n"
            f"aws_access_key_id = {keys['aws_access_key_id']}\n"
            f"aws_secret_access_key = {keys['aws_secret_access_key']}\n"
            f"aws_session_token = {keys['aws_session_token']}\n"
        )
        credentials_file = Path(os.environ["AWS_SHARED_CREDENTIALS_FILE"])
        await asyncio.to_thread(credentials_file.write_text, profile)
        emu.reset_log()
        text = (
            "accounts:\n"
            f"  - account_id: '{through_profile}'\n"
            "    profile: member-a\n"
            f"  - account_id: '{through_role}'\n"
        )
        accounts = accounts_from_text(text, source="accounts.yml")
        outcome = await everything(audit_of(emu, accounts=accounts))

    assert outcome.answer() == truth_of(emu, [through_profile, through_role])
    assert [r.role_arn for r in emu.requests if r.operation == "AssumeRole"] == [
        emu.role_arn(through_role)
    ]
    assert {r.access_key for r in workspaces_requests(emu, account_id=through_profile)} == {
        keys["aws_access_key_id"]
    }


# -- asking STS who the caller is --------------------------------------------------------------


async def test_the_caller_alone_asks_sts_nothing() -> None:
    with organization() as emu:
        outcome = await everything(audit_of(emu, "caller"))

    assert requests_of(emu, "sts") == []
    assert {r.service for r in emu.requests} == {"workspaces"}
    assert outcome.answer() == truth_of(emu, [MANAGEMENT])


async def test_the_caller_alone_in_every_region_asks_ec2_which_and_sts_nothing() -> None:
    with organization() as emu:
        await everything(audit_of(emu, "caller", regions="all"))

    assert requests_of(emu, "sts") == []
    assert [r.operation for r in requests_of(emu, "ec2")] == ["DescribeRegions"]


async def test_identifying_the_caller_asks_sts_once_and_names_its_account() -> None:
    with organization() as emu:
        audit = audit_of(emu, "caller", identify_caller=True)
        outcome = await everything(audit)

    assert [r.operation for r in requests_of(emu, "sts")] == ["GetCallerIdentity"]
    assert audit.caller_account_id == MANAGEMENT
    assert {item.account_id for item in outcome.items} == {MANAGEMENT}


@across_accounts
async def test_an_audit_across_accounts_asks_who_the_caller_is_once(source: Source) -> None:
    with organization() as emu:
        await everything(audit_of(emu, source))

    assert len(requests_of(emu, "sts", operation="GetCallerIdentity")) == 1
    assert sorted(assume_role_arns(emu)) == sorted(emu.role_arn(m) for m in MEMBERS)
    assert SUSPENDED not in {r.account_id for r in emu.requests}
