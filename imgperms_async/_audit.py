"""The audit: every image of the accounts asked for, in the regions asked for, each share classed.

One path whatever the accounts come from: the caller's own account, a list of accounts (a file,
ids given one by one) or the caller's organization. Each (account, region) is a scope with its own
client (its own credentials, signer, clock skew, retry quota and rate limiter, since AWS throttles
per account and region); they share one connection pool, whose size bounds the requests in flight
overall. Memory follows what is in flight, not accounts x regions x images.

Results stream as they come: an ``AuditedImage`` per image, an ``InboundImage`` per image shared
into an audited account (when asked), and a ``ScopeResult`` per scope once it is done, or per
account that could not be reached. Nothing asked for disappears: a region where WorkSpaces is not
offered, that the account has not enabled, or that failed, is a ``ScopeResult`` saying so; a scope
that fails never stops the others.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import AsyncExitStack, aclosing
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Final, Literal, Self

from imgperms_async._client import ImagePermissionsClient
from imgperms_async._client_config import ClientConfig
from imgperms_async._credentials import CredentialSource
from imgperms_async._exceptions import (
    ClientClosedError,
    InvalidSettingError,
    MalformedResponseError,
    error_code,
)
from imgperms_async._exemptions import Exemption, Exemptions
from imgperms_async._fanout import ImagePermissionsResult
from imgperms_async._http import Transport
from imgperms_async._identity import Identity
from imgperms_async._organization._accounts import (
    ALL_REGIONS,
    Account,
    account_ids,
    check_account_id,
    unique_accounts,
)
from imgperms_async._organization._control_plane import Member
from imgperms_async._organization._reach import Membership, Reach
from imgperms_async._organization._roles import Role
from imgperms_async._paginate import paginate
from imgperms_async._pipeline import ServiceClient
from imgperms_async._regions import (
    WORKSPACES,
    check_region_name,
    offers_workspaces,
    workspaces_regions,
)
from imgperms_async._stats import AuditTotals
from imgperms_async._validation import ACCOUNT_ID

ShareClass = Literal["organization", "allowlisted", "excepted", "external", "unknown"]
"""Whom an image is shared with (or, inbound, whose image it is): a member of the organization,
an allowlisted account, one an exception accepts, an account known to be outside, or one whose
membership could not be read (never flagged, never unshared)."""
ScopeStatus = Literal["audited", "failed", "skipped", "not_enabled", "not_offered"]
AccountSource = Literal["caller", "organization"] | Sequence[Account] | None
"""``"caller"``: the caller's own account; ``"organization"`` (or ``None``): every ACTIVE
member of the caller's organization; a sequence of ``Account``: those accounts."""
Regions = Sequence[str] | Literal["all"] | None

WORKSPACES_RATE_PER_SEC: Final = 2.0
"""What AWS documents for the WorkSpaces API, per account and region (burst 5): the pace of each
scope of an audit across accounts, unless the caller's ``config`` says otherwise."""
WORKSPACES_BURST: Final = 4
"""AWS's documented burst of 5, less one: the service's bucket and ours refill on different
clocks, and one token of slack keeps that jitter from costing a throttle."""
_NOT_ENABLED_CODE: Final = "UnrecognizedClientException"


@dataclass(frozen=True, slots=True)
class ScopeResult:
    """How one (account, region) went.

    ``audited``: every image was answered (each has its own result, errors included);
    ``failed``: the scope could not be audited, ``error`` says why; ``not_enabled``: the account
    has not enabled the region; ``not_offered``: WorkSpaces does not run in the region;
    ``skipped``: the account is not ACTIVE in the organization. ``region`` is ``None`` for a
    whole account: skipped, or it could not be reached at all. ``account_id`` is ``None`` for
    the caller's own account when nothing needed to ask STS which it is.
    """

    account_id: str | None
    account_name: str | None
    region: str | None
    status: ScopeStatus
    images: int
    error: Exception | None


