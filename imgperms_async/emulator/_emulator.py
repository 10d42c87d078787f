"""The Emulator object: configuration, lifecycle (async or in a background thread), inspection.

aiohttp's server is imported when serving starts, not with this module, so importing the package
(the CLI registers the `emulator` command that way) loads no server.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Self

from ._account_options import (
    apply_account_options,
    existing_accounts,
    name_accounts,
    served_scopes,
)
from ._configuration import build_world, rate_limit, securityhub_rate_limit, served_images
from ._credentials import DEFAULT_CREDENTIALS, EmulatorCredentials
from ._faults import FaultPlan
from ._iam.authorization import configured_iam
from ._iam.policy import PolicySource
from ._identity import Identities
from ._model.findings import Finding, Findings
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
from ._pipeline import RequestIds, RequestPipeline
from ._request_log import RequestLog, RequestRecord
from ._seeding.outside import OutsideImages, outside_images
from ._services import Service
from ._services.ec2 import Ec2
from ._services.organizations import Organizations
from ._services.securityhub import SecurityHub
from ._services.sts import Sts
from ._services.tagging import Tagging
from ._services.workspaces import Workspaces
from ._throttle import RateLimit, TokenBucket
from ._truth_snapshot import ScopedTruth, scoped_truth

if TYPE_CHECKING:
    from ._http import Serving

__all__ = ["Emulator"]


def _bracketed(host: str) -> str:
    """A host as it goes in a URL: IPv6 literals in brackets (RFC 3986)."""
    return f"[{host}]" if ":" in host else host


class Emulator:
    """A local AWS endpoint for WorkSpaces images, strict enough to test a client against.

    By default one standalone account in us-east-1 (`images` seeded images). With `accounts`,
    an organization: a management account (whose keys the emulator's credentials are) and that
    many members, each with `images` images in every region it enabled. Either way STS,
    Organizations, EC2 DescribeRegions, the tagging API and Security Hub are served beside
    WorkSpaces on the same port.

    Use `async with` inside a running loop, or plain `with` to serve from a background thread
    (for synchronous clients such as boto3). Every argument is checked here, so a bad value is a
    ValueError naming it, before anything is served. `clock` (epoch seconds) is what signatures,
    session expiry, rate limits and the log go by; tests move it instead of sleeping.

    `account_names` overrides the generated names ListAccounts serves (any text, on purpose: see
    `name_accounts`); `inbound_outside` shares images of accounts outside the emulator into every
    account and region (a count), or exactly the ones named; `securityhub_disabled` are the
    (account, region) pairs where Security Hub is not enabled, `securityhub_limits` throttles
    BatchImportFindings as AWS documents (so does `aws_limits`); `caller_policy`,
    `member_policy` and `member_trust_policy` (IAM policy documents, or paths of JSON files)
    authorize the emulator's own keys, the member roles' sessions, and AssumeRole into members.
    What it holds is inspected through `truth`, `scoped_truth` (with the images each account
    receives, `inbound`), `findings` (Security Hub) and `requests`.
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
        account_names: Mapping[str, str] | None = None,
        inbound_outside: OutsideImages = 0,
        credential_duration: float | None = None,
        rate: float | None = None,
        burst: float | None = None,
        aws_limits: bool = False,
        securityhub_limits: bool = False,
        securityhub_disabled: Iterable[tuple[str, str]] = (),
        caller_policy: PolicySource | None = None,
        member_policy: PolicySource | None = None,
        member_trust_policy: PolicySource | None = None,
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
        if retry_after is not None:
            NON_NEGATIVE.check("retry_after", retry_after)
        self._clock_offset = FINITE.check("clock_offset", clock_offset)
        self._clock = clock
        world = self._world = build_world(
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
            world,
            opt_in_disabled=opt_in_disabled,
            deny_role=deny_role,
            external_id_role=external_id_role,
            delegated_admins=delegated_admins,
        )
        name_accounts(world, account_names)
        world.index_stores()
        world.outside = outside_images(world, inbound_outside, seed)
        world.index_inbound()
        authorizer, trust = configured_iam(
            world,
            caller_policy=caller_policy,
            member_policy=member_policy,
            member_trust_policy=member_trust_policy,
        )
        self._credentials = tuple(credentials or DEFAULT_CREDENTIALS)
        self._identities = Identities(world.home_account_id, self._credentials, seed=seed)
        self._findings = Findings()
        self._log = RequestLog()
        services: tuple[Service, ...] = (
            Workspaces(
                world,
                seed=seed,
                page_size=PAGE_SIZE.check("page_size", page_size),
                deny_images=served_images(world, "deny_images", deny_images),
                deny_writes=existing_accounts(world, "deny_writes", deny_writes),
            ),
            Sts(
                world,
                self._identities,
                clock=self._now,
                credential_duration=credential_duration,
                trust=trust,
            ),
            Organizations(world, seed=seed),
            Ec2(world),
            Tagging(),
            SecurityHub(
                self._findings,
                disabled=served_scopes(world, "securityhub_disabled", securityhub_disabled),
                clock=self._now,
                seed=seed,
            ),
        )
        self._services = services
        self._pipeline = RequestPipeline(
            world=world,
            identities=self._identities,
            services=services,
            verify=verify,
            clock=self._now,
            limits=self._rate_limits(
                rate_limit(rate, burst, aws_limits),
                securityhub_rate_limit(securityhub_limits, aws_limits),
            ),
            faults=FaultPlan(
                seed=seed,
                fault_rate=fault_rate,
                drop_rate=drop_rate,
                malformed_rate=malformed_rate,
                latency=check_latency(latency),
            ),
            retry_after=retry_after,
            authorizer=authorizer,
            log=self._log,
            request_ids=RequestIds(seed),
        )
        self._serving: Serving | None = None
        self._thread: threading.Thread | None = None
        self._thread_loop: asyncio.AbstractEventLoop | None = None

    def _rate_limits(
        self, workspaces: tuple[float, float] | None, securityhub: tuple[float, float] | None
    ) -> dict[str, RateLimit]:
        """WorkSpaces throttles every call, Security Hub BatchImportFindings, each in its words."""
        limits = {}
        if workspaces is not None:
            limits["workspaces"] = RateLimit(
                TokenBucket(*workspaces, clock=self._now),
                "ThrottlingException",
                "Rate exceeded",
                400,
            )
        if securityhub is not None:
            limits["securityhub"] = RateLimit(
                TokenBucket(*securityhub, clock=self._now),
                "TooManyRequestsException",
                "Too Many Requests",
                429,
                frozenset({"BatchImportFindings"}),
            )
        return limits

    def _now(self) -> float:
        return self._clock() + self._clock_offset

    async def start(self) -> None:
        from ._http import start_server

        self._serving = await start_server(
            self._pipeline,
            {
                "/_emulator/stats": self._stats,
                "/_emulator/health": lambda: {"status": "ok"},
                "/_emulator/truth": lambda: self.scoped_truth.to_json(),
            },
            self._host,
            self._port,
        )
        self._port = self._serving.port

    async def stop(self) -> None:
        if self._serving is not None:
            await self._serving.stop()
            self._serving = None

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
        own credentials: what `imgperms emulator` prints as `export` lines.

        Every service served gets its own AWS_ENDPOINT_URL_<SERVICE> besides AWS_ENDPOINT_URL,
        and AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is turned off, so a variable left in the shell
        from elsewhere cannot send one call to real AWS.
        """
        credentials = self.credentials
        url = self.endpoint_url
        workspaces, *others = self._services
        return {
            "AWS_ACCESS_KEY_ID": credentials.access_key,
            "AWS_SECRET_ACCESS_KEY": credentials.secret_key,
            "AWS_DEFAULT_REGION": self.region,
            f"AWS_ENDPOINT_URL_{workspaces.endpoint_variable}": url,
            "AWS_ENDPOINT_URL": url,
            **{f"AWS_ENDPOINT_URL_{service.endpoint_variable}": url for service in others},
            "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "false",
        }

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
        """The organization, each account's images per region, and what each receives from
        others: what /_emulator/truth serves."""
        return scoped_truth(self._world)

    @property
    def owned_image_ids(self) -> tuple[str, ...]:
        """The images of the emulator's own account, region by region, in listing order."""
        home = self._world.accounts[self._world.home_account_id]
        return tuple(image for store in home.stores.values() for image in store.image_ids)

    @property
    def findings(self) -> dict[str, dict[str, list[Finding]]]:
        """The Security Hub findings imported so far, account -> region -> findings in the
        order first imported, as GetFindings returns them (copies)."""
        return self._findings.snapshot()

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

    def _stats(self) -> dict[str, object]:
        """What /_emulator/stats serves: the counters overall and per `account/region`."""
        return {
            "requests": len(self._log.records),
            "counters": dict(self._log.counters),
            "scopes": {
                f"{account}/{region}": dict(counters)
                for (account, region), counters in self._log.scopes.items()
            },
        }
