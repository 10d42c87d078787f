"""OrganizationAudit against the emulator's organization over loopback: every account and region,
each refusal an organization can give, credentials that expire, one pool, bounded memory."""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, aclosing, asynccontextmanager
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import aiohttp
import botocore.client
import botocore.session
import pytest
from aiohttp import web
from botocore.exceptions import NoRegionError
from botocore.loaders import JSONFileLoader, create_loader
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
    ClientConfig,
    HttpRequest,
    HttpResponse,
    ImagePermissionsClient,
    ImagePermissionsResult,
    InvalidSettingError,
    MockResponse,
    MockTransport,
    OrganizationAudit,
    OrganizationUnavailableError,
    ScopeResult,
    Transport,
    accounts_from_text,
    error_code,
)
from imgperms_async._accounts import role_arn
from imgperms_async._botocore_settings import BotocoreSession
from imgperms_async._client import client_for_settings
from imgperms_async._control_plane import assumed_credentials
from imgperms_async.emulator import Emulator, ScopedTruth

FAST = ClientConfig(max_rate=10_000.0)
"""Far above the emulator's (unlimited) rate: the tests wait for nothing."""
pytestmark = pytest.mark.usefixtures("one_botocore_loader")


AuditItem = ImagePermissionsResult | ScopeResult
Images = dict[str, dict[str, dict[str, tuple[str, ...]]]]


def accounts_where(truth: ScopedTruth, **where: str) -> list[str]:
    assert truth.organization is not None
    return [
        account.account_id
        for account in truth.organization.accounts
        if all(getattr(account, key) == value for key, value in where.items())
    ]


def audit_of(emu: Emulator, **options: Any) -> OrganizationAudit:
    """An audit of ``emu``'s organization as its management account, every service at the
    emulator; ``regions`` default to those the emulator serves."""
    settings: dict[str, Any] = {
        "region_name": emu.region,
        "endpoint_url": emu.endpoint_url,
        "aws_access_key_id": emu.credentials.access_key,
        "aws_secret_access_key": emu.credentials.secret_key,
        "regions": emu.regions,
        "config": FAST,
    }
    settings.update(options)
    return OrganizationAudit(**settings)


async def everything(audit: OrganizationAudit) -> Outcome:
    async with audit, aclosing(audit.results()) as results:
        return Outcome([item async for item in results])


@dataclass
class Outcome:
    items: list[AuditItem]

    @property
    def images(self) -> list[ImagePermissionsResult]:
        return [item for item in self.items if isinstance(item, ImagePermissionsResult)]

    @property
    def scopes(self) -> list[ScopeResult]:
        return [item for item in self.items if isinstance(item, ScopeResult)]

    def answer(self) -> Images:
        """Images by account, region and id, as the emulator's truth holds them; each must
        have been answered once."""
        found: Images = {}
        where = [(r.account_id, r.region, r.image_id) for r in self.images]
        assert len(where) == len(set(where)), "an image was answered twice"
        for result in self.images:
            assert result.account_id is not None
            assert result.region is not None
            found.setdefault(result.account_id, {}).setdefault(result.region, {})
            found[result.account_id][result.region][result.image_id] = result.shared_account_ids
        return found

    def status(self, account_id: str, region: str | None) -> ScopeResult:
        [scope] = [s for s in self.scopes if (s.account_id, s.region) == (account_id, region)]
        return scope

    def statuses(self) -> dict[tuple[str, str | None], str]:
        return {(s.account_id, s.region): s.status for s in self.scopes}


def truth_of(emu: Emulator, accounts: Sequence[str]) -> Images:
    """The emulator's images of these accounts, in every region each enabled."""
    images = emu.scoped_truth.images
    return {
        account: {region: dict(shares) for region, shares in images[account].items()}
        for account in accounts
    }


def shared_with(images: Images) -> set[str]:
    return {
        account
        for regions in images.values()
        for shares in regions.values()
        for accounts in shares.values()
        for account in accounts
    }


def code_of(scope: ScopeResult) -> str | None:
    return None if scope.error is None else error_code(scope.error)


def active(emu: Emulator) -> list[str]:
    return accounts_where(emu.scoped_truth, status="ACTIVE")


def workspaces_requests(emu: Emulator, **where: object) -> list[Any]:
    return [
        record
        for record in emu.requests
        if record.service == "workspaces"
        and all(getattr(record, key) == value for key, value in where.items())
    ]


def assume_role_arns(emu: Emulator) -> list[str]:
    return [
        r.role_arn
        for r in emu.requests
        if r.operation == "AssumeRole" and r.status == 200 and r.role_arn is not None
    ]


# -- every account and region ----------------------------------------------------------------


async def test_every_active_account_and_enabled_region_is_audited_as_the_emulator_holds() -> None:
    with organization() as emu:
        outcome = await everything(audit_of(emu))

    assert outcome.answer() == truth_of(emu, active(emu))
    assert all(result.error is None for result in outcome.images)
    audited = {scope for scope, status in outcome.statuses().items() if status == "audited"}
    truth = emu.scoped_truth.images
    assert audited == {(a, region) for a in active(emu) for region in truth[a]}