@dataclass(frozen=True, slots=True)
class AuditedImage(ImagePermissionsResult):
    """An image's result with its owner and each share's class (in the order of
    ``shared_account_ids``); ``exemptions`` holds the exception that accepts each excepted share."""

    account_name: str | None = None
    share_classes: tuple[ShareClass, ...] = ()
    exemptions: Mapping[str, Exemption] = field(default_factory=dict)

    @property
    def external_account_ids(self) -> tuple[str, ...]:
        return tuple(
            account
            for account, share_class in zip(
                self.shared_account_ids, self.share_classes, strict=True
            )
            if share_class == "external"
        )


@dataclass(frozen=True, slots=True)
class InboundImage:
    """An image another account shared into an audited account (``account_id``, ``region``),
    with its owner and the owner's class, under the same rules as an outbound share."""

    account_id: str | None
    account_name: str | None
    region: str
    image_id: str
    image_name: str | None
    owner_account_id: str
    owner_class: ShareClass
    exemption: Exemption | None = None


AuditItem = AuditedImage | InboundImage | ScopeResult


@dataclass(frozen=True, slots=True)
class AuditProgress:
    """How far an audit has come: what a long run shows so it never looks stuck."""

    accounts: int
    accounts_reached: int
    roles_assumed: int
    scopes: int
    scopes_done: int
    images: int
    images_expected: int | None = None
    """When the images were given rather than listed: how many results will come."""
    accounts_listed: int = 0
    """Accounts read so far from the organization's listing, which an organization audit reads
    whole before its first scope (``accounts`` is known once it has)."""


@dataclass(frozen=True, slots=True)
class _Target:
    """An account to audit; ``account_id`` ``None`` is the caller's own, not asked of STS."""

    account_id: str | None
    name: str | None
    regions: tuple[str, ...] | None
    account: Account | None


