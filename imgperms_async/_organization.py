"""An audit of every (account, region) of an organization, run side by side over one connection pool.

AWS throttles WorkSpaces per account and region, so each scope gets its own client: its own
credentials (the role assumed in that account, or the caller's own for the caller's account),
signer, clock skew, retry quota and rate limiter. They share one transport, whose pool bounds the
requests in flight overall; ``scope_concurrency`` bounds each scope's. At most ``scopes_at_once``
scopes are open at a time, so memory follows what is in flight, not accounts x regions x images.

Results stream as they come: an ``ImagePermissionsResult`` per image (with its ``account_id`` and
``region``), and a ``ScopeResult`` per scope once it is done, or per account that could not be
reached at all. A scope that fails never stops the others.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable, Sequence
from contextlib import AsyncExitStack, aclosing
from dataclasses import dataclass
from types import TracebackType
from typing import Final, Literal, Self

from botocore.exceptions import ClientError as BotocoreClientError

from imgperms_async._accounts import Account
from imgperms_async._botocore_settings import check_region_name
from imgperms_async._client_config import ClientConfig
from imgperms_async._control_plane import (
    DEFAULT_DURATION_SECS,
    DEFAULT_ROLE_NAME,
    DEFAULT_SESSION_NAME,
    OrganizationAccount,
    load_enabled_regions_model,
    organization_accounts,
)
from imgperms_async._exceptions import InvalidSettingError, error_code
from imgperms_async._fanout import ImagePermissionsResult
from imgperms_async._http import Transport
from imgperms_async._scopes import Roles, ScopeReach, regions_to_try
from imgperms_async._stats import StatsSnapshot

ScopeStatus = Literal["audited", "failed", "skipped", "not_enabled"]
ShareClass = Literal["organization", "allowlisted", "external"]

_NOT_ENABLED_CODE: Final = "UnrecognizedClientException"


@dataclass(frozen=True, slots=True)
class ScopeResult:
    """How one (account, region) went.

    ``audited``: every image was answered (each has its own result, errors included);
    ``failed``: the scope could not be audited, ``error`` says why; ``not_enabled``: the account
    has not enabled the region; ``skipped``: the account is not ACTIVE in the organization.
    ``region`` is ``None`` for a whole account: skipped, or its role could not be assumed.
    """

    account_id: str
    account_name: str | None
    region: str | None
    status: ScopeStatus
    images: int
    error: Exception | None


AuditItem = ImagePermissionsResult | ScopeResult
Emit = Callable[[AuditItem], Awaitable[None]]


@dataclass
class AuditTotals:
    """What every scope's client did, added up as each scope ends."""

    requests: int = 0
    retries: int = 0
    throttles: int = 0

    def add(self, stats: StatsSnapshot) -> None:
        self.requests += stats.requests
        self.retries += stats.retries
        self.throttles += sum(stats.throttles.values())


class OrganizationUnavailableError(InvalidSettingError):
    """The organization's accounts cannot be listed: the caller is in no organization, or is
    neither its management account nor a delegated administrator."""


@dataclass(frozen=True, slots=True)
class _Reached:
    """An account whose credentials work, the regions to audit in it and those it has not
    enabled."""

    account: Account
    regions: tuple[str, ...]
    not_enabled: tuple[str, ...]


