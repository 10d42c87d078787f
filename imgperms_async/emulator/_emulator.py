"""The Emulator object: configuration, lifecycle (async or in a background thread), inspection."""

from __future__ import annotations

import asyncio
import hashlib
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from types import TracebackType
from typing import Self

from aiohttp import web

from ._credentials import DEFAULT_CREDENTIALS, EmulatorCredentials
from ._faults import FaultPlan
from ._operations import Operations
from ._options import (
    AT_LEAST_ONE,
    COUNT,
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
from ._request_log import RequestLog, RequestRecord
from ._server import EmulatorServer
from ._sigv4 import SigV4Verifier
from ._state import ImageStore, generate_shares
from ._throttle import TokenBucket
from ._tokens import PageTokens

__all__ = ["Emulator"]

DEFAULT_REGION = "us-east-1"


def _bracketed(host: str) -> str:
    """A host as it goes in a URL: IPv6 literals in brackets (RFC 3986)."""
    return f"[{host}]" if ":" in host else host


class Emulator:
    """A local WorkSpaces endpoint with seeded state, strict SigV4 checks and injectable faults.

    Use `async with` inside a running loop, or plain `with` to serve from a background thread
    (for synchronous clients such as boto3). Every argument is checked here, so a bad value is a
    ValueError naming it, before anything is served.
    """

    def __init__(
        self,
        images: int | Mapping[str, Sequence[str]] = 200,
        *,
        seed: int = 0,
        host: str = "127.0.0.1",
        port: int = 0,
        rate: float | None = None,
        burst: float | None = None,
        fault_rate: float = 0.0,
        drop_rate: float = 0.0,
        malformed_rate: float = 0.0,
        latency: Latency = 0.0,
        deny_images: Iterable[str] = (),
        page_size: int = 25,
        verify: bool = True,
        clock_offset: float = 0.0,
        retry_after: float | None = None,
        credentials: Sequence[EmulatorCredentials] | None = None,
    ) -> None:
        if isinstance(images, int):
            shares: Mapping[str, Sequence[str]] = generate_shares(
                COUNT.check("images", images), seed
            )
        else:
            shares = images
        for name, value in (
            ("fault_rate", fault_rate),
            ("drop_rate", drop_rate),
            ("malformed_rate", malformed_rate),
        ):
            FRACTION.check(name, value)
        if rate is not None:
            POSITIVE.check("rate", rate)
        if burst is not None:
            AT_LEAST_ONE.check("burst", burst)
            if rate is None:
                raise InvalidOption("burst", "is set without a rate")
        if retry_after is not None:
            NON_NEGATIVE.check("retry_after", retry_after)
        self._store = ImageStore(shares, seed)
        denied = frozenset(deny_images)
        unknown = sorted(denied - set(self._store.image_ids))
        if unknown:
            raise InvalidOption("deny_images", f"names {unknown[0]!r}, which is not an image here")
        self._credentials = tuple(credentials or DEFAULT_CREDENTIALS)
        self._host = HOST.check("host", host)
        self._port = PORT.check("port", port)
        self._clock_offset = FINITE.check("clock_offset", clock_offset)
        self._log = RequestLog()
        tokens = PageTokens(hashlib.sha256(f"page-tokens-{seed}".encode()).digest())
        self._server = EmulatorServer(
            operations=Operations(
                self._store, tokens, page_size=PAGE_SIZE.check("page_size", page_size)
            ),
            verifier=(
                SigV4Verifier(self._credentials, regions=(DEFAULT_REGION,), clock=self._now)
                if verify
                else None
            ),
            region=DEFAULT_REGION,
            bucket=None if rate is None else TokenBucket(rate, burst or max(1.0, rate)),
            faults=FaultPlan(
                seed=seed,
                fault_rate=fault_rate,
                drop_rate=drop_rate,
                malformed_rate=malformed_rate,
                latency=check_latency(latency),
            ),
            denied_images=denied,
            clock=self._now,
            retry_after=retry_after,
            log=self._log,
        )
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._thread_loop: asyncio.AbstractEventLoop | None = None

    def _now(self) -> float:
        return time.time() + self._clock_offset

    async def start(self) -> None:
        runner = web.AppRunner(self._server.application(), access_log=None)
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
    def account_id(self) -> str:
        """The account the default credentials belong to, which owns the images."""
        return self._store.owner_account_id

    @property
    def region(self) -> str:
        return DEFAULT_REGION

    @property
    def truth(self) -> Mapping[str, tuple[str, ...]]:
        return self._store.truth()

    @property
    def owned_image_ids(self) -> tuple[str, ...]:
        return self._store.image_ids

    @property
    def requests(self) -> list[RequestRecord]:
        return self._log.records

    @property
    def stats(self) -> dict[str, int]:
        return dict(self._log.counters)

    def reset_log(self) -> None:
        self._log.reset()