class Audit:
    """Audit every image of some accounts and regions: ``async with`` it, then iterate
    ``results()``.

    ``accounts``: ``"caller"`` (the caller's own account, with its credentials, asking STS who
    it is only when ``identify_caller``), ``"organization"`` (every ACTIVE member: the caller must
    be the management account or a delegated administrator), or a sequence of ``Account``.
    ``regions``: a sequence; ``"all"`` for every region where WorkSpaces is offered in the
    caller's partition (each account in those it has enabled); ``None`` for the caller's region
    when auditing the caller, else ``"all"``. ``image_ids`` audits those images only (of the
    caller's account); otherwise every owned image is listed. Every other account is reached
    through ``role`` (default: OrganizationAccountAccessRole), or the account's own role or
    profile. ``inbound`` also lists the images shared into each scope.

    Shares are classed with what the caller can know: members of the organization, the
    ``allowlist``, the ``exemptions`` in force on ``today``; the rest is ``external`` when
    membership is known, else ``unknown``. Auditing the caller alone, the organization is not
    asked: with an allowlist every other account is ``external``, without one ``unknown``.

    ``concurrency`` is images in flight per scope; ``scopes_in_flight`` and
    ``accounts_in_flight`` bound the scopes audited and the accounts being reached at once;
    ``config.max_connections`` bounds the requests in flight overall (the connection pool).
    Scopes of an audit across accounts are paced at AWS's documented 2 requests per second
    unless ``config.max_rate`` says otherwise; the caller's own account alone finds its pace
    adaptively. Identity and role may be given as one value each, or as boto3-style keywords.
    """

    def __init__(
        self,
        *,
        accounts: AccountSource = "caller",
        regions: Regions = None,
        image_ids: Iterable[str] | None = None,
        identity: Identity | None = None,
        role: Role | None = None,
        allowlist: Iterable[str] | None = None,
        exemptions: Iterable[Exemption] = (),
        today: datetime.date | None = None,
        inbound: bool = False,
        identify_caller: bool = False,
        concurrency: int = 32,
        scopes_in_flight: int = 256,
        accounts_in_flight: int = 64,
        config: ClientConfig | None = None,
        transport: Transport | None = None,
        region_name: str | None = None,
        endpoint_url: str | None = None,
        profile_name: str | None = None,
        aws_access_key_id: str | None = None,
        aws_secret_access_key: str | None = None,
        aws_session_token: str | None = None,
        role_name: str | None = None,
        role_arn_template: str | None = None,
        external_id: str | None = None,
        session_name: str | None = None,
        duration_secs: int | None = None,
    ) -> None:
        for name, value in (
            ("concurrency", concurrency),
            ("scopes_in_flight", scopes_in_flight),
            ("accounts_in_flight", accounts_in_flight),
        ):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise InvalidSettingError(
                    error_msg=f"{name} must be a whole number of at least 1, not {value!r}"
                )
        self.identity = Identity.of(
            identity,
            region_name=region_name,
            endpoint_url=endpoint_url,
            profile_name=profile_name,
            aws_access_key_id=aws_access_key_id,
            aws_secret_access_key=aws_secret_access_key,
            aws_session_token=aws_session_token,
        )
        self.role = Role.of(
            role,
            role_name=role_name,
            role_arn_template=role_arn_template,
            external_id=external_id,
            session_name=session_name,
            duration_secs=duration_secs,
        )
        self._source: Literal["caller", "organization", "accounts"]
        self._given_accounts: tuple[Account, ...] = ()
        if accounts is None or accounts == "organization":
            self._source = "organization"
        elif accounts == "caller":
            self._source = "caller"
        else:
            self._source = "accounts"
            self._given_accounts = unique_accounts(accounts)
        self._wanted_regions = _checked_regions(regions)
        self._image_ids = None if image_ids is None else _checked_image_ids(image_ids)
        if self._image_ids is not None and self._source != "caller":
            raise InvalidSettingError(
                error_msg="image_ids are the caller's own images: give them with "
                'accounts="caller" (other accounts are audited image by image as listed)'
            )
        self.allowlist = None if allowlist is None else account_ids(allowlist, source="allowlist")
        self._exemptions = Exemptions(exemptions, today=today or datetime.date.today())
        self.inbound = bool(inbound)
        self._identify_caller = identify_caller or self._source != "caller"
        self._concurrency = concurrency
        self._scopes_in_flight = scopes_in_flight
        self._accounts_in_flight = accounts_in_flight
        base = config or ClientConfig()
        paced = self._source != "caller" and base.max_rate is None
        self._reach = Reach(
            self.identity,
            role=self.role,
            config=base,
            scope_config=dataclasses.replace(
                base,
                max_connections=concurrency,
                max_rate=WORKSPACES_RATE_PER_SEC if paced else base.max_rate,
                burst=WORKSPACES_BURST if paced else base.burst,
            ),
            transport=transport,
            fallback_regions=self._wanted_regions
            if isinstance(self._wanted_regions, tuple)
            else (),
        )
        self._exit = AsyncExitStack()
        self._entered = False
        self._producers: set[asyncio.Task[None]] = set()
        self._targets: tuple[_Target, ...] = ()
        self._in_organization: frozenset[str] = frozenset()
        """Accounts known to be members: classed ``organization``."""
        self._membership_complete = False
        """Whether every member is known, so any other account is ``external``, not ``unknown``."""
        self._scopes_done = 0
        self._scopes_total = 0
        self._accounts_reached = 0
        self._images = 0
        self._passed_over: set[str] = set()
        self.members: frozenset[str] | None = None
        """Every account of the organization (any status), when the caller may list them."""
        self.management_account_id: str | None = None
        self.organization_id: str | None = None
        self.caller_account_id: str | None = None
        self.skipped: tuple[Member, ...] = ()
        """Members left out because they are not ACTIVE."""
        self.regions: tuple[str, ...] = ()
        """The regions tried in each account that has none of its own."""

    @property
    def accounts(self) -> tuple[Account, ...]:
        """The accounts this audit reaches, in order (the caller's own only once it is known)."""
        return tuple(
            target.account or Account(target.account_id, target.name)
            for target in self._targets
            if target.account_id is not None
        )

    @property
    def spans_accounts(self) -> bool:
        """Whether the accounts come from a list or the organization (not the caller alone)."""
        return self._source != "caller"

    @property
    def lists_images(self) -> bool:
        """Whether each scope's images are listed (not given): a scope audited then holds
        every image it has."""
        return self._image_ids is None

    @property
    def totals(self) -> AuditTotals:
        """Requests, retries and throttles of every call so far, counted as each is made."""
        return self._reach.totals

    @property
    def regions_without_workspaces(self) -> frozenset[str]:
        """Regions an account audited in every region has enabled where, by the installed
        botocore's data, WorkSpaces does not run, so none was audited there. Named, because a
        botocore older than a WorkSpaces region would otherwise leave that region out unseen."""
        return frozenset(self._passed_over)

    @property
    def expired_exemptions(self) -> tuple[Exemption, ...]:
        """Exceptions past their date: no longer applied, to be reviewed."""
        return self._exemptions.expired

    @property
    def progress(self) -> AuditProgress:
        return AuditProgress(
            accounts=len(self._targets),
            accounts_reached=self._accounts_reached,
            roles_assumed=self._reach.roles_assumed,
            scopes=self._scopes_total,
            scopes_done=self._scopes_done,
            images=self._images,
            images_expected=None
            if self._image_ids is None
            else len(set(self._image_ids)) * len(self.regions),
            accounts_listed=self._reach.accounts_listed,
        )

    async def __aenter__(self) -> Self:
        reach = await self._exit.enter_async_context(self._reach)
        try:
            await self._discover(reach)
            self._scopes_total = sum(len(self._regions_for(t)) for t in self._targets)
        except BaseException:
            await self._exit.aclose()
            raise
        self._entered = True
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._entered = False
        producers = list(self._producers)
        for producer in producers:
            producer.cancel()
        await asyncio.gather(*producers, return_exceptions=True)
        await self._exit.aclose()

    async def _discover(self, reach: Reach) -> None:
        """Who the caller is, the organization as far as it may see it, the accounts and the
        regions: everything before the first scope."""
        wanted = self._wanted_regions
        if isinstance(wanted, tuple):
            self.regions = wanted
        elif wanted is None and self._source == "caller":
            self.regions = (reach.home_region,)
        else:
            self.regions = workspaces_regions(reach.aws.partition(reach.home_region))
        await asyncio.to_thread(self._check_endpoints, reach)
        if self._source == "caller":
            caller = await reach.caller_account_id() if self._identify_caller else None
            self.caller_account_id = caller
            self._membership_complete = self.allowlist is not None
            self._targets = (_Target(caller, None, None, None),)
            return
        self.caller_account_id = await reach.caller_account_id()
        membership = await reach.membership()
        self._learn(membership)
        self._targets = self._choose(membership)

    def _check_endpoints(self, reach: Reach) -> None:
        """Every region's WorkSpaces endpoint, resolved now: a malformed configured endpoint is
        an error before any request, not a failure of every scope."""
        for region in self.regions:
            if offers_workspaces(region):
                reach.aws.endpoint(WORKSPACES, region)

    def _learn(self, membership: Membership) -> None:
        self.members = membership.members
        facts = membership.facts
        if facts is not None:
            self.management_account_id = facts.management_account_id
            self.organization_id = facts.organization_id
        known = set(membership.members or ())
        known.update(a for a in (self.caller_account_id, self.management_account_id) if a)
        self._in_organization = frozenset(known)
        self._membership_complete = membership.members is not None

    def _choose(self, membership: Membership) -> tuple[_Target, ...]:
        listing = {member.account_id: member for member in membership.listing or ()}
        if self._source == "organization":
            if membership.listing is None:
                why = membership.refusal
                raise OrganizationUnavailableError(
                    error_msg="cannot list the organization's accounts: the caller is in no "
                    "organization, or is neither its management account nor a delegated "
                    "administrator; give the accounts instead"
                    + ("" if why is None else f" ({error_code(why)}: {_message(why)})")
                )
            chosen = [Account(m.account_id, m.name) for m in membership.listing]
        else:
            chosen = list(self._given_accounts)
        targets: list[_Target] = []
        skipped: list[Member] = []
        for account in chosen:
            member = listing.get(account.account_id)
            if member is not None and member.status != "ACTIVE":
                skipped.append(member)
                continue
            name = account.name if account.name is not None else (member.name if member else None)
            targets.append(_Target(account.account_id, name, account.regions, account))
        self.skipped = tuple(skipped)
        return tuple(targets)

    async def service_client(
        self,
        service: str,
        *,
        account_id: str | None,
        region: str,
        max_rate: float | None = None,
        burst: int | None = None,
    ) -> ServiceClient:
        """A client for any service in an audited account (``None``: the caller's own) and a
        region, signed as the audit reaches that account, paced at ``max_rate`` requests per
        second (``burst`` at once) when given; what it costs joins the audit's totals."""
        if not self._entered:
            raise ClientClosedError("the audit is not open: use `async with Audit(...)` first")
        target = next((t for t in self._targets if t.account_id == account_id), None)
        if target is None:
            raise InvalidSettingError(
                error_msg=f"account {account_id} is not one this audit reaches"
            )
        credentials = await self._credentials(target)
        config = dataclasses.replace(
            self._reach.config, max_rate=max_rate, burst=burst if max_rate is not None else None
        )
        return ServiceClient(
            service, self._reach.pipeline(service, region, credentials, config=config)
        )

    def classify(
        self, account_id: str, *, image_id: str | None = None, region: str | None = None
    ) -> ShareClass:
        """Whom ``account_id`` is: a member of the organization, allowlisted, accepted by an
        exception (for that image and region), known to be outside, or unknown."""
        return self._judge(account_id, image_id=image_id, region=region)[0]

    def _judge(
        self, account_id: str, *, image_id: str | None, region: str | None
    ) -> tuple[ShareClass, Exemption | None]:
        check_account_id(account_id, source="classify")
        if account_id in self._in_organization:
            return "organization", None
        if self.allowlist is not None and account_id in self.allowlist:
            return "allowlisted", None
        exemption = self._exemptions.match(account_id, image_id=image_id, region=region)
        if exemption is not None:
            return "excepted", exemption
        return ("external" if self._membership_complete else "unknown"), None

    def regions_of(self, account: Account) -> tuple[str, ...]:
        """The regions tried in one of ``accounts``: each ends in a ``ScopeResult`` (all of them
        in one, with ``region`` ``None``, when the account cannot be reached)."""
        return self._regions_for(
            _Target(account.account_id, account.name, account.regions, account)
        )

    def _regions_for(self, target: _Target) -> tuple[str, ...]:
        if target.regions is None:
            return self.regions
        if ALL_REGIONS in target.regions:
            return tuple(workspaces_regions(self._reach.aws.partition(self._reach.home_region)))
        return target.regions

    def _every_region(self, target: _Target) -> bool:
        """Whether the target is audited in every region WorkSpaces runs in (not in named ones)."""
        if target.regions is not None:
            return ALL_REGIONS in target.regions
        wanted = self._wanted_regions
        return not isinstance(wanted, tuple) and (wanted is not None or self._source != "caller")

    async def results(self) -> AsyncGenerator[AuditItem]:
        """Every result as it finishes; leaving early stops the rest (use
        ``contextlib.aclosing``, or leave the ``async with`` of the audit)."""
        if not self._entered:
            raise ClientClosedError(
                "the audit is not open: use `async with Audit(...) as audit:` before results()"
            )
        queue: asyncio.Queue[AuditItem | None] = asyncio.Queue(
            maxsize=self._reach.config.max_connections
        )

        async def produce() -> None:
            try:
                await self._produce(queue.put)
            finally:
                await queue.put(None)

        producer = asyncio.get_running_loop().create_task(produce())
        self._producers.add(producer)
        producer.add_done_callback(self._producers.discard)
        try:
            while (item := await queue.get()) is not None:
                yield item
            producer.result()
        finally:
            producer.cancel()
            await asyncio.gather(producer, return_exceptions=True)

    async def _produce(self, emit: Callable[[AuditItem], Awaitable[None]]) -> None:
        for member in self.skipped:
            await emit(ScopeResult(member.account_id, member.name, None, "skipped", 0, None))
        scopes = asyncio.Semaphore(self._scopes_in_flight)
        accounts = asyncio.Semaphore(self._accounts_in_flight)
        async with asyncio.TaskGroup() as group:
            for target in self._targets:
                await accounts.acquire()
                task = group.create_task(self._account(target, emit, scopes))
                task.add_done_callback(lambda _: accounts.release())

    async def _account(
        self,
        target: _Target,
        emit: Callable[[AuditItem], Awaitable[None]],
        scopes: asyncio.Semaphore,
    ) -> None:
        wanted = self._regions_for(target)
        not_offered = [region for region in wanted if not offers_workspaces(region)]
        offered = [region for region in wanted if offers_workspaces(region)]
        try:
            credentials = await self._credentials(target)
            self._accounts_reached += 1
            enabled = (
                await self._reach.enabled_regions(credentials)
                if self._asks_enabled_regions(target)
                else None
            )
        except Exception as error:
            self._scopes_done += len(wanted)
            await emit(ScopeResult(target.account_id, target.name, None, "failed", 0, error))
            return
        if enabled is not None and self._every_region(target):
            self._passed_over.update(enabled.difference(wanted))
        for region in not_offered:
            await self._end(
                emit, ScopeResult(target.account_id, target.name, region, "not_offered", 0, None)
            )
        to_try = [r for r in offered if enabled is None or r in enabled]
        for region in offered:
            if region not in to_try:
                await self._end(
                    emit,
                    ScopeResult(target.account_id, target.name, region, "not_enabled", 0, None),
                )
        outcomes = await asyncio.gather(
            *(self._scope(target, region, credentials, emit, scopes) for region in to_try)
        )
        worked = any(outcome.status == "audited" for outcome in outcomes)
        for outcome in outcomes:
            if outcome.status == "failed" and worked and _not_enabled(outcome.error):
                outcome = dataclasses.replace(outcome, status="not_enabled", error=None)
            await self._end(emit, outcome)

    async def _end(self, emit: Callable[[AuditItem], Awaitable[None]], scope: ScopeResult) -> None:
        self._scopes_done += 1
        await emit(scope)

    def _asks_enabled_regions(self, target: _Target) -> bool:
        """Organization and account-list audits ask each account which regions it has enabled,
        so one it has not is reported as such; the caller alone only when every region is."""
        if self._source != "caller":
            return True
        return self._wanted_regions == ALL_REGIONS

    async def _credentials(self, target: _Target) -> CredentialSource:
        if target.account is None or (
            target.account_id == self.caller_account_id
            and target.account.role_arn is None
            and target.account.profile is None
        ):
            return self._reach.caller_credentials
        return await self._reach.credentials(target.account)

    async def _scope(
        self,
        target: _Target,
        region: str,
        credentials: CredentialSource,
        emit: Callable[[AuditItem], Awaitable[None]],
        scopes: asyncio.Semaphore,
    ) -> ScopeResult:
        images = 0
        async with scopes:
            try:
                async with self._reach.workspaces(region, credentials) as client:
                    images = await self._outbound(target, region, client, emit)
                    if self.inbound:
                        await self._inbound(target, region, client, emit)
            except Exception as error:
                # The listing's error comes after the images it listed; it, or whatever else
                # ends a scope (its settings, its client), ends that scope alone.
                return ScopeResult(target.account_id, target.name, region, "failed", images, error)
        return ScopeResult(target.account_id, target.name, region, "audited", images, None)

    async def _outbound(
        self,
        target: _Target,
        region: str,
        client: ImagePermissionsClient,
        emit: Callable[[AuditItem], Awaitable[None]],
    ) -> int:
        images = 0
        source = self._image_ids if self._image_ids is not None else client.iter_image_ids()
        async with aclosing(client.fan_out(source, concurrency=self._concurrency)) as results:
            async for result in results:
                images += 1
                self._images += 1
                await emit(self._audited(target, region, result))
        return images

    def _audited(
        self, target: _Target, region: str, result: ImagePermissionsResult
    ) -> AuditedImage:
        bad = next((a for a in result.shared_account_ids if not ACCOUNT_ID.fullmatch(a)), None)
        if bad is not None:
            # A share no account id names cannot be judged: that image's error, not its scope's.
            result = dataclasses.replace(
                result,
                shared_account_ids=(),
                error=result.error
                or MalformedResponseError(f"SharedAccountId {bad!r} is not an account id"),
            )
        classes: list[ShareClass] = []
        exemptions: dict[str, Exemption] = {}
        for account in result.shared_account_ids:
            share_class, exemption = self._judge(account, image_id=result.image_id, region=region)
            classes.append(share_class)
            if exemption is not None:
                exemptions[account] = exemption
        return AuditedImage(
            result.image_id,
            result.shared_account_ids,
            result.error,
            result.pages,
            target.account_id,
            region,
            target.name,
            tuple(classes),
            exemptions,
        )

    async def _inbound(
        self,
        target: _Target,
        region: str,
        client: ImagePermissionsClient,
        emit: Callable[[AuditItem], Awaitable[None]],
    ) -> None:
        """Images shared into the scope (DescribeWorkspaceImages, SHARED), paged at the scope's
        pace, each owner classed as a share would be."""

        async def call(params: dict[str, Any]) -> dict[str, Any]:
            return await client.describe_workspace_images(**params)

        async with aclosing(paginate(call, {"ImageType": "SHARED"})) as pages:
            async for page in pages:
                for image in page["Images"]:
                    owner = image.get("OwnerAccountId")
                    if not isinstance(owner, str):
                        raise MalformedInboundError(image.get("ImageId"))
                    owner_class, exemption = self._judge(
                        owner, image_id=image["ImageId"], region=region
                    )
                    await emit(
                        InboundImage(
                            target.account_id,
                            target.name,
                            region,
                            image["ImageId"],
                            image.get("Name"),
                            owner,
                            owner_class,
                            exemption,
                        )
                    )


