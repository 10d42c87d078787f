"""What the audit tests share: an audit aimed at the emulator from any account source, its
results gathered and compared with the emulator's truth, a proxy that answers some requests
itself, and a transport that counts what goes through it.

The three account sources are one audit: ``"caller"`` (the emulator's own account, the
organization's management account, with its keys), ``"list"`` (every account of the
organization given one by one, the suspended one included) and ``"organization"``. A behaviour
that holds for all of them is one test parametrized over ``SOURCES``.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, aclosing, asynccontextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Literal
from urllib.parse import parse_qs

import aiohttp
import boto3_clients
import pytest
from aiohttp import web
from organization_support import ACCOUNTS, MANAGEMENT
from servers import LoopbackServer

from imgperms_async import (
    Account,
    AccountSource,
    Audit,
    AuditedImage,
    AuditItem,
    ClientConfig,
    HttpRequest,
    HttpResponse,
    Identity,
    InboundImage,
    ScopeResult,
    Transport,
    error_code,
)
from imgperms_async.emulator import Emulator, RequestRecord

Source = Literal["caller", "list", "organization"]
SOURCES: tuple[Source, ...] = ("caller", "list", "organization")
ACROSS_ACCOUNTS: tuple[Source, ...] = ("list", "organization")
"""The sources that reach other accounts through a role (the caller alone reaches none)."""

FAST = ClientConfig(max_rate=10_000.0)
"""Far above the emulator's (unlimited) rate: the tests wait for nothing."""

Images = dict[str, dict[str, dict[str, tuple[str, ...]]]]
"""account -> region -> image -> shared account ids, in server order."""


def identity_of(emu: Emulator, **overrides: Any) -> Identity:
    """The emulator's own keys (its management account), every service at the emulator."""
    settings: dict[str, Any] = {
        "region_name": emu.region,
        "endpoint_url": emu.endpoint_url,
        "aws_access_key_id": emu.credentials.access_key,
        "aws_secret_access_key": emu.credentials.secret_key,
    }
    settings.update(overrides)
    return Identity(**settings)


def accounts_of(source: Source, emu: Emulator) -> AccountSource:
    if source == "list":
        truth = emu.scoped_truth.organization
        assert truth is not None
        return [Account(account.account_id) for account in truth.accounts]
    return source


def audit_of(emu: Emulator, source: Source = "organization", **options: Any) -> Audit:
    """An audit of ``emu`` as its management account from ``source``; ``regions`` default to
    those the emulator serves."""
    settings: dict[str, Any] = {
        "accounts": accounts_of(source, emu),
        "identity": identity_of(emu),
        "regions": emu.regions,
        "config": FAST,
    }
    settings.update(options)
    return Audit(**settings)


def audited_accounts(source: Source, emu: Emulator) -> list[str]:
    """The accounts whose images an audit from ``source`` holds: the caller's, or every
    ACTIVE account."""
    return [emu.account_id] if source == "caller" else active(emu)


HANG_SECS = 30.0
"""Far longer than any audit here takes: past it, the audit is stuck, and the test fails
instead of hanging the suite."""


async def everything(audit: Audit) -> Outcome:
    async with asyncio.timeout(HANG_SECS), audit, aclosing(audit.results()) as results:
        items = [item async for item in results]
    return Outcome(items, caller=audit.caller_account_id or MANAGEMENT)


@dataclass
class Outcome:
    """An audit's results; the caller's own account (``account_id`` ``None`` when nothing asked
    STS which it is) counts as ``caller``."""

    items: list[AuditItem]
    caller: str = MANAGEMENT

    @property
    def images(self) -> list[AuditedImage]:
        return [item for item in self.items if isinstance(item, AuditedImage)]

    @property
    def inbound(self) -> list[InboundImage]:
        return [item for item in self.items if isinstance(item, InboundImage)]

    @property
    def scopes(self) -> list[ScopeResult]:
        return [item for item in self.items if isinstance(item, ScopeResult)]

    def owner(self, account_id: str | None) -> str:
        return self.caller if account_id is None else account_id

    def answer(self) -> Images:
        """Images by account, region and id, as the emulator's truth holds them; each must
        have been answered once, without an error."""
        found: Images = {}
        where = [(r.account_id, r.region, r.image_id) for r in self.images]
        assert len(where) == len(set(where)), "an image was answered twice"
        assert [r.error for r in self.images if r.error is not None] == []
        for result in self.images:
            assert result.region is not None
            regions = found.setdefault(self.owner(result.account_id), {})
            regions.setdefault(result.region, {})[result.image_id] = result.shared_account_ids
        return found

    def status(self, account_id: str, region: str | None) -> ScopeResult:
        [scope] = [
            s for s in self.scopes if (self.owner(s.account_id), s.region) == (account_id, region)
        ]
        return scope

    def statuses(self) -> dict[tuple[str, str | None], str]:
        return {(self.owner(s.account_id), s.region): s.status for s in self.scopes}

    def classes(self) -> dict[str, set[str]]:
        """Each account shared with -> every class its shares were given."""
        found: dict[str, set[str]] = {}
        for result in self.images:
            for account, share_class in zip(
                result.shared_account_ids, result.share_classes, strict=True
            ):
                found.setdefault(account, set()).add(share_class)
        return found