class OrganizationAudit:
    """Audit every image of many accounts and regions: ``async with`` it, then iterate
    ``results()``.

    ``accounts`` ``None`` means every ACTIVE account Organizations lists (the caller must be the
    management account or a delegated administrator); otherwise the accounts given, with names
    and membership taken from Organizations when the caller may list it. ``regions`` ``None``
    means every region where WorkSpaces is offered in the caller's partition; each account is
    audited in those of them it has enabled (an account's own ``regions`` replace them, and
    are limited to WorkSpaces regions too). The caller's own account is audited with the
    caller's credentials; every other one through the role named by ``role_name`` (or
    ``role_arn_template``, with ``{account_id}``), assumed with ``external_id``. Control-plane
    calls go to ``region_name``, else botocore's configured region, else the first of
    ``regions``.
    """

    def __init__(
        self,
        *,
        accounts: Sequence[Account] | None = None,
        regions: Sequence[str] | None = None,
        role_name: str = DEFAULT_ROLE_NAME,
        role_arn_template: str | None = None,
        external_id: str | None = None,
        session_name: str = DEFAULT_SESSION_NAME,
        duration_secs: int = DEFAULT_DURATION_SECS,
        allowlist: Iterable[str] = (),
        region_name: str | None = None,
        endpoint_url: str | None = None,
        profile_name: str | None = None,
        aws_access_key_id: str | None = None,
        aws_secret_access_key: str | None = None,
        aws_session_token: str | None = None,
        concurrency: int = 64,
        scope_concurrency: int = 4,
        scopes_at_once: int = 256,
        config: ClientConfig | None = None,
        transport: Transport | None = None,
    ) -> None:
        if not isinstance(scopes_at_once, int) or scopes_at_once < 1:
            raise InvalidSettingError(
                error_msg=f"scopes_at_once must be at least 1, not {scopes_at_once!r}"
            )
        self._wanted_accounts: tuple[Account, ...] | None = None
        if accounts is not None:
            unique: dict[str, Account] = {}
            for account in accounts:
                unique.setdefault(account.account_id, account)
            self._wanted_accounts = tuple(unique.values())
        self._wanted_regions = None if regions is None else tuple(dict.fromkeys(regions))
        for region in self._wanted_regions or ():
            check_region_name(region, source="regions")
        for account in self._wanted_accounts or ():
            for region in account.regions or ():
                check_region_name(region, source=f"regions of account {account.account_id}")
        self.allowlist = frozenset(allowlist)
        self._scope_reach = ScopeReach(
            roles=Roles(role_name, role_arn_template, external_id, session_name, duration_secs),
            region_name=region_name,
            regions=self._wanted_regions or (),
            endpoint_url=endpoint_url,
            profile_name=profile_name,
            aws_access_key_id=aws_access_key_id,
            aws_secret_access_key=aws_secret_access_key,
            aws_session_token=aws_session_token,
            concurrency=concurrency,
            scope_concurrency=scope_concurrency,
            config=config,
            transport=transport,
        )
        self._concurrency = concurrency
        self._scopes_at_once = scopes_at_once
        self._exit = AsyncExitStack()
        self._producers: set[asyncio.Task[None]] = set()
        self.members: frozenset[str] | None = None
        """The organization's accounts (any status), when the caller may list them."""
        self.accounts: tuple[Account, ...] = ()
        """The accounts this audit reaches, in order."""
        self.skipped: tuple[OrganizationAccount, ...] = ()
        """Members left out because they are not ACTIVE."""
        self.regions: tuple[str, ...] = ()
        """The regions tried in each account (before what each has enabled)."""
        self.caller_account_id = ""
        self.totals = AuditTotals()
        """Requests, retries and throttles over every scope closed so far."""

    async def __aenter__(self) -> Self:
        reach = await self._exit.enter_async_context(self._scope_reach)
        self.caller_account_id = reach.caller_account_id
        listing = await asyncio.to_thread(
            organization_accounts, reach.configured, reach.home_region
        )
        await asyncio.to_thread(load_enabled_regions_model, reach.configured, reach.home_region)
        self._choose_accounts(listing)
        offered = await reach.workspaces_regions()
        self._offered = frozenset(offered)
        wanted = self._wanted_regions
        self.regions = offered if wanted is None else tuple(r for r in wanted if r in offered)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        producers = list(self._producers)
        for producer in producers:
            producer.cancel()
        await asyncio.gather(*producers, return_exceptions=True)
        await self._exit.aclose()

    def classify(self, account_id: str) -> ShareClass:
        """Whom an image is shared with: a member (when the organization is known), an account
        on the allowlist, or anyone else."""
        if self.members is not None and account_id in self.members:
            return "organization"
        if account_id in self.allowlist:
            return "allowlisted"
        return "external"

    def _choose_accounts(self, listing: list[OrganizationAccount] | None) -> None:
        if listing is not None:
            self.members = frozenset(account.account_id for account in listing)
        if self._wanted_accounts is None:
            if listing is None:
                raise OrganizationUnavailableError(
                    error_msg="cannot list the organization's accounts: the caller is in no "
                    "organization, or is neither its management account nor a delegated "
                    "administrator; give the accounts instead"
                )
            self.accounts = tuple(
                Account(account.account_id, account.name)
                for account in listing
                if account.status == "ACTIVE"
            )
            self.skipped = tuple(account for account in listing if account.status != "ACTIVE")
            return
        members = {account.account_id: account for account in listing or ()}
        chosen: list[Account] = []
        skipped: list[OrganizationAccount] = []
        for account in self._wanted_accounts:
            member = members.get(account.account_id)
            if member is not None and member.status != "ACTIVE":
                skipped.append(member)
            elif member is not None and account.name is None:
                chosen.append(dataclasses.replace(account, name=member.name))
            else:
                chosen.append(account)
        self.accounts, self.skipped = tuple(chosen), tuple(skipped)

    async def results(self) -> AsyncGenerator[AuditItem]:
        """Every image's result and every scope's, as they finish; leaving early stops the rest
        (use ``contextlib.aclosing``, or leave the ``async with`` of the audit)."""
        room = asyncio.Semaphore(self._concurrency)
        queue: asyncio.Queue[AuditItem | None] = asyncio.Queue()

        async def emit(item: AuditItem) -> None:
            await room.acquire()
            queue.put_nowait(item)

        async def produce() -> None:
            try:
                await self._produce(emit)
            finally:
                queue.put_nowait(None)

        producer = asyncio.get_running_loop().create_task(produce())
        self._producers.add(producer)
        producer.add_done_callback(self._producers.discard)
        try:
            while (item := await queue.get()) is not None:
                room.release()
                yield item
            producer.result()
        finally:
            producer.cancel()
            await asyncio.gather(producer, return_exceptions=True)

    async def _produce(self, emit: Emit) -> None:
        for skipped in self.skipped:
            await emit(ScopeResult(skipped.account_id, skipped.name, None, "skipped", 0, None))
        scopes = asyncio.Semaphore(self._scopes_at_once)
        accounts = asyncio.Semaphore(max(1, self._scopes_at_once // 4))
        async with asyncio.TaskGroup() as group:
            for account in self.accounts:
                await accounts.acquire()
                task = group.create_task(self._account(account, emit, scopes))
                task.add_done_callback(lambda _: accounts.release())

    async def _account(self, account: Account, emit: Emit, scopes: asyncio.Semaphore) -> None:
        try:
            reached = await self._reach(account)
        except Exception as error:
            await emit(ScopeResult(account.account_id, account.name, None, "failed", 0, error))
            return
        for region in reached.not_enabled:
            await emit(
                ScopeResult(account.account_id, account.name, region, "not_enabled", 0, None)
            )
        outcomes = await asyncio.gather(
            *(self._scope(reached, region, emit, scopes) for region in reached.regions)
        )
        worked = any(outcome.status == "audited" for outcome in outcomes)
        for outcome in outcomes:
            if outcome.status == "failed" and worked and _not_enabled(outcome.error):
                outcome = dataclasses.replace(outcome, status="not_enabled", error=None)
            await emit(outcome)

    def regions_of(self, account: Account) -> tuple[str, ...]:
        """The regions tried in one of ``accounts``: each ends in one ``ScopeResult`` (all of
        them in one, with ``region`` ``None``, when the account cannot be reached)."""
        if account.regions is None:
            return self.regions
        return tuple(r for r in dict.fromkeys(account.regions) if r in self._offered)

    async def _reach(self, account: Account) -> _Reached:
        """The account's credentials (AssumeRole now, so a denied role fails here, once) and the
        regions to audit in it."""
        credentials = await self._scope_reach.credentials(account)
        enabled = await self._scope_reach.enabled_regions(credentials)
        return _Reached(account, *regions_to_try(self.regions_of(account), enabled))

    async def _scope(
        self, reached: _Reached, region: str, emit: Emit, scopes: asyncio.Semaphore
    ) -> ScopeResult:
        account = reached.account
        images = 0
        async with scopes:
            try:
                async with await self._scope_reach.client(account, region) as client:
                    try:
                        fan_out = client.fan_out(
                            client.iter_image_ids(),
                            concurrency=self._scope_reach.scope_concurrency,
                        )
                        async with aclosing(fan_out) as results:
                            async for result in results:
                                images += 1
                                await emit(
                                    dataclasses.replace(
                                        result, account_id=account.account_id, region=region
                                    )
                                )
                    finally:
                        self.totals.add(client.stats)
            except Exception as error:
                # The listing's error comes after the images it listed; it, or whatever else
                # ends a scope (its settings, its client), ends that scope alone.
                return ScopeResult(
                    account.account_id, account.name, region, "failed", images, error
                )
        return ScopeResult(account.account_id, account.name, region, "audited", images, None)


def _not_enabled(error: Exception | None) -> bool:
    """A region answering "the security token included in the request is invalid" while the
    same credentials work in another region: the account has not enabled it."""
    return isinstance(error, BotocoreClientError) and error_code(error) == _NOT_ENABLED_CODE