async def test_every_control_plane_client_is_closed_once_it_has_answered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """botocore's clients keep their connections until closed: left open, each would hold a
    socket to STS or EC2 for the rest of a long audit."""
    made: list[object] = []
    closed: list[object] = []
    create_client = botocore.session.Session.create_client
    close = botocore.client.BaseClient.close

    def counted_create(self: botocore.session.Session, *args: Any, **kwargs: Any) -> Any:
        made.append(client := create_client(self, *args, **kwargs))
        return client

    def counted_close(self: botocore.client.BaseClient) -> None:
        closed.append(self)
        close(self)

    monkeypatch.setattr(botocore.session.Session, "create_client", counted_create)
    monkeypatch.setattr(botocore.client.BaseClient, "close", counted_close)
    with organization() as emu:
        await everything(audit_of(emu))

    assert len(made) > len(active(emu))
    assert {id(client) for client in made} <= {id(client) for client in closed}


async def test_each_scope_result_counts_the_images_answered_in_it() -> None:
    with organization() as emu:
        outcome = await everything(audit_of(emu))

    counted = Counter((r.account_id, r.region) for r in outcome.images)
    assert {(s.account_id, s.region): s.images for s in outcome.scopes if s.images} == counted


async def test_shares_past_25_are_read_across_pages_in_server_order() -> None:
    with organization() as emu:
        outcome = await everything(audit_of(emu))

    many = [r for r in outcome.images if len(r.shared_account_ids) > 25]
    assert many, "the seed holds images shared with more than 25 accounts"
    for result in many:
        assert result.account_id is not None
        assert result.region is not None
        truth = emu.scoped_truth.images[result.account_id][result.region][result.image_id]
        assert result.shared_account_ids == truth
        assert result.pages == -(-len(truth) // 25)


async def test_without_regions_every_workspaces_region_is_tried_and_the_rest_is_not_enabled() -> (
    None
):
    with organization() as emu:
        audit = audit_of(emu, regions=None)
        outcome = await everything(audit)
    offered = audit.regions

    assert set(emu.regions) < set(offered)
    assert outcome.answer() == truth_of(emu, active(emu))
    truth = emu.scoped_truth.images
    expected: dict[tuple[str, str | None], str] = {
        (account, region): "audited" if region in truth[account] else "not_enabled"
        for account in active(emu)
        for region in offered
    }
    expected[SUSPENDED, None] = "skipped"
    assert outcome.statuses() == expected


async def test_the_totals_count_every_workspaces_request() -> None:
    with organization() as emu:
        audit = audit_of(emu)
        await everything(audit)

    assert audit.totals.requests == len(workspaces_requests(emu)) > 0
    assert audit.totals.retries == audit.totals.throttles == 0


async def test_regions_and_accounts_given_twice_are_audited_once() -> None:
    with organization() as emu:
        outcome = await everything(
            audit_of(
                emu,
                regions=["us-east-1", "us-east-1"],
                accounts=[Account(MEMBERS[0]), Account(MEMBERS[0], name="again")],
            )
        )

    assert outcome.answer() == {
        MEMBERS[0]: {"us-east-1": truth_of(emu, [MEMBERS[0]])[MEMBERS[0]]["us-east-1"]}
    }
    assert len(outcome.images) == len(emu.scoped_truth.images[MEMBERS[0]]["us-east-1"])
    assert len(outcome.scopes) == 1


async def test_throttled_scopes_are_retried_and_lose_no_image() -> None:
    """The emulator throttles each (account, region) apart, as AWS does."""
    two = [MANAGEMENT, MEMBERS[0]]
    with organization(rate=1000, burst=1, images=4) as emu:
        audit = audit_of(emu, accounts=[Account(a) for a in two], regions=["us-east-1"])
        outcome = await everything(audit)

    assert audit.totals.throttles > 0
    assert [r.error for r in outcome.images if r.error is not None] == []
    assert outcome.answer() == {a: {"us-east-1": truth_of(emu, [a])[a]["us-east-1"]} for a in two}


# -- accounts that cannot be audited -----------------------------------------------------------


async def test_a_denied_role_is_one_failed_result_for_its_account_and_the_others_are_audited() -> (
    None
):
    denied = MEMBERS[0]
    with organization(deny_role=[denied]) as emu:
        outcome = await everything(audit_of(emu))

    failure = outcome.status(denied, None)
    assert failure.status == "failed"
    assert code_of(failure) == "AccessDenied"
    assert [s for s in outcome.scopes if s.account_id == denied] == [failure]
    others = [a for a in active(emu) if a != denied]
    assert outcome.answer() == truth_of(emu, others)


async def test_a_denied_role_is_not_logged_as_a_traceback(caplog: pytest.LogCaptureFixture) -> None:
    with organization(deny_role=[MEMBERS[0]]) as emu:
        await everything(audit_of(emu))

    assert [r for r in caplog.records if r.levelname in ("WARNING", "ERROR")] == []


async def test_a_role_needing_an_external_id_is_audited_with_it() -> None:
    needs = MEMBERS[1]
    with organization(external_id_role=[needs]) as emu:
        outcome = await everything(audit_of(emu, external_id=emu.external_id))

    assert outcome.answer() == truth_of(emu, active(emu))
    assert emu.role_arn(needs) in assume_role_arns(emu)


async def test_a_role_needing_an_external_id_fails_without_it() -> None:
    needs = MEMBERS[1]
    with organization(external_id_role=[needs]) as emu:
        outcome = await everything(audit_of(emu))

    failure = outcome.status(needs, None)
    assert (failure.status, code_of(failure)) == ("failed", "AccessDenied")
    assert outcome.answer() == truth_of(emu, [a for a in active(emu) if a != needs])


async def test_a_suspended_account_is_skipped_reported_and_never_reached() -> None:
    with organization() as emu:
        audit = audit_of(emu)
        outcome = await everything(audit)

    assert outcome.status(SUSPENDED, None) == ScopeResult(
        SUSPENDED, audit.skipped[0].name, None, "skipped", 0, None
    )
    assert [account.account_id for account in audit.skipped] == [SUSPENDED]
    assert SUSPENDED not in [account.account_id for account in audit.accounts]
    assert SUSPENDED not in outcome.answer()
    assert emu.role_arn(SUSPENDED) not in [r.role_arn for r in emu.requests]
    assert [r for r in emu.requests if r.account_id == SUSPENDED] == []


async def test_a_suspended_account_given_by_id_is_skipped_too() -> None:
    with organization() as emu:
        outcome = await everything(
            audit_of(emu, accounts=[Account(SUSPENDED), Account(MEMBERS[0])])
        )

    assert outcome.status(SUSPENDED, None).status == "skipped"
    assert emu.role_arn(SUSPENDED) not in [r.role_arn for r in emu.requests]
    assert outcome.answer() == truth_of(emu, [MEMBERS[0]])


async def test_a_disabled_opt_in_region_is_not_enabled_and_no_failure() -> None:
    member = EVERYWHERE[0]
    with organization(opt_in_disabled=[(member, "af-south-1")]) as emu:
        outcome = await everything(audit_of(emu))

    assert outcome.status(member, "af-south-1") == ScopeResult(
        member, outcome.status(member, "us-east-1").account_name, "af-south-1", "not_enabled", 0,
        None,
    )  # fmt: skip
    assert workspaces_requests(emu, account_id=member, region="af-south-1") == []
    assert "failed" not in outcome.statuses().values()
    assert outcome.answer() == truth_of(emu, active(emu))


async def test_a_member_without_the_home_region_is_audited_where_it_has_enabled() -> None:
    """Its DescribeRegions, asked in the home region, is refused: every region is tried."""
    with organization() as emu:
        outcome = await everything(
            audit_of(emu, region_name="af-south-1", accounts=[Account(OPTED_OUT)])
        )

    assert outcome.statuses() == {
        (OPTED_OUT, "us-east-1"): "audited",
        (OPTED_OUT, "eu-west-1"): "audited",
        (OPTED_OUT, "af-south-1"): "not_enabled",
    }
    assert outcome.answer() == truth_of(emu, [OPTED_OUT])


# -- behind a proxy that answers some requests itself ------------------------------------------

_CREDENTIAL = re.compile(r"Credential=([^/]+)/[0-9]{8}/([^/]+)/([^/]+)/")

Instead = Callable[[str, str, str, str], web.Response | None]
"""(service, access key, region, X-Amz-Target or '') -> the answer to give instead of the
emulator's, or None to forward the request."""


def ec2_unauthorized(service: str, key: str, region: str, target: str) -> web.Response | None:
    if service != "ec2":
        return None
    body = (
        '<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error>'
        "<Code>UnauthorizedOperation</Code>"
        "<Message>You are not authorized to perform this operation.</Message>"
        "</Error></Errors><RequestID>req-1</RequestID></Response>"
    )
    return web.Response(status=403, text=body, content_type="text/xml")


@asynccontextmanager
async def in_front_of(
    emu: Emulator, loopback_server: LoopbackServer, *answers: Instead
) -> AsyncIterator[str]:
    """A proxy to ``emu`` that answers some requests itself; yields its URL."""
    async with aiohttp.ClientSession() as session:

        async def forward(request: web.Request) -> web.StreamResponse:
            found = _CREDENTIAL.search(request.headers.get("Authorization", ""))
            if found is not None:
                key, region, service = found.groups()
                target = request.headers.get("X-Amz-Target", "")
                for instead in answers:
                    answer = instead(service, key, region, target)
                    if answer is not None:
                        return answer
            async with session.post(
                emu.endpoint_url + "/", headers=request.headers, data=await request.read()
            ) as forwarded:
                return web.Response(
                    status=forwarded.status,
                    body=await forwarded.read(),
                    headers={
                        k: v
                        for k, v in forwarded.headers.items()
                        if k.lower() not in ("content-length", "transfer-encoding", "connection")
                    },
                )

        application = web.Application()
        application.router.add_post("/", forward)
        yield await loopback_server(application)


def through(url: str, emu: Emulator, **options: Any) -> OrganizationAudit:
    return audit_of(emu, endpoint_url=url, **options)


async def test_when_describe_regions_is_denied_a_region_refusing_the_token_is_not_enabled(
    loopback_server: LoopbackServer,
) -> None:
    with organization() as emu:
        async with in_front_of(emu, loopback_server, ec2_unauthorized) as url:
            outcome = await everything(through(url, emu))

    assert outcome.status(OPTED_OUT, "af-south-1").status == "not_enabled"
    assert outcome.status(OPTED_OUT, "af-south-1").error is None
    refused = [r for r in emu.requests if r.service == "workspaces" and r.error_code is not None]
    assert {r.error_code for r in refused} == {"UnrecognizedClientException"}
    assert "failed" not in outcome.statuses().values()
    assert outcome.answer() == truth_of(emu, active(emu))


async def test_a_region_refusing_the_token_where_no_region_works_is_a_failure(
    loopback_server: LoopbackServer,
) -> None:
    with organization() as emu:
        async with in_front_of(emu, loopback_server, ec2_unauthorized) as url:
            outcome = await everything(
                through(url, emu, accounts=[Account(OPTED_OUT, regions=("af-south-1",))])
            )

    failure = outcome.status(OPTED_OUT, "af-south-1")
    assert (failure.status, code_of(failure)) == ("failed", "UnrecognizedClientException")


async def test_an_accounts_region_where_workspaces_is_not_offered_is_not_audited(
    loopback_server: LoopbackServer,
) -> None:
    member = EVERYWHERE[0]
    with organization() as emu:
        async with in_front_of(emu, loopback_server, ec2_unauthorized) as url:
            outcome = await everything(
                through(url, emu, accounts=[Account(member, regions=("us-east-1", "us-west-1"))])
            )

    assert outcome.statuses() == {(member, "us-east-1"): "audited"}
    assert workspaces_requests(emu, region="us-west-1") == []


async def test_a_region_described_as_not_opted_in_is_not_enabled(
    loopback_server: LoopbackServer,
) -> None:
    """What AWS answers with AllRegions, or when the region is named."""

    def not_opted_in(service: str, key: str, region: str, target: str) -> web.Response | None:
        if service != "ec2":
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
            outcome = await everything(through(url, emu, accounts=[Account(member)]))

    assert outcome.statuses() == {
        (member, "us-east-1"): "audited",
        (member, "eu-west-1"): "audited",
        (member, "af-south-1"): "not_enabled",
    }


async def test_a_listing_that_fails_in_one_region_fails_that_scope_only(
    loopback_server: LoopbackServer,
) -> None:
    def management_listing_denied(
        service: str, key: str, region: str, target: str
    ) -> web.Response | None:
        if key != emu.credentials.access_key or region != "eu-west-1":
            return None
        if not target.endswith("DescribeWorkspaceImages"):
            return None
        return web.json_response(
            {"__type": "AccessDeniedException", "message": "not allowed"},
            status=400,
            content_type="application/x-amz-json-1.1",
        )

    with organization() as emu:
        async with in_front_of(emu, loopback_server, management_listing_denied) as url:
            outcome = await everything(through(url, emu))

    failure = outcome.status(MANAGEMENT, "eu-west-1")
    assert (failure.status, code_of(failure)) == ("failed", "AccessDeniedException")
    expected = truth_of(emu, active(emu))
    del expected[MANAGEMENT]["eu-west-1"]
    assert outcome.answer() == expected


async def test_the_requests_of_a_scope_that_failed_count_in_the_totals(
    loopback_server: LoopbackServer,
) -> None:
    denied: list[str] = []

    def listing_denied(service: str, key: str, region: str, target: str) -> web.Response | None:
        if region != "eu-west-1" or not target.endswith("DescribeWorkspaceImages"):
            return None
        denied.append(key)
        return web.json_response(
            {"__type": "AccessDeniedException", "message": "not allowed"},
            status=400,
            content_type="application/x-amz-json-1.1",
        )

    with organization() as emu:
        async with in_front_of(emu, loopback_server, listing_denied) as url:
            audit = through(url, emu)
            outcome = await everything(audit)

    assert "failed" in outcome.statuses().values()
    assert audit.totals.requests == len(workspaces_requests(emu)) + len(denied)


async def test_whatever_ends_a_scope_is_that_scopes_result_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Here a scope's client cannot even be made: the other scopes go on."""

    def none_in_eu_west_1(settings: Any, **options: Any) -> ImagePermissionsClient:
        if settings.region_name == "eu-west-1":
            raise RuntimeError("no client in eu-west-1")
        return client_for_settings(settings, **options)

    monkeypatch.setattr("imgperms_async._scopes.client_for_settings", none_in_eu_west_1)
    with organization() as emu:
        outcome = await everything(audit_of(emu))

    failed = [s for s in outcome.scopes if s.status == "failed"]
    assert {(s.account_id, s.region) for s in failed} == {(a, "eu-west-1") for a in active(emu)}
    assert {str(s.error) for s in failed} == {"no client in eu-west-1"}
    expected = truth_of(emu, active(emu))
    for regions in expected.values():
        del regions["eu-west-1"]
    assert outcome.answer() == expected


# -- credentials -------------------------------------------------------------------------------


class OneAtATime:
    """Sends one request at a time (its slot is the only one), and calls ``after`` with each
    answer while the slot is still held: nothing else is signed or in flight then."""

    def __init__(self, inner: Transport, after: Callable[[HttpRequest], None]) -> None:
        self._inner = inner
        self._after = after
        self._slot = asyncio.Semaphore(1)

    def slot(self) -> AbstractAsyncContextManager[object]:
        return self._slot

    async def send(self, request: HttpRequest) -> HttpResponse:
        response = await self._inner.send(request)
        self._after(request)
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


async def test_credentials_expiring_mid_run_are_renewed_and_no_image_is_lost() -> None:
    clock = FakeClock(start=time.time())
    moved: list[float] = []

    def expire_the_sessions(request: HttpRequest) -> None:
        """After the first answer to a role's session, move on past its lifetime (but within
        the five minutes a signature may be off)."""
        if not moved and "Credential=ASIA" in request.headers["Authorization"]:
            moved.append(clock.now)
            clock.now += 250

    with organization(credential_duration=200, clock=clock) as emu:
        async with AiohttpTransport() as pool:
            transport = OneAtATime(pool, expire_the_sessions)
            # One account at a time: no other is between its AssumeRole and DescribeRegions
            # when the clock jumps (a jump no real session, of 15 minutes at least, would see).
            outcome = await everything(audit_of(emu, transport=transport, scopes_at_once=4))

    assert moved, "a role's session was in use"
    assert outcome.answer() == truth_of(emu, active(emu))
    assert [r.error for r in outcome.images if r.error is not None] == []
    assert [r.error_code for r in emu.requests if r.error_code is not None] == []
    renewed = [r for r in emu.requests if r.operation == "AssumeRole" and r.time > moved[0]]
    assert len({r.role_arn for r in renewed}) == len(MEMBERS)


# -- share classes -----------------------------------------------------------------------------


async def test_shares_are_classed_organization_allowlisted_or_external() -> None:
    with organization() as emu:
        truth = emu.scoped_truth
        assert truth.organization is not None
        members = {account.account_id for account in truth.organization.accounts}
        outsiders = sorted(shared_with(truth_of(emu, active(emu))) - members)
        allowed, stranger = outsiders[0], outsiders[1]
        audit = audit_of(emu, allowlist=[allowed, MEMBERS[0]])
        outcome = await everything(audit)

    assert audit.members == frozenset(members)
    assert audit.classify(MEMBERS[0]) == "organization"
    assert audit.classify(SUSPENDED) == "organization"
    assert audit.classify(allowed) == "allowlisted"
    assert audit.classify(stranger) == "external"
    kinds = {
        frozenset(audit.classify(a) for a in result.shared_account_ids) for result in outcome.images
    }
    assert {frozenset({"organization"}), frozenset({"external"})} <= kinds
    assert frozenset({"organization", "external"}) in kinds


async def test_without_the_organization_only_the_allowlist_is_allowed() -> None:
    with Emulator(images=6, seed=2) as standalone:
        shared = sorted({a for shares in standalone.truth.values() for a in shares})
        audit = audit_of(
            standalone, accounts=[Account(standalone.account_id)], allowlist=[shared[0]]
        )
        outcome = await everything(audit)

    assert audit.members is None
    assert audit.classify(shared[0]) == "allowlisted"
    assert audit.classify(shared[1]) == "external"
    assert {r.image_id: r.shared_account_ids for r in outcome.images} == dict(standalone.truth)


async def test_an_audit_of_every_member_needs_an_organization() -> None:
    with Emulator(images=2, seed=2) as standalone, pytest.raises(OrganizationUnavailableError):
        async with audit_of(standalone):
            pass


# -- where the accounts come from --------------------------------------------------------------


async def test_accounts_from_a_file_of_ids_are_audited_with_their_organization_names() -> None:
    first, second = MEMBERS[0], MEMBERS[1]
    text = f"\ufeff# audited weekly\n{first}\n\n{second}  # team\n{first}\n"

    accounts = accounts_from_text(text, source="accounts.txt")
    with organization() as emu:
        outcome = await everything(audit_of(emu, accounts=accounts))

    assert accounts == [Account(first), Account(second)]
    assert outcome.answer() == truth_of(emu, [first, second])
    names = {a.account_id: a.name for a in emu.scoped_truth.organization.accounts}  # type: ignore[union-attr]
    assert {s.account_id: s.account_name for s in outcome.scopes} == {
        first: names[first],
        second: names[second],
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
            f"    role: {emu.role_arn(needs)}\n"
            f"    external_id: {emu.external_id}\n"
            f"  - account_id: '{other}'\n"
            f"  - account_id: '{plain}'\n"
            "    name: listed twice\n"
        )
        accounts = accounts_from_text(text, source="accounts.yml")
        outcome = await everything(audit_of(emu, accounts=accounts))

    assert accounts[0] == Account(
        plain, "alpha", role_arn=emu.role_arn(plain), regions=("us-east-1", "us-east-1")
    )
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


async def test_the_callers_own_account_is_audited_with_the_callers_keys() -> None:
    with organization() as emu:
        outcome = await everything(audit_of(emu))

    own = workspaces_requests(emu, account_id=MANAGEMENT)
    assert own
    assert {r.access_key for r in own} == {emu.credentials.access_key}
    assert emu.role_arn(MANAGEMENT) not in [r.role_arn for r in emu.requests]
    theirs = [r for r in workspaces_requests(emu) if r.account_id != MANAGEMENT]
    assert theirs
    assert emu.credentials.access_key not in {r.access_key for r in theirs}
    assert MANAGEMENT in outcome.answer()


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("123456789012\n12345\n", "accounts.txt, line 2: '12345'"),
        ("123456789012\n123456789012x\n", "accounts.txt, line 2"),
        ("\u00a0123456789012\n", "accounts.txt, line 1: '\\xa0123456789012'"),
        ("accounts: [\n", "accounts.txt is not valid YAML"),
        ("accounts: 5\n", "`accounts` must be a list"),
        ("accounts:\n  - 123456789012\n", "accounts.txt, account 1 is not a mapping"),
        ("accounts:\n  - account_id: 123456789012\n", "accounts.txt, account 1: account_id"),
        (
            "accounts:\n  - account_id: '123456789012'\n  - account_id: '12'\n",
            "accounts.txt, account 2: account_id '12'",
        ),
        (
            "accounts:\n  - account_id: '123456789012'\n    regions: us-east-1\n",
            "accounts.txt, account 1: regions must be a list",
        ),
        (
            "accounts:\n  - account_id: '123456789012'\n    regions: [US-EAST-1]\n",
            "region 'US-EAST-1' (accounts.txt, account 1) must be lower case",
        ),
        (
            "accounts:\n  - account_id: '123456789012'\n    name: 5\n",
            "accounts.txt, account 1: name must be a string",
        ),
        (
            "accounts:\n  - account_id: '123456789012'\n"
            "    role: arn:aws:iam::210987654321:role/Audit\n",
            "accounts.txt, account 1: the role arn:aws:iam::210987654321:role/Audit",
        ),
    ],
    ids=["short-id", "trailing-letter", "nbsp", "bad-yaml", "not-a-list", "not-a-mapping", "unquoted-id",
         "second-entry", "regions-string", "region-case", "name-number", "role-elsewhere"],
)  # fmt: skip
def test_a_malformed_accounts_file_is_refused_naming_the_line_or_entry(
    text: str, named: str
) -> None:
    with pytest.raises(InvalidSettingError) as refused:
        accounts_from_text(text, source="accounts.txt")

    assert named in str(refused.value)