def truth_of(
    emu: Emulator, accounts: Sequence[str], regions: Sequence[str] | None = None
) -> Images:
    """The emulator's images of these accounts, in every region each enabled (of ``regions``)."""
    images = emu.scoped_truth.images
    return {
        account: {
            region: dict(shares)
            for region, shares in images[account].items()
            if regions is None or region in regions
        }
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
    truth = emu.scoped_truth.organization
    assert truth is not None
    return [account.account_id for account in truth.accounts if account.status == "ACTIVE"]


def requests_of(emu: Emulator, service: str | None = None, **where: object) -> list[RequestRecord]:
    return [
        record
        for record in emu.requests
        if (service is None or record.service == service)
        and all(getattr(record, key) == value for key, value in where.items())
    ]


def workspaces_requests(emu: Emulator, **where: object) -> list[RequestRecord]:
    return requests_of(emu, "workspaces", **where)


def assume_role_arns(emu: Emulator) -> list[str]:
    return [
        r.role_arn
        for r in emu.requests
        if r.operation == "AssumeRole" and r.status == 200 and r.role_arn is not None
    ]


def name_of(account_id: str) -> str:
    return ACCOUNTS[account_id].name


# -- boto3, the reference ----------------------------------------------------------------------


def boto3_keys(emu: Emulator, account_id: str) -> dict[str, str]:
    """Keys for ``account_id`` as boto3 gets them: the emulator's own for its account, a
    session of the organization's role (with its ExternalId) for any other."""
    if account_id == emu.account_id:
        return {
            "aws_access_key_id": emu.credentials.access_key,
            "aws_secret_access_key": emu.credentials.secret_key,
        }
    sts = boto3_client(emu, "sts", emu.region, account_id=emu.account_id)
    options: dict[str, str] = {"ExternalId": emu.external_id} if emu.external_id else {}
    session = sts.assume_role(
        RoleArn=emu.role_arn(account_id), RoleSessionName="reference", **options
    )["Credentials"]
    return {
        "aws_access_key_id": session["AccessKeyId"],
        "aws_secret_access_key": session["SecretAccessKey"],
        "aws_session_token": session["SessionToken"],
    }


def boto3_client(
    emu: Emulator,
    service: str,
    region: str,
    *,
    account_id: str | None = None,
    keys: dict[str, str] | None = None,
) -> Any:
    return boto3_clients.client(
        service,
        region_name=region,
        endpoint_url=emu.endpoint_url,
        **(keys or boto3_keys(emu, account_id or emu.account_id)),
    )


# -- a proxy in front of the emulator ----------------------------------------------------------

_CREDENTIAL = re.compile(r"Credential=([^/]+)/[0-9]{8}/([^/]+)/([^/]+)/")


@dataclass(frozen=True)
class Seen:
    """A request as the proxy sees it: who signed it, for which service and region, and the
    operation (X-Amz-Target's, a query's Action, or a REST path)."""

    service: str
    access_key: str
    region: str
    operation: str
    body: bytes


Instead = Callable[[Seen], web.Response | None]
"""The answer to give instead of the emulator's, or None to forward the request."""


def seen_of(request: web.Request, body: bytes) -> Seen | None:
    found = _CREDENTIAL.search(request.headers.get("Authorization", ""))
    if found is None:
        return None
    key, region, service = found.groups()
    target = request.headers.get("X-Amz-Target", "")
    if target:
        operation = target.rpartition(".")[2]
    else:
        action = parse_qs(body.decode(errors="replace")).get("Action", [""])[0]
        operation = action or request.path
    return Seen(service, key, region, operation, body)


def query_error(code: str, message: str, *, status: int = 400) -> web.Response:
    """An error as EC2 words it (STS's words differ only in the envelope, which botocore reads
    alike)."""
    body = (
        '<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error>'
        f"<Code>{code}</Code><Message>{message}</Message>"
        "</Error></Errors><RequestID>req-1</RequestID></Response>"
    )
    return web.Response(status=status, text=body, content_type="text/xml")


def json_error(code: str, message: str, *, status: int = 400) -> web.Response:
    return web.json_response(
        {"__type": code, "message": message},
        status=status,
        content_type="application/x-amz-json-1.1",
    )


@asynccontextmanager
async def in_front_of(
    emu: Emulator, loopback_server: LoopbackServer, *answers: Instead
) -> AsyncIterator[str]:
    """A proxy to ``emu`` that answers some requests itself; yields its URL."""
    async with aiohttp.ClientSession() as session:

        async def forward(request: web.Request) -> web.StreamResponse:
            body = await request.read()
            seen = seen_of(request, body)
            if seen is not None:
                for instead in answers:
                    answer = instead(seen)
                    if answer is not None:
                        return answer
            async with session.post(
                emu.endpoint_url + request.path_qs, headers=request.headers, data=body
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
        application.router.add_post("/{tail:.*}", forward)
        yield await loopback_server(application)


# -- a transport that counts -------------------------------------------------------------------


def scope_of(request: HttpRequest) -> tuple[str, str, str]:
    """(access key, region, service) a request is signed for."""
    found = _CREDENTIAL.search(request.headers["Authorization"])
    assert found is not None
    return found[1], found[2], found[3]


@dataclass
class Watched:
    """A transport that counts what goes through it, overall and per (access key, region) of
    WorkSpaces, and keeps each answer's service and body."""

    inner: Transport
    sent: int = 0
    in_flight: int = 0
    peak: int = 0
    scopes: Counter[tuple[str, str]] = field(default_factory=Counter)
    scope_peak: int = 0
    seen: set[tuple[str, str]] = field(default_factory=set)
    answers: list[tuple[str, HttpResponse]] = field(default_factory=list)

    def slot(self) -> AbstractAsyncContextManager[object]:
        return self.inner.slot()

    async def send(self, request: HttpRequest) -> HttpResponse:
        key, region, service = scope_of(request)
        scope = (key, region)
        self.sent += 1
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        if service == "workspaces":
            self.seen.add(scope)
            self.scopes[scope] += 1
            self.scope_peak = max(self.scope_peak, self.scopes[scope])
        try:
            response = await self.inner.send(request)
            self.answers.append((service, response))
            return response
        finally:
            self.in_flight -= 1
            if service == "workspaces":
                self.scopes[scope] -= 1

    async def aclose(self) -> None:
        await self.inner.aclose()

    async def __aenter__(self) -> Watched:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


class Hooked:
    """Sends through ``inner`` and calls ``after`` with each request once answered, while its
    slot is still held; ``one_at_a_time`` gives it a single slot, so nothing else is signed or
    in flight meanwhile."""

    def __init__(
        self, inner: Transport, after: Callable[[HttpRequest], None], *, one_at_a_time: bool = False
    ) -> None:
        self._inner = inner
        self._after = after
        self._slot = asyncio.Semaphore(1) if one_at_a_time else None

    def slot(self) -> AbstractAsyncContextManager[object]:
        return self._slot if self._slot is not None else self._inner.slot()

    async def send(self, request: HttpRequest) -> HttpResponse:
        response = await self._inner.send(request)
        self._after(request)
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


def sessions_on(clock: Callable[[], float], monkeypatch: pytest.MonkeyPatch) -> None:
    """Role sessions the audit assumes judge their expiry by ``clock`` (the emulator's) instead
    of the wall clock: no public setting gives an audit a clock, so this one seam is patched."""
    from imgperms_async._credentials import SessionCredentialSource

    monkeypatch.setattr(
        "imgperms_async._organization._reach.SessionCredentialSource",
        partial(SessionCredentialSource, time=clock),
    )
