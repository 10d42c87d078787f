"""How to reach any (account, region): the caller's botocore session, a role per account, one pool.

An organization audit and the changes that follow it need the same thing: a client for an
account in a region, signed as the caller in the caller's own account and as an assumed role in
every other, sharing one connection pool. This holds what that takes, resolved once: the
caller's identity and partition, each account's credentials (assumed once, refreshed by botocore
before they expire), and the transport.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Sequence
from contextlib import AsyncExitStack
from functools import partial
from types import TracebackType
from typing import Final, Self

from botocore.exceptions import NoRegionError

from imgperms_async._accounts import Account, check_roles, role_arn
from imgperms_async._botocore_settings import BotocoreSession
from imgperms_async._client import ImagePermissionsClient, client_for_settings, transport_for
from imgperms_async._client_config import ClientConfig
from imgperms_async._control_plane import (
    DEFAULT_DURATION_SECS,
    DEFAULT_ROLE_NAME,
    DEFAULT_SESSION_NAME,
    RoleToAssume,
    assumed_credentials,
    caller_account,
    enabled_regions,
    workspaces_regions,
)
from imgperms_async._credentials import BotocoreCredentials, Credentials, frozen
from imgperms_async._exceptions import InvalidSettingError
from imgperms_async._http import Transport

WORKSPACES_RATE_PER_SEC: Final = 2.0
"""What AWS documents for the WorkSpaces API, per account and region (burst 5): each scope's
limiter starts there and never goes above it unless the caller's ``config`` says otherwise."""
WORKSPACES_BURST: Final = 4
"""AWS's documented burst of 5, less one: the service's bucket and ours refill on different
clocks, and one token of slack keeps that jitter from costing a throttle."""

AnyCredentials = Credentials | BotocoreCredentials


@dataclasses.dataclass(frozen=True, slots=True)
class Roles:
    """Which role to become in each account, and how to ask for it."""

    role_name: str = DEFAULT_ROLE_NAME
    role_arn_template: str | None = None
    external_id: str | None = dataclasses.field(default=None, repr=False)
    session_name: str = DEFAULT_SESSION_NAME
    duration_secs: int = DEFAULT_DURATION_SECS


