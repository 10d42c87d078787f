"""The audit against the emulator's organization over loopback, from every account source: every
account and region as the emulator holds it, each refusal an organization can give, credentials
that expire, one pool, bounded work, and a clean stop.

A behaviour that holds whatever the accounts come from is one test parametrized over the sources
(``audit_support.SOURCES``); what needs roles over ``ACROSS_ACCOUNTS``. Settings refused before
any request are unit tests (``tests/unit/test_audit_settings.py``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable
from contextlib import aclosing
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import pytest
from aiohttp import web
from botocore.exceptions import NoRegionError
from fakes import FakeClock, settle
from organization_support import (
    EVERYWHERE,
    MANAGEMENT,
    MEMBERS,
    OPTED_OUT,
    SUSPENDED,
    organization,
)
from servers import LoopbackServer

from imgperms_async import (
    Account,
    AiohttpTransport,
    Audit,
    AuditedImage,
    ClientConfig,
    HttpRequest,
    ImagePermissionsClient,
    OrganizationAudit,
    OrganizationUnavailableError,
    Role,
    ScopeResult,
    accounts_from_text,
)
from imgperms_async.emulator import Emulator

from .audit_support import (
    ACROSS_ACCOUNTS,
    SOURCES,
    Hooked,
    Seen,
    Source,
    Watched,
    active,
    assume_role_arns,
    audit_of,
    audited_accounts,
    code_of,
    everything,
    identity_of,
    in_front_of,
    json_error,
    name_of,
    query_error,
    sessions_on,
    shared_with,
    truth_of,
    workspaces_requests,
)

pytestmark = pytest.mark.usefixtures("one_botocore_loader")
each_source = pytest.mark.parametrize("source", SOURCES)
across_accounts = pytest.mark.parametrize("source", ACROSS_ACCOUNTS)


# -- every account and region ----------------------------------------------------------------


@each_source
async def test_every_account_and_enabled_region_is_audited_as_the_emulator_holds(
    source: Source,
) -> None:
    with organization() as emu:
        outcome = await everything(audit_of(emu, source))

    accounts = audited_accounts(source, emu)
    assert outcome.answer() == truth_of(emu, accounts)
    audited = {scope for scope, status in outcome.statuses().items() if status == "audited"}
    truth = emu.scoped_truth.images
    assert audited == {(a, region) for a in accounts for region in truth[a]}


async def test_progress_counts_the_accounts_listed_before_the_first_scope() -> None:
    with organization() as emu:
        audit = audit_of(emu)
        assert audit.progress.accounts_listed == 0
        async with audit:
            listed = audit.progress.accounts_listed

    truth = emu.scoped_truth.organization
    assert truth is not None
    assert listed == len(truth.accounts)


async def test_the_callers_own_account_is_not_asked_of_sts_unless_wanted() -> None:
    with organization() as emu:
        outcome = await everything(audit_of(emu, "caller"))

    assert {r.account_id for r in outcome.items if not isinstance(r, ScopeResult)} == {None}
    assert {s.account_id for s in outcome.scopes} == {None}


async def test_an_organization_audit_under_its_earlier_name_and_keywords_is_the_same_audit() -> (
    None
):
    with organization() as emu:
        audit = OrganizationAudit(
            region_name=emu.region,
            endpoint_url=emu.endpoint_url,
            aws_access_key_id=emu.credentials.access_key,
            aws_secret_access_key=emu.credentials.secret_key,
            regions=emu.regions,
            scope_concurrency=2,
            scopes_at_once=3,
        )
        outcome = await everything(audit)

    assert isinstance(audit, Audit)
    assert outcome.answer() == truth_of(emu, active(emu))


@each_source
async def test_every_request_control_plane_included_goes_through_the_one_transport(
    source: Source, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No botocore client sends anything (none is even made): STS, Organizations and EC2 go
    over the same signed async path as WorkSpaces."""

    def no_botocore_client(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a botocore client was made")

    monkeypatch.setattr("botocore.session.Session.create_client", no_botocore_client)
    with organization() as emu:
        async with AiohttpTransport() as pool:
            watched = Watched(pool)
            outcome = await everything(audit_of(emu, source, transport=watched))

    assert watched.sent == len(emu.requests)
    assert outcome.answer() == truth_of(emu, audited_accounts(source, emu))
    if source != "caller":
        assert {"sts", "organizations", "ec2"} <= {r.service for r in emu.requests}


@each_source
async def test_each_scope_result_counts_the_images_answered_in_it(source: Source) -> None:
    with organization() as emu:
        outcome = await everything(audit_of(emu, source))

    counted = Counter((outcome.owner(r.account_id), r.region) for r in outcome.images)
    scopes = {(outcome.owner(s.account_id), s.region): s.images for s in outcome.scopes}
    assert {scope: images for scope, images in scopes.items() if images} == counted


@each_source
async def test_shares_past_25_are_read_across_pages_in_server_order(source: Source) -> None:
    with organization() as emu:
        outcome = await everything(audit_of(emu, source))

    many = [r for r in outcome.images if len(r.shared_account_ids) > 25]
    assert many, "the seed holds images shared with more than 25 accounts"
    for result in many:
        assert result.region is not None
        owner = outcome.owner(result.account_id)
        truth = emu.scoped_truth.images[owner][result.region][result.image_id]
        assert result.shared_account_ids == truth
        assert result.pages == -(-len(truth) // 25)


@each_source
async def test_every_region_is_each_workspaces_region_and_those_not_enabled_say_so(
    source: Source,
) -> None:
    with organization() as emu:
        audit = audit_of(emu, source, regions="all")
        outcome = await everything(audit)
    offered = audit.regions

    assert set(emu.regions) < set(offered)
    accounts = audited_accounts(source, emu)
    assert outcome.answer() == truth_of(emu, accounts)
    truth = emu.scoped_truth.images
    expected: dict[tuple[str, str | None], str] = {
        (account, region): "audited" if region in truth[account] else "not_enabled"
        for account in accounts
        for region in offered
    }
    if source != "caller":
        expected[SUSPENDED, None] = "skipped"
    assert outcome.statuses() == expected
    assert {r.region for r in workspaces_requests(emu)} == set(emu.regions)


async def test_without_regions_the_caller_is_audited_in_its_home_region() -> None:
    with organization() as emu:
        outcome = await everything(audit_of(emu, "caller", regions=None))

    assert outcome.answer() == truth_of(emu, [MANAGEMENT], regions=[emu.region])
    assert outcome.statuses() == {(MANAGEMENT, emu.region): "audited"}


async def test_without_regions_an_organization_is_audited_in_every_region() -> None:
    with organization() as emu:
        audit = audit_of(emu, regions=None)
        outcome = await everything(audit)

    assert len(audit.regions) > len(emu.regions)
    assert outcome.answer() == truth_of(emu, active(emu))


@each_source
async def test_the_totals_count_every_request_the_audit_made(source: Source) -> None:
    with organization() as emu:
        audit = audit_of(emu, source)
        await everything(audit)

    assert audit.totals.requests == len(emu.requests) > 0
    assert audit.totals.retries == audit.totals.throttles == 0


@each_source
async def test_regions_given_twice_are_audited_once(source: Source) -> None:
    with organization() as emu:
        outcome = await everything(audit_of(emu, source, regions=["us-east-1", "us-east-1"]))

    accounts = audited_accounts(source, emu)
    assert outcome.answer() == truth_of(emu, accounts, regions=["us-east-1"])
    audited = [s for s in outcome.scopes if s.status == "audited"]
    assert len(audited) == len(accounts)


async def test_an_account_given_twice_alike_is_audited_once() -> None:
    with organization() as emu:
        outcome = await everything(
            audit_of(
                emu, accounts=[Account(MEMBERS[0]), Account(MEMBERS[0])], regions=["us-east-1"]
            )
        )

    assert outcome.answer() == truth_of(emu, [MEMBERS[0]], regions=["us-east-1"])
    assert len(outcome.scopes) == 1
    assert assume_role_arns(emu) == [emu.role_arn(MEMBERS[0])]


@each_source
async def test_throttled_scopes_are_retried_and_lose_no_image(source: Source) -> None:
    """The emulator throttles each (account, region) apart, as AWS does. At 5 a second after a
    burst of one, a scope's second request is throttled unless it comes 200 ms after the first:
    the outcome does not hang on how fast the machine is. Each throttled image is retried until
    it is answered: with a scope's four images sent at once, one can be throttled five times
    running on a busy machine, and five attempts are the default, so this allows more."""
    patient = ClientConfig(max_rate=10_000.0, max_attempts=12)
    with organization(rate=5, burst=1, images=4) as emu:
        audit = audit_of(emu, source, regions=["us-east-1"], config=patient)
        outcome = await everything(audit)

    assert audit.totals.throttles > 0
    assert outcome.answer() == truth_of(emu, audited_accounts(source, emu), regions=["us-east-1"])


@each_source
async def test_server_faults_and_dropped_connections_are_retried_and_lose_no_image(
    source: Source,
) -> None:
    with organization(fault_rate=0.15, drop_rate=0.05) as emu:
        audit = audit_of(emu, source)
        outcome = await everything(audit)

    assert audit.totals.retries > 0
    assert emu.stats.get("http_500", 0) + emu.stats.get("http_503", 0) > 0
    assert outcome.answer() == truth_of(emu, audited_accounts(source, emu))


# -- accounts that cannot be audited -----------------------------------------------------------


@across_accounts
async def test_a_denied_role_is_one_failed_result_for_its_account_and_the_others_are_audited(
    source: Source,
) -> None:
    denied = MEMBERS[0]
    with organization(deny_role=[denied]) as emu:
        outcome = await everything(audit_of(emu, source))

    failure = outcome.status(denied, None)
    assert (failure.status, code_of(failure)) == ("failed", "AccessDenied")
    assert [s for s in outcome.scopes if s.account_id == denied] == [failure]
    others = [a for a in active(emu) if a != denied]
    assert outcome.answer() == truth_of(emu, others)


async def test_a_denied_role_is_not_logged_as_a_traceback(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="imgperms_async")
    with organization(deny_role=[MEMBERS[0]]) as emu:
        await everything(audit_of(emu))

    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert [r for r in caplog.records if r.exc_info] == []


@across_accounts
async def test_a_role_needing_an_external_id_is_audited_with_it(source: Source) -> None:
    needs = MEMBERS[1]
    with organization(external_id_role=[needs]) as emu:
        outcome = await everything(audit_of(emu, source, role=Role(external_id=emu.external_id)))

    assert outcome.answer() == truth_of(emu, active(emu))
    assert emu.role_arn(needs) in assume_role_arns(emu)


@across_accounts
async def test_a_role_needing_an_external_id_fails_without_it(source: Source) -> None:
    needs = MEMBERS[1]
    with organization(external_id_role=[needs]) as emu:
        outcome = await everything(audit_of(emu, source))

    failure = outcome.status(needs, None)
    assert (failure.status, code_of(failure)) == ("failed", "AccessDenied")
    assert outcome.answer() == truth_of(emu, [a for a in active(emu) if a != needs])


@across_accounts
async def test_a_suspended_account_is_skipped_reported_and_never_reached(source: Source) -> None:
    with organization() as emu:
        audit = audit_of(emu, source)
        outcome = await everything(audit)

    assert outcome.status(SUSPENDED, None) == ScopeResult(
        SUSPENDED, name_of(SUSPENDED), None, "skipped", 0, None
    )
    assert [member.account_id for member in audit.skipped] == [SUSPENDED]
    assert SUSPENDED not in [account.account_id for account in audit.accounts]
    assert SUSPENDED not in outcome.answer()
    assert emu.role_arn(SUSPENDED) not in [r.role_arn for r in emu.requests]
    assert [r for r in emu.requests if r.account_id == SUSPENDED] == []


@across_accounts
async def test_a_disabled_opt_in_region_is_not_enabled_and_no_failure(source: Source) -> None:
    member = EVERYWHERE[0]
    with organization(opt_in_disabled=[(member, "af-south-1")]) as emu:
        outcome = await everything(audit_of(emu, source))

    assert outcome.status(member, "af-south-1") == ScopeResult(
        member, name_of(member), "af-south-1", "not_enabled", 0, None
    )
    assert workspaces_requests(emu, account_id=member, region="af-south-1") == []
    assert "failed" not in outcome.statuses().values()
    assert outcome.answer() == truth_of(emu, active(emu))


async def test_a_member_without_the_home_region_is_audited_where_it_has_enabled() -> None:
    """Its DescribeRegions, asked in the home region, is refused as AWS refuses a region not
    enabled: every region is tried, and the one it has not enabled says so."""
    with organization() as emu:
        outcome = await everything(
            audit_of(
                emu, identity=identity_of(emu, region_name="af-south-1"),
                accounts=[Account(OPTED_OUT)],
            )
        )  # fmt: skip

    assert outcome.statuses() == {
        (OPTED_OUT, "us-east-1"): "audited",
        (OPTED_OUT, "eu-west-1"): "audited",
        (OPTED_OUT, "af-south-1"): "not_enabled",
    }
    assert outcome.answer() == truth_of(emu, [OPTED_OUT])


async def test_a_region_refusing_the_token_where_no_region_works_is_a_failure() -> None:
    with organization() as emu:
        outcome = await everything(
            audit_of(
                emu, identity=identity_of(emu, region_name="af-south-1"),
                accounts=[Account(OPTED_OUT, regions=("af-south-1",))],
            )
        )  # fmt: skip

    failure = outcome.status(OPTED_OUT, "af-south-1")
    assert (failure.status, code_of(failure)) == ("failed", "UnrecognizedClientException")


# -- behind a proxy that answers some requests itself ------------------------------------------


def ec2_unauthorized(seen: Seen) -> web.Response | None:
    if seen.service != "ec2":
        return None
    return query_error(
        "UnauthorizedOperation", "You are not authorized to perform this operation.", status=403
    )


@across_accounts
async def test_an_account_that_may_not_describe_its_regions_fails_naming_the_refusal(
    source: Source, loopback_server: LoopbackServer
) -> None:
    """Trying every region instead would hide a missing permission (or a service control
    policy) behind a row of "not enabled"."""
    with organization() as emu:
        async with in_front_of(emu, loopback_server, ec2_unauthorized) as url:
            outcome = await everything(
                audit_of(emu, source, identity=identity_of(emu, endpoint_url=url))
            )

    failed = {s.account_id: code_of(s) for s in outcome.scopes if s.status == "failed"}
    assert failed == dict.fromkeys(active(emu), "UnauthorizedOperation")
    assert {s.region for s in outcome.scopes if s.status == "failed"} == {None}
    assert workspaces_requests(emu) == []


async def test_a_region_described_as_not_opted_in_is_not_enabled(
    loopback_server: LoopbackServer,
) -> None:
    """What AWS answers with AllRegions, or when the region is named."""

    def not_opted_in(seen: Seen) -> web.Response | None:
        if seen.service != "ec2":
            return None
        items = "".join(
            f"<item><regionName>{name}</regionName><optInStatus>{status}</optInStatus></item>"
            for name, status in (
                ("us-east-1", "opt-in-not-required"),
                ("eu-west-1", "opt-in-not-required"),
                ("af-south-1", "not-opted-in"),
            )
        )
        body = (
            '<?xml version="1.0" encoding="UTF-8"?><DescribeRegionsResponse '
            'xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId>'
            f"<regionInfo>{items}</regionInfo></DescribeRegionsResponse>"
        )
        return web.Response(text=body, content_type="text/xml")

    member = EVERYWHERE[0]
    with organization() as emu:
        async with in_front_of(emu, loopback_server, not_opted_in) as url:
            outcome = await everything(
                audit_of(
                    emu, identity=identity_of(emu, endpoint_url=url), accounts=[Account(member)]
                )
            )

    assert outcome.statuses() == {
        (member, "us-east-1"): "audited",
        (member, "eu-west-1"): "audited",
        (member, "af-south-1"): "not_enabled",
    }
    assert workspaces_requests(emu, region="af-south-1") == []


@each_source
async def test_a_listing_that_fails_in_one_region_fails_that_scope_only(
    source: Source, loopback_server: LoopbackServer
) -> None:
    def management_listing_denied(seen: Seen) -> web.Response | None:
        if (seen.access_key, seen.region, seen.operation) != (
            emu.credentials.access_key,
            "eu-west-1",
            "DescribeWorkspaceImages",
        ):
            return None
        return json_error("AccessDeniedException", "not allowed")

    with organization() as emu:
        async with in_front_of(emu, loopback_server, management_listing_denied) as url:
            outcome = await everything(
                audit_of(emu, source, identity=identity_of(emu, endpoint_url=url))
            )

    failure = outcome.status(MANAGEMENT, "eu-west-1")
    assert (failure.status, code_of(failure)) == ("failed", "AccessDeniedException")
    expected = truth_of(emu, audited_accounts(source, emu))
    del expected[MANAGEMENT]["eu-west-1"]
    assert outcome.answer() == expected


@each_source
async def test_the_requests_of_a_scope_that_failed_count_in_the_totals(
    source: Source, loopback_server: LoopbackServer
) -> None:
    denied: list[str] = []

    def listing_denied(seen: Seen) -> web.Response | None:
        if seen.region != "eu-west-1" or seen.operation != "DescribeWorkspaceImages":
            return None
        denied.append(seen.access_key)
        return json_error("AccessDeniedException", "not allowed")

    with organization() as emu:
        async with in_front_of(emu, loopback_server, listing_denied) as url:
            audit = audit_of(emu, source, identity=identity_of(emu, endpoint_url=url))
            outcome = await everything(audit)

    assert "failed" in outcome.statuses().values()
    assert denied
    assert audit.totals.requests == len(emu.requests) + len(denied)


@each_source
async def test_whatever_ends_a_scope_is_that_scopes_result_alone(
    source: Source, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Here a scope's client cannot even be made: the other scopes go on."""
    from imgperms_async._client import scope_client

    def none_in_eu_west_1(resolved: Any, **options: Any) -> ImagePermissionsClient:
        if resolved.endpoint.signing_region == "eu-west-1":
            raise RuntimeError("no client in eu-west-1")
        return scope_client(resolved, **options)

    monkeypatch.setattr("imgperms_async._organization._reach.scope_client", none_in_eu_west_1)
    with organization() as emu:
        outcome = await everything(audit_of(emu, source))

    accounts = audited_accounts(source, emu)
    failed = [s for s in outcome.scopes if s.status == "failed"]
    assert {(outcome.owner(s.account_id), s.region) for s in failed} == {
        (a, "eu-west-1") for a in accounts
    }
    assert {str(s.error) for s in failed} == {"no client in eu-west-1"}
    expected = truth_of(emu, accounts)
    for regions in expected.values():
        del regions["eu-west-1"]
    assert outcome.answer() == expected


# -- credentials -------------------------------------------------------------------------------


@across_accounts
async def test_credentials_expiring_mid_run_are_renewed_and_no_image_is_lost(
    source: Source, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FakeClock(start=time.time())
    sessions_on(clock, monkeypatch)
    moved: list[float] = []

    def expire_the_sessions(request: HttpRequest) -> None:
        """After the first answer to a role's session, move on past its lifetime (but within
        the five minutes a signature may be off)."""
        if not moved and "Credential=ASIA" in request.headers["Authorization"]:
            moved.append(clock.now)
            clock.now += 250

    with organization(credential_duration=200, clock=clock) as emu:
        async with AiohttpTransport() as pool:
            transport = Hooked(pool, expire_the_sessions, one_at_a_time=True)
            outcome = await everything(audit_of(emu, source, transport=transport))

    assert moved, "a role's session was in use"
    assert outcome.answer() == truth_of(emu, active(emu))
    assert [r.error_code for r in emu.requests if r.error_code is not None] == []
    renewed = [r for r in emu.requests if r.operation == "AssumeRole" and r.time > moved[0]]
    assert {r.role_arn for r in renewed} == {emu.role_arn(m) for m in MEMBERS}


@across_accounts
async def test_a_renewal_due_while_every_connection_is_taken_does_not_wait_behind_them(
    source: Source, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Requests that find their session must be renewed wait for the renewal, and the renewal
    (AssumeRole) goes through the same pool: it must not need a connection they hold. Here
    every session of 200 seconds is moved to 40 seconds before it ends, inside the quarter of
    its life where a request may no longer use it, while 8 images of each scope are in flight
    on 2 connections."""
    clock = FakeClock(start=time.time())
    sessions_on(clock, monkeypatch)
    moved: list[float] = []

    def expire_the_sessions(request: HttpRequest) -> None:
        if not moved and "Credential=ASIA" in request.headers["Authorization"]:
            moved.append(clock.now)
            clock.now += 160

    with organization(credential_duration=200, clock=clock, images=8) as emu:
        async with AiohttpTransport(max_connections=2) as pool:
            transport = Hooked(pool, expire_the_sessions)
            outcome = await everything(audit_of(emu, source, transport=transport, concurrency=8))

    assert moved, "a role's session was in use"
    assert outcome.answer() == truth_of(emu, active(emu))
    assert [r.error_code for r in emu.requests if r.error_code is not None] == []
    renewed = [r for r in emu.requests if r.operation == "AssumeRole" and r.time > moved[0]]
    assert renewed


# -- share classes -----------------------------------------------------------------------------


@across_accounts
async def test_shares_are_classed_organization_allowlisted_or_external(source: Source) -> None:
    with organization() as emu:
        truth = emu.scoped_truth
        assert truth.organization is not None
        members = {account.account_id for account in truth.organization.accounts}
        outsiders = sorted(shared_with(truth_of(emu, active(emu))) - members)
        allowed, stranger = outsiders[0], outsiders[1]
        audit = audit_of(emu, source, allowlist=[allowed, MEMBERS[0]])
        outcome = await everything(audit)

    assert audit.members == frozenset(members)
    assert audit.classify(MEMBERS[0]) == "organization"
    assert audit.classify(SUSPENDED) == "organization"
    assert audit.classify(allowed) == "allowlisted"
    assert audit.classify(stranger) == "external"
    expected = {
        account: {"organization" if account in members else "allowlisted"}
        if account in members or account == allowed
        else {"external"}
        for account in shared_with(outcome.answer())
    }
    assert outcome.classes() == expected
    mixed = [r for r in outcome.images if {"organization", "external"} <= set(r.share_classes)]
    assert mixed, "the seed shares some image both inside and outside"
    assert all(
        r.external_account_ids
        == tuple(a for a in r.shared_account_ids if expected[a] == {"external"})
        for r in outcome.images
    )


async def test_the_caller_alone_classes_every_share_unknown_without_an_allowlist() -> None:
    """Auditing the caller alone asks nothing of the organization: no share is known to be
    outside it, and none is flagged."""
    with organization() as emu:
        outcome = await everything(audit_of(emu, "caller"))

    assert set().union(*outcome.classes().values()) == {"unknown"}
    assert [r for r in emu.requests if r.service != "workspaces"] == []


async def test_the_caller_alone_with_an_allowlist_classes_every_other_share_external() -> None:
    with organization() as emu:
        shares = sorted(shared_with(truth_of(emu, [MANAGEMENT])))
        outcome = await everything(audit_of(emu, "caller", allowlist=shares[:1]))

    assert outcome.classes() == {
        account: {"allowlisted" if account == shares[0] else "external"} for account in shares
    }


async def test_without_an_organization_only_the_allowlist_is_allowed() -> None:
    with Emulator(images=6, seed=2) as standalone:
        shared = sorted({a for shares in standalone.truth.values() for a in shares})
        audit = audit_of(
            standalone, accounts=[Account(standalone.account_id)], allowlist=[shared[0]]
        )
        outcome = await everything(audit)

    assert audit.members == frozenset()
    assert audit.management_account_id is None
    assert audit.classify(shared[0]) == "allowlisted"
    assert audit.classify(shared[1]) == "external"
    assert {r.image_id: r.shared_account_ids for r in outcome.images} == dict(standalone.truth)


async def test_an_audit_of_the_organization_needs_an_organization() -> None:
    with Emulator(images=2, seed=2) as standalone, pytest.raises(OrganizationUnavailableError):
        async with audit_of(standalone, "organization"):
            pass


# -- where the accounts come from --------------------------------------------------------------


async def test_accounts_from_a_file_of_ids_are_audited_with_their_organization_names() -> None:
    first, second = MEMBERS[0], MEMBERS[1]
    text = f"\ufeff# audited weekly\n{first}\n\n{second}  # team\n"

    accounts = accounts_from_text(text, source="accounts.txt")
    with organization() as emu:
        outcome = await everything(audit_of(emu, accounts=accounts))

    assert accounts == [Account(first), Account(second)]
    assert outcome.answer() == truth_of(emu, [first, second])
    assert {s.account_id: s.account_name for s in outcome.scopes} == {
        first: name_of(first),
        second: name_of(second),
    }


async def test_accounts_from_c7n_orgs_accounts_yml_keep_their_role_external_id_and_regions() -> (
    None
):
    plain, needs, other = EVERYWHERE[0], *(m for m in MEMBERS if m != EVERYWHERE[0])
    with organization(role_name="AuditRole", external_id_role=[needs]) as emu:
        text = (
            "accounts:\n"
            f"  - account_id: '{plain}'\n"
            "    name: alpha\n"
            f"    role: {emu.role_arn(plain)}\n"
            "    regions: [us-east-1, us-east-1]\n"
            "    tags: [ignored]\n"
            f"  - account_id: '{needs}'\n"
            "    role: AuditRole\n"
            f"    external_id: {emu.external_id}\n"
            f"  - account_id: '{other}'\n"
        )
        accounts = accounts_from_text(text, source="accounts.yml")
        outcome = await everything(audit_of(emu, accounts=accounts))

    assert accounts[0] == Account(
        plain, "alpha", role_arn=emu.role_arn(plain), regions=("us-east-1",)
    )
    assert accounts[1].role_arn == emu.role_arn(needs)
    assert accounts[1].external_id == emu.external_id
    assert [a.account_id for a in accounts] == [plain, needs, other]
    expected = truth_of(emu, [plain, needs])
    expected[plain] = {"us-east-1": expected[plain]["us-east-1"]}
    assert outcome.answer() == expected
    assert {s.account_id: s.account_name for s in outcome.scopes}[plain] == "alpha"
    failure = outcome.status(other, None)
    assert (failure.status, code_of(failure)) == ("failed", "AccessDenied")


async def test_accounts_given_one_by_one_are_the_only_ones_audited() -> None:
    with organization() as emu:
        outcome = await everything(audit_of(emu, accounts=[Account(MEMBERS[2])]))

    assert outcome.answer() == truth_of(emu, [MEMBERS[2]])
    assert assume_role_arns(emu) == [emu.role_arn(MEMBERS[2])]


@across_accounts
async def test_the_callers_own_account_is_audited_with_the_callers_keys(source: Source) -> None:
    with organization() as emu:
        outcome = await everything(audit_of(emu, source))

    own = workspaces_requests(emu, account_id=MANAGEMENT)
    assert own
    assert {r.access_key for r in own} == {emu.credentials.access_key}
    assert emu.role_arn(MANAGEMENT) not in [r.role_arn for r in emu.requests]
    theirs = [r for r in workspaces_requests(emu) if r.account_id != MANAGEMENT]
    assert theirs
    assert emu.credentials.access_key not in {r.access_key for r in theirs}
    assert MANAGEMENT in outcome.answer()


# -- the role assumed in each account ----------------------------------------------------------


async def test_the_role_name_is_assumed_in_every_member() -> None:
    with organization(role_name="AuditRole") as emu:
        outcome = await everything(audit_of(emu, role=Role(name="AuditRole")))

    assert sorted(assume_role_arns(emu)) == sorted(
        f"arn:aws:iam::{member}:role/AuditRole" for member in MEMBERS
    )
    assert outcome.answer() == truth_of(emu, active(emu))


async def test_the_role_arn_is_in_the_partition_of_the_home_region(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """As if the emulator's region were in the China partition (it serves no such region)."""
    asked: list[str] = []

    def china(self: Any, region: str) -> str:
        asked.append(region)
        return "aws-cn"

    monkeypatch.setattr("imgperms_async._aws_config.AwsConfig.partition", china)
    with organization() as emu:
        await everything(audit_of(emu))

    assert set(asked) == {emu.region}
    tried = [str(r.role_arn) for r in emu.requests if r.operation == "AssumeRole"]
    assert sorted(tried) == sorted(
        f"arn:aws-cn:iam::{m}:role/OrganizationAccountAccessRole" for m in MEMBERS
    )


async def test_assume_role_is_asked_for_the_duration_given() -> None:
    """Two hours is more than the role's one-hour maximum: STS refuses it in every member."""
    with organization() as emu:
        outcome = await everything(audit_of(emu, role=Role(duration_secs=7200)))

    failed = {s.account_id: code_of(s) for s in outcome.scopes if s.status == "failed"}
    assert failed == dict.fromkeys(MEMBERS, "ValidationError")
    assert outcome.answer() == truth_of(emu, [MANAGEMENT])


async def test_a_role_arn_template_is_filled_in_for_every_member() -> None:
    template = "arn:{partition}:iam::{account_id}:role/OrganizationAccountAccessRole"
    with organization() as emu:
        outcome = await everything(audit_of(emu, role_arn_template=template))

    assert sorted(assume_role_arns(emu)) == sorted(emu.role_arn(m) for m in MEMBERS)
    assert outcome.answer() == truth_of(emu, active(emu))


# -- one pool, bounded work --------------------------------------------------------------------


@each_source
async def test_every_workspaces_scope_goes_through_the_one_transport(source: Source) -> None:
    with organization() as emu:
        async with AiohttpTransport() as pool:
            watched = Watched(pool)
            outcome = await everything(audit_of(emu, source, transport=watched))

    audited = [s for s in outcome.scopes if s.status == "audited"]
    assert len(watched.seen) == len(audited) == len({(s.account_id, s.region) for s in audited})


@each_source
async def test_the_audit_makes_one_pool_for_every_scope(
    source: Source, monkeypatch: pytest.MonkeyPatch
) -> None:
    pools: list[AiohttpTransport] = []

    class Counted(AiohttpTransport):
        def __init__(self, **options: Any) -> None:
            super().__init__(**options)
            pools.append(self)

    monkeypatch.setattr("imgperms_async._client.AiohttpTransport", Counted)
    with organization() as emu:
        outcome = await everything(audit_of(emu, source))

    assert len(pools) == 1
    assert outcome.answer() == truth_of(emu, audited_accounts(source, emu))


@each_source
async def test_requests_in_flight_overall_never_exceed_max_connections(
    source: Source, monkeypatch: pytest.MonkeyPatch
) -> None:
    watched: list[Watched] = []

    def pool(**options: Any) -> Watched:
        watched.append(Watched(AiohttpTransport(**options)))
        return watched[-1]

    monkeypatch.setattr("imgperms_async._client.AiohttpTransport", pool)
    with organization(latency=0.01) as emu:
        config = ClientConfig(max_rate=10_000.0, max_connections=3)
        outcome = await everything(audit_of(emu, source, config=config, concurrency=4))

    assert watched[0].peak == 3
    assert outcome.answer() == truth_of(emu, audited_accounts(source, emu))


@each_source
async def test_requests_in_flight_in_one_scope_never_exceed_the_concurrency(
    source: Source,
) -> None:
    with organization(latency=0.01, images=6) as emu:
        async with AiohttpTransport() as pool:
            watched = Watched(pool)
            await everything(audit_of(emu, source, transport=watched, concurrency=2))

    assert watched.scope_peak == 2
    assert watched.peak > 2


@dataclass
class OpenClients:
    """Wraps ``scope_client`` to count the scope clients open at once."""

    make: Callable[..., ImagePermissionsClient]
    open: int = 0
    peak: int = 0

    def __call__(self, *args: Any, **options: Any) -> Counting:
        return Counting(self, self.make(*args, **options))


@dataclass
class Counting:
    clients: OpenClients
    client: ImagePermissionsClient

    async def __aenter__(self) -> ImagePermissionsClient:
        self.clients.open += 1
        self.clients.peak = max(self.clients.peak, self.clients.open)
        return await self.client.__aenter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.clients.open -= 1
        await self.client.__aexit__(exc_type, exc, traceback)


@each_source
async def test_no_more_scopes_are_open_at_once_than_scopes_in_flight(
    source: Source, monkeypatch: pytest.MonkeyPatch
) -> None:
    from imgperms_async._client import scope_client

    clients = OpenClients(scope_client)
    monkeypatch.setattr("imgperms_async._organization._reach.scope_client", clients)
    with organization(latency=0.01) as emu:
        outcome = await everything(audit_of(emu, source, scopes_in_flight=2))

    assert clients.peak == 2
    assert clients.open == 0
    assert outcome.answer() == truth_of(emu, audited_accounts(source, emu))


@pytest.mark.parametrize("bound", [1, 2])
async def test_no_more_accounts_are_reached_at_once_than_accounts_in_flight(
    bound: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three members, each reached through its role: AssumeRole is what reaching one costs."""
    from imgperms_async._organization import _control_plane

    reaching = Counter[str]()
    assume_role = _control_plane.assume_role

    async def counted(*args: Any) -> Any:
        reaching["now"] += 1
        reaching["peak"] = max(reaching["peak"], reaching["now"])
        try:
            return await assume_role(*args)
        finally:
            reaching["now"] -= 1

    monkeypatch.setattr(_control_plane, "assume_role", counted)
    with organization(latency=0.02, images=1) as emu:
        outcome = await everything(
            audit_of(emu, accounts=[Account(m) for m in MEMBERS], accounts_in_flight=bound)
        )

    assert reaching["peak"] == bound
    assert outcome.answer() == truth_of(emu, MEMBERS)


# -- stopping ----------------------------------------------------------------------------------


def tasks_left() -> set[asyncio.Task[Any]]:
    return {task for task in asyncio.all_tasks() if task is not asyncio.current_task()}


@each_source
async def test_leaving_the_results_early_stops_every_scope_and_leaves_no_task(
    source: Source,
) -> None:
    """Counted as the client sends, not as the server logs: requests already on the wire when
    the loop is left may reach the emulator's thread later."""
    with organization(images=8) as emu:
        async with AiohttpTransport() as pool:
            watched = Watched(pool)
            async with audit_of(emu, source, scopes_in_flight=1, transport=watched) as audit:
                async with aclosing(audit.results()) as results:
                    async for item in results:
                        if isinstance(item, AuditedImage):
                            break
                assert tasks_left() == set()
                asked = watched.sent
                await settle()
                assert watched.sent == asked

    accounts = audited_accounts(source, emu)
    total = sum(len(i) for a in accounts for i in emu.scoped_truth.images[a].values())
    assert asked < total


@each_source
async def test_leaving_the_audit_stops_a_results_loop_left_open(source: Source) -> None:
    with organization(images=8) as emu:
        async with audit_of(emu, source, scopes_in_flight=1) as audit:
            results = audit.results()
            async for item in results:
                if isinstance(item, AuditedImage):
                    break
        assert tasks_left() == set()
        await results.aclose()


# -- settings ----------------------------------------------------------------------------------


@each_source
async def test_without_a_configured_region_the_first_region_audited_is_home(
    source: Source,
) -> None:
    with organization() as emu:
        outcome = await everything(
            audit_of(
                emu, source, identity=identity_of(emu, region_name=None), regions=["eu-west-1"]
            )
        )

    accounts = audited_accounts(source, emu)
    assert outcome.answer() == truth_of(emu, accounts, regions=["eu-west-1"])
    assert {r.region for r in emu.requests} == {"eu-west-1"}


async def test_without_any_region_to_go_by_the_audit_cannot_start() -> None:
    with organization() as emu, pytest.raises(NoRegionError):
        async with audit_of(emu, identity=identity_of(emu, region_name=None), regions=None):
            pass
    assert emu.requests == []