# -- the role assumed in each account ----------------------------------------------------------


def test_a_role_name_gives_the_arn_in_the_partition_of_the_region() -> None:
    configured = BotocoreSession(profile_name=None, endpoint_url=None)
    partitions = [configured.partition(r) for r in ("us-east-1", "cn-north-1", "us-gov-west-1")]

    arns = [
        role_arn("123456789012", partition=p, role_name="Audit", template=None) for p in partitions
    ]

    assert arns == [
        "arn:aws:iam::123456789012:role/Audit",
        "arn:aws-cn:iam::123456789012:role/Audit",
        "arn:aws-us-gov:iam::123456789012:role/Audit",
    ]


async def test_the_role_name_is_assumed_in_every_member() -> None:
    with organization(role_name="AuditRole") as emu:
        outcome = await everything(audit_of(emu, role_name="AuditRole"))

    assert sorted(assume_role_arns(emu)) == sorted(
        f"arn:aws:iam::{member}:role/AuditRole" for member in MEMBERS
    )
    assert outcome.answer() == truth_of(emu, active(emu))


async def test_the_role_arn_is_in_the_partition_of_the_home_region(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """As if the emulator's region were in the China partition (it serves no such region)."""
    asked: list[str] = []

    def china(self: BotocoreSession, region: str) -> str:
        asked.append(region)
        return "aws-cn"

    monkeypatch.setattr(BotocoreSession, "partition", china)
    with organization() as emu:
        await everything(audit_of(emu, regions=None))

    assert asked == [emu.region]
    tried = [str(r.role_arn) for r in emu.requests if r.operation == "AssumeRole"]
    assert sorted(tried) == sorted(
        f"arn:aws-cn:iam::{m}:role/OrganizationAccountAccessRole" for m in MEMBERS
    )


@pytest.mark.parametrize(
    ("options", "code"),
    [({"duration_secs": 7200}, "ValidationError"), ({"session_name": "x"}, "ParamValidationError")],
    ids=["duration-over-the-roles-hour", "session-name-too-short"],
)
async def test_assume_role_is_asked_for_the_session_name_and_duration_given(
    options: dict[str, Any], code: str
) -> None:
    with organization() as emu:
        outcome = await everything(audit_of(emu, **options))

    failed = {s.account_id: code_of(s) for s in outcome.scopes if s.status == "failed"}
    assert failed == dict.fromkeys(MEMBERS, code)
    assert outcome.answer() == truth_of(emu, [MANAGEMENT])


async def test_a_role_arn_template_is_filled_in_for_every_member() -> None:
    template = "arn:{partition}:iam::{account_id}:role/OrganizationAccountAccessRole"
    with organization() as emu:
        outcome = await everything(audit_of(emu, role_arn_template=template))

    assert sorted(assume_role_arns(emu)) == sorted(emu.role_arn(m) for m in MEMBERS)
    assert outcome.answer() == truth_of(emu, active(emu))


@pytest.mark.parametrize(
    "template",
    [
        "arn:aws:iam::{account}:role/Audit",
        "arn:aws:iam::{account_id}:role/{0}",
        "arn:aws:iam::{account_id:x}:role/Audit",
        "arn:aws:iam::{account_id:role/Audit",
    ],
    ids=["unknown-field", "positional", "bad-format", "unclosed"],
)
def test_a_role_arn_template_that_cannot_be_filled_in_is_refused(template: str) -> None:
    with pytest.raises(InvalidSettingError, match="role ARN template"):
        OrganizationAudit(role_arn_template=template)


@pytest.mark.parametrize(
    "template",
    [
        f"arn:aws:iam::{MEMBERS[0]}:role/OrganizationAccountAccessRole",
        "arn:aws:iam::111111111111:role/Audit-{account_id}",
        "{account_id}",
    ],
    ids=["one-account", "account-in-the-name", "not-an-arn"],
)
def test_a_role_arn_template_that_is_not_a_role_in_each_account_is_refused(
    template: str,
) -> None:
    """Any other role's credentials would list that role's account's images under the name of
    every account audited."""
    with pytest.raises(InvalidSettingError, match="role ARN template"):
        OrganizationAudit(role_arn_template=template)


@pytest.mark.parametrize("role_name", ["", "two words", "Audit\n"])
def test_a_role_name_that_makes_no_role_arn_is_refused(role_name: str) -> None:
    with pytest.raises(InvalidSettingError, match="role name"):
        OrganizationAudit(role_name=role_name)


def test_a_role_name_may_have_a_path() -> None:
    assert role_arn("123456789012", partition="aws", role_name="team/Audit", template=None) == (
        "arn:aws:iam::123456789012:role/team/Audit"
    )


def test_an_accounts_own_role_must_be_in_that_account() -> None:
    with pytest.raises(InvalidSettingError, match="210987654321"):
        Account("123456789012", role_arn="arn:aws:iam::210987654321:role/Audit")


# -- one pool, bounded work --------------------------------------------------------------------


@dataclass
class Watched:
    """A transport that counts what goes through it, overall and per (access key, region)."""

    inner: Transport
    sent: int = 0
    in_flight: int = 0
    peak: int = 0
    scopes: Counter[tuple[str, str]] = field(default_factory=Counter)
    scope_peak: int = 0
    seen: set[tuple[str, str]] = field(default_factory=set)

    def slot(self) -> AbstractAsyncContextManager[object]:
        return self.inner.slot()

    async def send(self, request: HttpRequest) -> HttpResponse:
        found = _CREDENTIAL.search(request.headers["Authorization"])
        assert found is not None
        scope = (found[1], found[2])
        self.sent += 1
        self.seen.add(scope)
        self.in_flight += 1
        self.scopes[scope] += 1
        self.peak = max(self.peak, self.in_flight)
        self.scope_peak = max(self.scope_peak, self.scopes[scope])
        try:
            return await self.inner.send(request)
        finally:
            self.in_flight -= 1
            self.scopes[scope] -= 1

    async def aclose(self) -> None:
        await self.inner.aclose()

    async def __aenter__(self) -> Watched:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


async def test_every_workspaces_request_of_every_scope_goes_through_the_one_transport() -> None:
    with organization() as emu:
        async with AiohttpTransport() as pool:
            watched = Watched(pool)
            outcome = await everything(audit_of(emu, transport=watched))

    assert watched.sent == len(workspaces_requests(emu))
    audited = [s for s in outcome.scopes if s.status == "audited"]
    assert len(watched.seen) == len(audited) == len({(s.account_id, s.region) for s in audited})


async def test_the_audit_makes_one_pool_for_every_scope(monkeypatch: pytest.MonkeyPatch) -> None:
    pools: list[AiohttpTransport] = []

    class Counted(AiohttpTransport):
        def __init__(self, **options: Any) -> None:
            super().__init__(**options)
            pools.append(self)

    monkeypatch.setattr("imgperms_async._client.AiohttpTransport", Counted)
    with organization() as emu:
        outcome = await everything(audit_of(emu))

    assert len(pools) == 1
    assert outcome.answer() == truth_of(emu, active(emu))


async def test_requests_in_flight_overall_never_exceed_the_concurrency(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    watched: list[Watched] = []

    def pool(**options: Any) -> Watched:
        watched.append(Watched(AiohttpTransport(**options)))
        return watched[-1]

    monkeypatch.setattr("imgperms_async._client.AiohttpTransport", pool)
    with organization(latency=0.01) as emu:
        outcome = await everything(audit_of(emu, concurrency=3, scope_concurrency=4))

    assert watched[0].peak == 3
    assert outcome.answer() == truth_of(emu, active(emu))


async def test_requests_in_flight_in_one_scope_never_exceed_the_scope_concurrency() -> None:
    with organization(latency=0.01, images=6) as emu:
        async with AiohttpTransport() as pool:
            watched = Watched(pool)
            await everything(audit_of(emu, transport=watched, scope_concurrency=2))

    assert watched.scope_peak == 2
    assert watched.peak > 2


@dataclass
class OpenClients:
    """Wraps ``client_for_settings`` to count the scope clients open at once."""

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


async def test_no_more_scopes_are_open_at_once_than_scopes_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clients = OpenClients(client_for_settings)
    monkeypatch.setattr("imgperms_async._scopes.client_for_settings", clients)
    with organization(latency=0.01) as emu:
        outcome = await everything(audit_of(emu, scopes_at_once=2))

    assert clients.peak == 2
    assert clients.open == 0
    assert outcome.answer() == truth_of(emu, active(emu))


async def test_no_more_accounts_are_reached_at_once_than_a_quarter_of_scopes_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reaching = Counter[str]()
    lock = threading.Lock()

    def counted(*args: Any) -> Any:
        with lock:
            reaching["now"] += 1
            reaching["peak"] = max(reaching["peak"], reaching["now"])
        try:
            return assumed_credentials(*args)
        finally:
            with lock:
                reaching["now"] -= 1

    monkeypatch.setattr("imgperms_async._scopes.assumed_credentials", counted)
    with organization(latency=0.02, images=1) as emu:
        outcome = await everything(audit_of(emu, scopes_at_once=4))

    assert reaching["peak"] == 1
    assert outcome.answer() == truth_of(emu, active(emu))


async def test_the_accounts_reached_side_by_side_load_ec2s_model_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each load is megabytes of JSON parsed under the GIL: 64 accounts at once would stall."""
    reads: list[str] = []
    load = JSONFileLoader.load_file

    def counted(self: JSONFileLoader, file_path: str) -> Any:
        if file_path.split("/")[-3:-2] == ["ec2"] and file_path.endswith("/service-2"):
            reads.append(file_path)
        return load(self, file_path)

    monkeypatch.setattr(JSONFileLoader, "load_file", counted)
    monkeypatch.setattr("botocore.session.create_loader", create_loader)
    with organization() as emu:
        outcome = await everything(audit_of(emu, accounts=[Account(m) for m in MEMBERS]))

    assert len(reads) == 1
    assert outcome.answer() == truth_of(emu, MEMBERS)


async def test_a_slow_reader_holds_the_audit_back_instead_of_piling_up_results() -> None:
    images = [f"wsi-{n:09d}" for n in range(200)]

    def answer(request: HttpRequest) -> MockResponse:
        if request.headers["X-Amz-Target"].endswith("DescribeWorkspaceImages"):
            listed = [{"ImageId": image, "OwnerAccountId": MANAGEMENT} for image in images]
            return MockResponse(body=_json({"Images": listed}))
        image = _json_of(request.body)["ImageId"]
        return MockResponse(body=_json({"ImageId": image, "ImagePermissions": []}))

    transport = MockTransport(answer)
    with organization() as emu:
        audit = audit_of(
            emu, accounts=[Account(MANAGEMENT)], regions=["us-east-1"], transport=transport,
            concurrency=2,
        )  # fmt: skip
        async with audit, aclosing(audit.results()) as results:
            first = await anext(results)
            while True:
                sent = len(transport.requests)
                await settle()
                if len(transport.requests) == sent:
                    break
            held_back = len(transport.requests)
            rest = [item async for item in results]

    assert isinstance(first, ImagePermissionsResult)
    assert held_back < 50
    assert len([r for r in rest if isinstance(r, ImagePermissionsResult)]) == len(images) - 1


def _json(value: object) -> bytes:
    return json.dumps(value).encode()


def _json_of(body: bytes) -> Any:
    return json.loads(body)


# -- stopping ----------------------------------------------------------------------------------


def tasks_left() -> set[asyncio.Task[Any]]:
    return {task for task in asyncio.all_tasks() if task is not asyncio.current_task()}


async def test_leaving_the_results_early_stops_every_scope_and_leaves_no_task() -> None:
    """Counted as the client sends, not as the server logs: requests already on the wire when
    the loop is left may reach the emulator's thread later."""
    with organization(images=8) as emu:
        async with AiohttpTransport() as pool:
            watched = Watched(pool)
            async with audit_of(emu, scopes_at_once=1, transport=watched) as audit:
                async with aclosing(audit.results()) as results:
                    async for item in results:
                        if isinstance(item, ImagePermissionsResult):
                            break
                assert tasks_left() == set()
                asked = watched.sent
                await settle()
                assert watched.sent == asked

    total = sum(len(i) for a in active(emu) for i in emu.scoped_truth.images[a].values())
    assert asked < total


async def test_leaving_the_audit_stops_a_results_loop_left_open() -> None:
    with organization(images=8) as emu:
        async with audit_of(emu, scopes_at_once=1) as audit:
            results = audit.results()
            async for item in results:
                if isinstance(item, ImagePermissionsResult):
                    break
        assert tasks_left() == set()
        await results.aclose()


# -- settings ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["concurrency", "scope_concurrency", "scopes_at_once",
                                  "duration_secs"])  # fmt: skip