class ScopeReach:
    """Clients for any (account, region), as ``async with`` makes them reachable.

    ``concurrency`` bounds the requests in flight overall (the shared pool); ``scope_concurrency``
    each scope's, and sizes its client. Control-plane calls go to ``region_name``, else
    botocore's configured region, else the first of ``regions`` (those the caller will reach).
    """

    def __init__(
        self,
        *,
        roles: Roles,
        region_name: str | None,
        regions: Sequence[str] = (),
        endpoint_url: str | None,
        profile_name: str | None,
        aws_access_key_id: str | None,
        aws_secret_access_key: str | None,
        aws_session_token: str | None,
        concurrency: int,
        scope_concurrency: int,
        config: ClientConfig | None,
        transport: Transport | None,
    ) -> None:
        for name, value in (
            ("concurrency", concurrency),
            ("scope_concurrency", scope_concurrency),
            ("duration_secs", roles.duration_secs),
        ):
            if not isinstance(value, int) or value < 1:
                raise InvalidSettingError(error_msg=f"{name} must be at least 1, not {value!r}")
        check_roles(role_name=roles.role_name, template=roles.role_arn_template)
        self.roles = roles
        self._region_name = region_name
        self._regions = tuple(regions)
        self._botocore_session = partial(
            BotocoreSession,
            profile_name=profile_name,
            endpoint_url=endpoint_url,
            aws_access_key_id=aws_access_key_id,
            aws_secret_access_key=aws_secret_access_key,
            aws_session_token=aws_session_token,
        )
        self.concurrency = concurrency
        self.scope_concurrency = scope_concurrency
        base = config or ClientConfig()
        limit_given = base.max_rate is not None
        self.scope_config = dataclasses.replace(
            base,
            max_connections=scope_concurrency,
            max_rate=base.max_rate if limit_given else WORKSPACES_RATE_PER_SEC,
            burst=base.burst if limit_given else WORKSPACES_BURST,
        )
        self._given_transport = transport
        self._exit = AsyncExitStack()
        self._credentials: dict[str, asyncio.Task[AnyCredentials]] = {}
        self.caller_account_id = ""
        self.home_region = ""
        self.partition = ""

    async def __aenter__(self) -> Self:
        configured = await asyncio.to_thread(self._botocore_session)
        self.configured = configured
        self.home_region = await asyncio.to_thread(self._home_region, configured)
        self.caller_credentials = await asyncio.to_thread(configured.credentials)
        self.caller_account_id = await asyncio.to_thread(
            caller_account, configured, self.home_region
        )
        self.partition = await asyncio.to_thread(configured.partition, self.home_region)
        if self._given_transport is not None:
            self.transport: Transport = self._given_transport
        else:
            home = await asyncio.to_thread(
                configured.settings_for, self.home_region, self.caller_credentials
            )
            pool = dataclasses.replace(self.scope_config, max_connections=self.concurrency)
            self.transport = await self._exit.enter_async_context(
                await asyncio.to_thread(transport_for, home, pool)
            )
        return self

    def _home_region(self, configured: BotocoreSession) -> str:
        if self._region_name is not None:
            return self._region_name
        try:
            return configured.home_region()
        except NoRegionError:
            if not self._regions:
                raise
            return self._regions[0]

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        for task in self._credentials.values():
            task.cancel()
        await asyncio.gather(*self._credentials.values(), return_exceptions=True)
        await self._exit.aclose()

    async def workspaces_regions(self) -> tuple[str, ...]:
        """Every region where WorkSpaces is offered in the caller's partition."""
        return await asyncio.to_thread(workspaces_regions, self.configured, self.partition)

    async def credentials(self, account: Account) -> AnyCredentials:
        """The account's credentials: the caller's own, or the role assumed there (AssumeRole
        happens now, once per account, so a denied role fails here)."""
        task = self._credentials.get(account.account_id)
        if task is None:
            task = asyncio.get_running_loop().create_task(self._assume(account))
            self._credentials[account.account_id] = task
        return await asyncio.shield(task)

    async def enabled_regions(self, credentials: AnyCredentials) -> frozenset[str] | None:
        keys = await asyncio.to_thread(frozen, credentials)
        return await asyncio.to_thread(enabled_regions, self.configured, self.home_region, keys)

    async def client(self, account: Account, region: str) -> ImagePermissionsClient:
        """An unopened client for the scope: ``async with`` it."""
        credentials = await self.credentials(account)
        settings = await asyncio.to_thread(self.configured.settings_for, region, credentials)
        return client_for_settings(settings, config=self.scope_config, transport=self.transport)

    def role_for(self, account: Account) -> RoleToAssume:
        roles = self.roles
        return RoleToAssume(
            role_arn=account.role_arn
            or role_arn(
                account.account_id,
                partition=self.partition,
                role_name=roles.role_name,
                template=roles.role_arn_template,
            ),
            external_id=account.external_id or roles.external_id,
            session_name=roles.session_name,
            duration_secs=roles.duration_secs,
        )

    async def _assume(self, account: Account) -> AnyCredentials:
        if account.account_id == self.caller_account_id:
            return self.caller_credentials
        return await asyncio.to_thread(
            assumed_credentials, self.configured, self.home_region, self.role_for(account)
        )


def regions_to_try(
    wanted: Sequence[str], enabled: frozenset[str] | None
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The wanted regions the account has enabled, and those it has not (all of them are tried
    when it may not say)."""
    return (
        tuple(r for r in wanted if enabled is None or r in enabled),
        tuple(r for r in wanted if enabled is not None and r not in enabled),
    )
