"""The Emulator object: configuration, lifecycle (async or in a background thread), inspection."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import TracebackType
from typing import Self

from aiohttp import web

from ._configuration import build_world, existing_accounts, rate_limit, served_images
from ._credentials import DEFAULT_CREDENTIALS, EmulatorCredentials
from ._ec2 import Ec2
from ._faults import FaultPlan
from ._identity import Identities
from ._options import (
    FINITE,
    FRACTION,
    HOST,
    NON_NEGATIVE,
    PAGE_SIZE,
    PORT,
    POSITIVE,
    InvalidOption,
    Latency,
    check_latency,
)
from ._organizations import Organizations
from ._request_log import RequestLog, RequestRecord
from ._server import EmulatorServer, RequestIds
from ._sts import Sts
from ._tagging import Tagging
from ._throttle import TokenBucket
from ._truth import ScopedTruth, scoped_truth
from ._workspaces import Workspaces
from ._world import apply_account_options

__all__ = ["Emulator"]


def _bracketed(host: str) -> str:
    """A host as it goes in a URL: IPv6 literals in brackets (RFC 3986)."""
    return f"[{host}]" if ":" in host else host


class Emulator:
    """A local AWS endpoint for WorkSpaces images, strict enough to test a client against.

    By default one standalone account in us-east-1 (`images` seeded images). With `accounts`,
    an organization: a management account (whose keys the emulator's credentials are) and that
    many members, each with `images` images in every region it enabled, served beside STS,
    Organizations, EC2 DescribeRegions and the tagging API on the same port.

    Use `async with` inside a running loop, or plain `with` to serve from a background thread
    (for synchronous clients such as boto3). Every argument is checked here, so a bad value is a
    ValueError naming it, before anything is served. `clock` (epoch seconds) is what signatures,
    session expiry, rate limits and the log go by; tests move it instead of sleeping.
    """

    def __init__(
        self,
        images: int | Mapping[str, Sequence[str]] | None = None,
        *,
        seed: int = 0,
        host: str = "127.0.0.1",
        port: int = 0,
        accounts: int | None = None,
        regions: Sequence[str] | None = None,
        opt_in_disabled: Iterable[tuple[str, str]] = (),
        deny_role: Iterable[str] = (),
        external_id_role: Iterable[str] = (),
        external_id: str | None = None,
        role_name: str | None = None,
        delegated_admins: Iterable[str] = (),
        credential_duration: float | None = None,
        rate: float | None = None,
        burst: float | None = None,
        aws_limits: bool = False,
        fault_rate: float = 0.0,
        drop_rate: float = 0.0,
        malformed_rate: float = 0.0,
        latency: Latency = 0.0,
        deny_images: Iterable[str] = (),
        deny_writes: Iterable[str] = (),
        page_size: int = 25,
        verify: bool = True,
        clock_offset: float = 0.0,
        clock: Callable[[], float] = time.time,
        retry_after: float | None = None,
        credentials: Sequence[EmulatorCredentials] | None = None,
    ) -> None:
        self._host = HOST.check("host", host)
        self._port = PORT.check("port", port)
        for name, value in (
            ("fault_rate", fault_rate),
            ("drop_rate", drop_rate),
            ("malformed_rate", malformed_rate),
        ):
            FRACTION.check(name, value)
        limit = rate_limit(rate, burst, aws_limits)
        if retry_after is not None:
            NON_NEGATIVE.check("retry_after", retry_after)
        self._clock_offset = FINITE.check("clock_offset", clock_offset)
        self._clock = clock
        self._world = build_world(
            images,
            seed=seed,
            accounts=accounts,
            regions=regions,
            role_name=role_name,
            external_id=external_id,
        )
        if credential_duration is not None:
            if accounts is None:
                raise InvalidOption("credential_duration", "needs an organization (accounts)")
            POSITIVE.check("credential_duration", credential_duration)
        apply_account_options(
            self._world,
            opt_in_disabled=opt_in_disabled,
            deny_role=deny_role,
            external_id_role=external_id_role,
            delegated_admins=delegated_admins,
        )
        denied_images = served_images(self._world, "deny_images", deny_images)
        writers = existing_accounts(self._world, "deny_writes", deny_writes)
        self._credentials = tuple(credentials or DEFAULT_CREDENTIALS)
        self._identities = Identities(self._world.home_account_id, self._credentials, seed=seed)
        self._log = RequestLog()
        self._server = EmulatorServer(
            world=self._world,
            identities=self._identities,
            services=(
                Workspaces(
                    self._world,
                    seed=seed,
                    page_size=PAGE_SIZE.check("page_size", page_size),
                    deny_images=denied_images,
                    deny_writes=writers,
                ),
                Sts(
                    self._world,
                    self._identities,
                    clock=self._now,
                    credential_duration=credential_duration,
                ),
                Organizations(self._world, seed=seed),
                Ec2(self._world),
                Tagging(),
            ),
            verify=verify,
            clock=self._now,
            bucket=None if limit is None else TokenBucket(*limit, clock=self._now),
            faults=FaultPlan(
                seed=seed,
                fault_rate=fault_rate,
                drop_rate=drop_rate,
                malformed_rate=malformed_rate,
                latency=check_latency(latency),
            ),
            retry_after=retry_after,
            log=self._log,
            request_ids=RequestIds(seed),
        )
        self._runner: web.ServerRunner | None = None
        self._thread: threading.Thread | None = None
        self._thread_loop: asyncio.AbstractEventLoop | None = None

    def _now(self) -> float:
        return self._clock() + self._clock_offset

    async def start(self) -> None:
        runner = web.ServerRunner(self._server.handler())
        await runner.setup()
        site = web.TCPSite(runner, self._host, self._port)
        await site.start()
        self._runner = runner
        self._port = runner.addresses[0][1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def start_in_thread(self) -> None:
        """Serve from a private event loop in a daemon thread; returns once the port is bound."""
        loop = asyncio.new_event_loop()
        ready = threading.Event()
        failures: list[BaseException] = []

        def serve() -> None:
            try:
                loop.run_until_complete(self.start())
            except BaseException as error:  # reported to the starting thread below
                failures.append(error)
                loop.close()
                return
            finally:
                ready.set()
            loop.run_forever()
            loop.run_until_complete(self.stop())
            loop.close()

        thread = threading.Thread(target=serve, name="imgperms-emulator", daemon=True)
        thread.start()
        ready.wait()
        if failures:
            thread.join()
            raise failures[0]
        self._thread, self._thread_loop = thread, loop

    def stop_thread(self) -> None:
        if self._thread is None or self._thread_loop is None:
            return
        self._thread_loop.call_soon_threadsafe(self._thread_loop.stop)
        self._thread.join()
        self._thread = self._thread_loop = None

    def __enter__(self) -> Self:
        self.start_in_thread()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop_thread()

    @property
    def endpoint_url(self) -> str:
        return f"http://{_bracketed(self._host)}:{self._port}"

    def _first_credential(self, *, with_token: bool) -> EmulatorCredentials:
        for cred in self._credentials:
            if (cred.session_token is not None) == with_token:
                return cred
        kind = "with" if with_token else "without"
        raise LookupError(f"no credential {kind} a session token was configured")

    @property
    def credentials(self) -> EmulatorCredentials:
        return self._first_credential(with_token=False)

    @property
    def session_credentials(self) -> EmulatorCredentials:
        return self._first_credential(with_token=True)

    @property
    def environment(self) -> dict[str, str]:
        """The variables that point boto3, the AWS CLI and imgperms here, with the emulator's
        own credentials: what `imgperms emulator` prints as `export` lines. An organization adds
        AWS_ENDPOINT_URL, so every service (STS, Organizations, ...) comes here too."""
        credentials = self.credentials
        variables = {
            "AWS_ACCESS_KEY_ID": credentials.access_key,
            "AWS_SECRET_ACCESS_KEY": credentials.secret_key,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_ENDPOINT_URL_WORKSPACES": self.endpoint_url,
        }
        if self._world.organization is not None:
            variables["AWS_ENDPOINT_URL"] = self.endpoint_url
        return variables

    @property
    def account_id(self) -> str:
        """The account the emulator's own credentials belong to: the standalone account, or the
        organization's management account."""
        return self._world.home_account_id

    @property
    def region(self) -> str:
        """The first region served, the one the announced `AWS_DEFAULT_REGION` names."""
        return self._world.regions[0]

    @property
    def regions(self) -> tuple[str, ...]:
        return self._world.regions

    @property
    def external_id(self) -> str | None:
        """The ExternalId the roles of `external_id_role` accounts require (organizations)."""
        return self._world.external_id if self._world.organization is not None else None

    def role_arn(self, account_id: str) -> str:
        """The ARN of the organization's role in that account, as AssumeRole wants it."""
        return self._world.role_arn(account_id)

    @property
    def truth(self) -> Mapping[str, tuple[str, ...]]:
        """Image id -> shared account ids in server order, for every image of every account
        and region (image ids are unique across them)."""
        return {
            image: shares
            for store in self._world.stores.values()
            for image, shares in store.truth().items()
        }

    @property
    def scoped_truth(self) -> ScopedTruth:
        """The organization, and each account's images per region: what /_emulator/truth serves."""
        return scoped_truth(self._world)

    @property
    def owned_image_ids(self) -> tuple[str, ...]:
        """The images of the emulator's own account, region by region, in listing order."""
        home = self._world.accounts[self._world.home_account_id]
        return tuple(image for store in home.stores.values() for image in store.image_ids)

    @property
    def requests(self) -> list[RequestRecord]:
        return self._log.records

    @property
    def stats(self) -> dict[str, int]:
        return dict(self._log.counters)

    @property
    def scope_stats(self) -> dict[tuple[str, str], dict[str, int]]:
        """Counters per (account, region): requests, served, rejected, error.<code>."""
        return {scope: dict(counters) for scope, counters in self._log.scopes.items()}

    def reset_log(self) -> None:
        self._log.reset()