@pytest.mark.parametrize("value", [0, -1, 1.5])
def test_a_bound_below_one_is_refused(name: str, value: Any) -> None:
    options: dict[str, Any] = {name: value}
    with pytest.raises(InvalidSettingError, match=name):
        OrganizationAudit(**options)


async def test_without_a_configured_region_the_first_region_audited_is_home() -> None:
    with organization() as emu:
        outcome = await everything(audit_of(emu, region_name=None, regions=["eu-west-1"]))

    expected = {a: {"eu-west-1": truth_of(emu, [a])[a]["eu-west-1"]} for a in active(emu)}
    assert outcome.answer() == expected


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"regions": ["us-east-1", "US-EAST-1"]}, "'US-EAST-1' (regions) must be lower case"),
        ({"regions": ["us east 1"]}, "'us east 1' (regions) is not a region name"),
        (
            {"accounts": [Account("123456789012", regions=("eu-west-1", "EU-WEST-1"))]},
            "(regions of account 123456789012) must be lower case",
        ),
    ],
    ids=["case", "spaces", "an-accounts"],
)
def test_a_region_that_is_not_a_region_name_is_refused(options: dict[str, Any], named: str) -> None:
    """It would be no WorkSpaces region, and be left out without a word."""
    with pytest.raises(InvalidSettingError) as refused:
        OrganizationAudit(**options)

    assert named in str(refused.value)


async def test_without_any_region_to_go_by_the_audit_cannot_start() -> None:
    with organization() as emu, pytest.raises(NoRegionError):
        async with audit_of(emu, region_name=None, regions=None):
            pass