class OrganizationUnavailableError(InvalidSettingError):
    """The organization's accounts cannot be listed: the caller is in no organization, or is
    neither its management account nor a delegated administrator."""


class MalformedInboundError(InvalidSettingError):
    """A shared image whose answer names no owner: it cannot be judged, so the scope fails."""

    def __init__(self, image_id: object) -> None:
        super().__init__(error_msg=f"the shared image {image_id!r} was listed without its owner")


class OrganizationAudit(Audit):
    """The audit under the name earlier versions gave it: ``accounts`` ``None`` (the default)
    is every ACTIVE member of the organization. ``scope_concurrency`` and ``scopes_at_once`` are
    the earlier names of ``concurrency`` (images in flight per scope) and ``scopes_in_flight``."""

    def __init__(
        self,
        *,
        accounts: AccountSource = None,
        scope_concurrency: int | None = None,
        scopes_at_once: int | None = None,
        **arguments: Any,
    ) -> None:
        if scope_concurrency is not None:
            arguments.setdefault("concurrency", scope_concurrency)
        if scopes_at_once is not None:
            arguments.setdefault("scopes_in_flight", scopes_at_once)
        super().__init__(accounts=accounts, **arguments)


def _checked_regions(regions: Regions) -> tuple[str, ...] | Literal["all"] | None:
    if regions is None or regions == ALL_REGIONS:
        return regions
    if isinstance(regions, str | bytes) or not hasattr(regions, "__iter__"):
        raise InvalidSettingError(
            error_msg=f'regions must be a sequence of region names, "all" or None, not {regions!r}'
        )
    chosen = tuple(dict.fromkeys(check_region_name(r, source="regions") for r in regions))
    if not chosen:
        raise InvalidSettingError(
            error_msg='regions is empty: give at least one region, "all", or None'
        )
    return chosen


def _checked_image_ids(image_ids: Iterable[str]) -> tuple[str, ...]:
    if isinstance(image_ids, str | bytes):
        raise InvalidSettingError(
            error_msg=f"image_ids must be a collection of image ids, not {image_ids!r}"
        )
    return tuple(image_ids)  # each is checked by the fan-out: a bad one is that image's error


def _message(error: Exception) -> str:
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Message") or error)
    return str(error)


def _not_enabled(error: Exception | None) -> bool:
    """A region answering "the security token included in the request is invalid" while the
    same credentials work in another region: the account has not enabled it."""
    return error is not None and error_code(error) == _NOT_ENABLED_CODE
