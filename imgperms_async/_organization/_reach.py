"""How to reach any (account, region) for one caller: its configuration, a role per account, one pool.

An audit and the changes that follow it need the same thing: calls into an account in a region,
signed as the caller in the caller's own account and as the account's role (or profile) in every
other, over one connection pool. This holds what that takes, each resolved once: the caller's
configuration and credentials, each account's credentials (assumed once, renewed once per
session, ahead of expiry), and the transport. Every call it makes goes through a
``CallPipeline``, which adds what it costs to ``totals`` as it is made.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass
from types import TracebackType
from typing import Final, Self

from botocore.exceptions import NoRegionError

from imgperms_async._aws_config import AwsConfig, read_config
from imgperms_async._client import ImagePermissionsClient, Resolved, make_transport, scope_client
from imgperms_async._client_config import ClientConfig
from imgperms_async._credentials import CredentialSource, SessionCredentialSource, credential_source
from imgperms_async._http import Transport
from imgperms_async._identity import Identity
from imgperms_async._organization import _control_plane as control_plane
from imgperms_async._organization._accounts import Account
from imgperms_async._organization._control_plane import Member, Operations, OrganizationFacts
from imgperms_async._organization._roles import Role
from imgperms_async._pipeline import CallPipeline
from imgperms_async._regions import WORKSPACES
from imgperms_async._stats import AuditTotals

STS_RATE_PER_SEC: Final = 500.0
STS_BURST: Final = 50
"""A ceiling under STS's default quota for AssumeRole, 600 requests per second per account and
region (an assumption: AWS's Service Quotas console gives an account's figure); the adaptive
limiter still slows down if STS throttles."""

ORGANIZATIONS_RATE_PER_SEC: Final[float | None] = None
"""Organizations publishes no rate, so its calls are paced by what it answers: the adaptive
limiter slows down from its first TooManyRequestsException. A listing is one call at a time
(each page asks with the last one's token), so AWS's own latency paces it already; a fixed 5 a
second made the 250 pages of 5,000 accounts take 50 s before the first scope could begin."""


@dataclass(frozen=True, slots=True)
class Membership:
    """What the caller can know of its organization: every member when it may list them, or
    none at all when it is in no organization (``members``; ``None`` when it may not list
    them), and the organization and its management account when it is in one (``facts``)."""

    members: frozenset[str] | None
    listing: tuple[Member, ...] | None
    facts: OrganizationFacts | None
    refusal: Exception | None = None
    """Why the accounts could not be listed, as AWS answered."""


class Reach:
    """Calls into any (account, region), as ``async with`` makes them reachable.

    ``scope_config`` tunes each scope's WorkSpaces client; control-plane calls go to the home
    region: the identity's, else botocore's configured region, else the first of
    ``fallback_regions``.
    """

    def __init__(
        self,
        identity: Identity,
        *,
        role: Role,
        config: ClientConfig,
        scope_config: ClientConfig,
        transport: Transport | None,
        fallback_regions: Sequence[str] = (),
    ) -> None:
        self.identity = identity
        self.role = role
        self.config = config
        self.scope_config = scope_config
        self._given_transport = transport
        self._fallback_regions = tuple(fallback_regions)
        self._exit = AsyncExitStack()
        self._credentials: dict[str, asyncio.Task[CredentialSource]] = {}
        self._profiles: dict[str, asyncio.Task[CredentialSource]] = {}
        self._sources: list[CredentialSource] = []
        self._sts: dict[CredentialSource, CallPipeline] = {}
        self._hops: dict[
            tuple[CredentialSource, control_plane.RoleRequest], asyncio.Task[CredentialSource]
        ] = {}
        self._operations: asyncio.Task[Operations] | None = None
        self._caller_account: asyncio.Task[str] | None = None
        self.totals = AuditTotals()
        self.roles_assumed = 0
        self.accounts_listed = 0
        """Accounts read so far from the organization's listing."""
        self.home_region = ""

    async def __aenter__(self) -> Self:
        self.aws = await asyncio.to_thread(read_config, self.identity)
        self.home_region = await asyncio.to_thread(self._home_region, self.aws)
        self.caller_credentials = self._keep(
            credential_source(await asyncio.to_thread(self.aws.credentials))
        )
        if self._given_transport is not None:
            self.transport: Transport = self._given_transport
        else:
            made = await asyncio.to_thread(make_transport, self.config, self.aws.retry)
            self.transport = await self._exit.enter_async_context(made)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        pending = [
            task
            for task in (
                *self._credentials.values(),
                *self._hops.values(),
                *self._profiles.values(),
                self._operations,
                self._caller_account,
            )
            if task is not None
        ]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        await asyncio.gather(*(source.aclose() for source in self._sources))
        await self._exit.aclose()

    def _home_region(self, aws: AwsConfig) -> str:
        try:
            return aws.home_region()
        except NoRegionError:
            if not self._fallback_regions:
                raise
            return self._fallback_regions[0]

    def _keep(self, source: CredentialSource) -> CredentialSource:
        self._sources.append(source)
        return source

    async def operations(self) -> Operations:
        """The control plane's operations, loaded on first use (only audits that need the
        control plane pay for botocore's models)."""
        if self._operations is None:
            self._operations = asyncio.get_running_loop().create_task(Operations.load())
        return await asyncio.shield(self._operations)

    def control_pipeline(
        self, service: str, credentials: CredentialSource, *, rate_per_sec: float | None, burst: int
    ) -> CallPipeline:
        """Calls to a control-plane service in the home region."""
        return self.pipeline(
            service,
            self.home_region,
            credentials,
            config=dataclasses.replace(
                self.config,
                max_rate=rate_per_sec,
                burst=burst if rate_per_sec is not None else None,
            ),
        )

    def sts(self, signer: CredentialSource) -> CallPipeline:
        """STS signed as ``signer``, one pipeline per signer: STS's quota is the calling
        account's, so every role it assumes shares one pace (an audit of a thousand accounts
        assumes a thousand roles as the one caller)."""
        pipeline = self._sts.get(signer)
        if pipeline is None:
            pipeline = self._sts[signer] = self.control_pipeline(
                "sts", signer, rate_per_sec=STS_RATE_PER_SEC, burst=STS_BURST
            )
        return pipeline

    def pipeline(
        self, service: str, region: str, credentials: CredentialSource, *, config: ClientConfig
    ) -> CallPipeline:
        """Calls to any service in any region, signed with ``credentials``, counted in the
        totals."""
        return CallPipeline(
            service_endpoint=self.aws.endpoint(service, region),
            credentials=credentials,
            transport=self.transport,
            config=config,
            retry=self.aws.retry,
            totals=self.totals,
        )

    async def caller_account_id(self) -> str:
        """The caller's own account (STS GetCallerIdentity, asked once)."""
        if self._caller_account is None:
            self._caller_account = asyncio.get_running_loop().create_task(self._ask_caller())
        return await asyncio.shield(self._caller_account)

    async def _ask_caller(self) -> str:
        sts = self.sts(self.caller_credentials)
        return await control_plane.caller_account_id(sts.call, await self.operations())

    async def membership(self) -> Membership:
        """The organization as the caller may see it: ListAccounts, and DescribeOrganization
        (which any member may call) for the management account when it may not list."""
        operations = await self.operations()
        organizations = self.control_pipeline(
            "organizations",
            self.caller_credentials,
            rate_per_sec=ORGANIZATIONS_RATE_PER_SEC,
            burst=1,
        )
        try:
            listing: list[Member] | None = await control_plane.organization_members(
                organizations.call, operations, listed=self._count_listed
            )
            refusal = None
        except control_plane.ListingRefused as refused:
            listing, refusal = None, refused.reason
        facts = await control_plane.organization_facts(organizations.call, operations)
        if listing is not None:
            members: frozenset[str] | None = frozenset(m.account_id for m in listing)
        else:
            members = frozenset() if facts is None else None
        return Membership(members, None if listing is None else tuple(listing), facts, refusal)

    def _count_listed(self, count: int) -> None:
        self.accounts_listed = count

    async def credentials(self, account: Account) -> CredentialSource:
        """The account's credentials: the caller's own, a profile's, or the role assumed there
        (AssumeRole happens now, once per account, so a denied role fails here, once)."""
        task = self._credentials.get(account.account_id)
        if task is None:
            task = asyncio.get_running_loop().create_task(self._reach(account))
            self._credentials[account.account_id] = task
        return await asyncio.shield(task)

    async def _reach(self, account: Account) -> CredentialSource:
        if account.role_arn is None and account.profile is not None:
            return await self._profile(account.profile)
        if account.role_arn is None and account.account_id == await self.caller_account_id():
            return self.caller_credentials
        source = self.caller_credentials
        for hop in account.role_chain:
            source = await self._hop(self._role_request(hop, account), source)
        role_arn = account.role_arn or self.role_arn(account.account_id)
        source = await self._assume(self._role_request(role_arn, account), source)
        self.roles_assumed += 1
        return source

    def role_arn(self, account_id: str) -> str:
        return self.role.arn(account_id, partition=self.aws.partition(self.home_region))

    def _role_request(self, role_arn: str, account: Account) -> control_plane.RoleRequest:
        return control_plane.RoleRequest(
            role_arn=role_arn,
            session_name=self.role.session_name,
            duration_secs=self.role.duration_secs,
            external_id=account.external_id or self.role.external_id,
        )

    async def _hop(
        self, request: control_plane.RoleRequest, signer: CredentialSource
    ) -> CredentialSource:
        """A session on the way to an account's role, one for every account whose chain asks
        for it alike: the hub of hub-and-spoke chains is assumed once, not once per account."""
        task = self._hops.get((signer, request))
        if task is None:
            task = asyncio.get_running_loop().create_task(self._assume(request, signer))
            self._hops[signer, request] = task
        return await asyncio.shield(task)

    async def _assume(
        self, request: control_plane.RoleRequest, signer: CredentialSource
    ) -> CredentialSource:
        """A session of the role, asked for by ``signer``, renewed once per session."""
        sts = self.sts(signer)
        operations = await self.operations()
        first = await control_plane.assume_role(sts.call, operations, request)
        return self._keep(
            SessionCredentialSource(
                lambda: control_plane.assume_role(sts.call, operations, request), first=first
            )
        )

    async def _profile(self, profile: str) -> CredentialSource:
        task = self._profiles.get(profile)
        if task is None:
            identity = Identity(
                region_name=self.home_region,
                endpoint_url=self.identity.endpoint_url,
                profile_name=profile,
            )

            async def read() -> CredentialSource:
                aws = await asyncio.to_thread(read_config, identity)
                return self._keep(credential_source(await asyncio.to_thread(aws.credentials)))

            task = self._profiles[profile] = asyncio.get_running_loop().create_task(read())
        return await asyncio.shield(task)

    async def enabled_regions(self, credentials: CredentialSource) -> frozenset[str] | None:
        """The regions the account behind ``credentials`` has enabled (EC2 DescribeRegions)."""
        ec2 = self.pipeline("ec2", self.home_region, credentials, config=self.config)
        return await control_plane.enabled_regions(ec2.call, await self.operations())

    def workspaces(self, region: str, credentials: CredentialSource) -> ImagePermissionsClient:
        """An unopened WorkSpaces client for one scope: ``async with`` it."""
        resolved = Resolved(self.aws.endpoint(WORKSPACES, region), credentials, self.aws.retry)
        return scope_client(
            resolved, config=self.scope_config, transport=self.transport, totals=self.totals
        )
