"""Credentials for signing: at hand in the common case, refreshed ahead of expiry, never blocking.

Three sources hand out the keys a request is signed with. Static keys never change. botocore's
credential chain (files, processes, SSO, IMDS) may block, so its refreshes run in a worker thread.
Sessions this package asks for itself (AssumeRole, over the same async path as every call) are
renewed once per session, ahead of expiry, on the event loop. In every source a refresh happens
once, under a lock, and requests only wait for one when the keys in hand are about to expire.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

from botocore.exceptions import NoCredentialsError

from imgperms_async._secrets import remember

logger = logging.getLogger(__name__)

MANDATORY_REFRESH_SECS: Final = 10 * 60
"""Inside this window before expiry a request waits for fresh credentials (botocore's value)."""
ADVISORY_REFRESH_SECS: Final = 15 * 60
"""Inside this window a refresh starts in the background (botocore's value)."""

RETRY_BACKGROUND_REFRESH_SECS: Final = 30.0
"""After a failed background refresh, how long to go on with the still-valid credentials."""


@dataclass(frozen=True, slots=True)
class Credentials:
    """One immutable set of keys; the secret parts never appear in a repr, nor in a log line
    (they are remembered as secrets as soon as they exist)."""

    access_key: str
    secret_key: str = field(repr=False)
    token: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        remember(self.secret_key, self.token)


@dataclass(frozen=True, slots=True)
class Session:
    """Temporary credentials and when they stop working (epoch seconds)."""

    credentials: Credentials
    expires_at: float


class CredentialSource(Protocol):
    """Where the signing step gets its keys."""

    @property
    def current(self) -> Credentials | None:
        """The credentials last handed out; a new object whenever they change."""

    def usable(self) -> Credentials | None:
        """The current credentials when they can sign now (starting a refresh in the background
        when one is due), or ``None`` when a caller must wait for new ones (``get``)."""

    async def get(self) -> Credentials: ...

    async def aclose(self) -> None:
        """Stop a background refresh, so closing a client leaves no task behind."""


class BotocoreCredentials(Protocol):
    """The part of ``botocore.credentials.Credentials`` (and its refreshable kinds) used here."""

    def get_frozen_credentials(self) -> Any: ...


class RefreshableBotocoreCredentials(BotocoreCredentials, Protocol):
    """botocore's temporary credentials (STS, SSO, IMDS, container): they expire and renew."""

    def refresh_needed(self, refresh_in: float | None = None) -> bool: ...


def frozen(credentials: Credentials | BotocoreCredentials) -> Credentials:
    """The keys in use now. It blocks (botocore's may refresh first): call it in a thread."""
    if isinstance(credentials, Credentials):
        return credentials
    keys = credentials.get_frozen_credentials()
    if not keys.access_key or not keys.secret_key:
        raise NoCredentialsError()
    return Credentials(keys.access_key, keys.secret_key, keys.token or None)


class StaticCredentialSource:
    """Keys given outright: nothing to refresh."""

    def __init__(self, credentials: Credentials) -> None:
        self._credentials = credentials

    @property
    def current(self) -> Credentials:
        return self._credentials

    def usable(self) -> Credentials:
        return self._credentials

    async def get(self) -> Credentials:
        return self._credentials

    async def aclose(self) -> None:
        return


def credential_source(credentials: Credentials | BotocoreCredentials) -> CredentialSource:
    """The source for what botocore's configuration gave: keys, or its refreshable chain."""
    if isinstance(credentials, Credentials):
        return StaticCredentialSource(credentials)
    return BotocoreCredentialSource(credentials)


class _Refresher:
    """One refresh at a time, ahead of need in the background or awaited when it must be."""

    def __init__(
        self, fetch: Callable[[], Awaitable[Credentials]], time: Callable[[], float]
    ) -> None:
        self._fetch = fetch
        self._time = time
        self._lock = asyncio.Lock()
        self._background: asyncio.Task[None] | None = None
        self._next_background_at = -float("inf")

    async def now(self, still_good: Callable[[], Credentials | None]) -> Credentials:
        """Fresh credentials, unless another refresh made ``still_good`` answer meanwhile."""
        async with self._lock:
            good = still_good()
            if good is not None:
                return good
            return await self._fetch()

    def ahead(self) -> None:
        if self._background is not None and not self._background.done():
            return
        now = self._time()
        if now < self._next_background_at:
            return
        self._next_background_at = now + RETRY_BACKGROUND_REFRESH_SECS
        self._background = asyncio.get_running_loop().create_task(self._in_background())

    async def _in_background(self) -> None:
        async with self._lock:
            try:
                await self._fetch()
            except Exception as exc:
                logger.warning(
                    "Refreshing credentials ahead of expiry failed (%s); "
                    "going on with the current ones",
                    type(exc).__name__,
                )

    def renewed(self) -> None:
        """The credentials fetched are not due yet: the next background refresh may start as
        soon as they are, without the wait meant for a refresh that failed."""
        self._next_background_at = -float("inf")

    async def aclose(self) -> None:
        task, self._background = self._background, None
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


class BotocoreCredentialSource:
    """botocore's credentials, read and refreshed in a worker thread, in botocore's windows."""

    def __init__(
        self,
        botocore_credentials: BotocoreCredentials | None,
        *,
        time: Callable[[], float] = time.monotonic,
    ) -> None:
        if botocore_credentials is None:
            raise NoCredentialsError()
        self._botocore = botocore_credentials
        self._refreshable: RefreshableBotocoreCredentials | None = (
            botocore_credentials if hasattr(botocore_credentials, "refresh_needed") else None  # type: ignore[assignment]
        )
        self._current: Credentials | None = None
        self._refresher = _Refresher(self._fetch, time)

    @property
    def current(self) -> Credentials | None:
        return self._current

    def usable(self) -> Credentials | None:
        current = self._current
        refreshable = self._refreshable
        if refreshable is None or current is None:
            return current
        if refreshable.refresh_needed(MANDATORY_REFRESH_SECS):
            return None
        if refreshable.refresh_needed():
            self._refresher.ahead()
        return current

    async def get(self) -> Credentials:
        return self.usable() or await self._refresher.now(self.usable)

    async def aclose(self) -> None:
        await self._refresher.aclose()

    async def _fetch(self) -> Credentials:
        fetched = await asyncio.to_thread(frozen, self._botocore)
        # Keep the same object when nothing changed: the signer rebuilds its key cache on a new one.
        if fetched != self._current or self._current is None:
            self._current = fetched
        return self._current


def refresh_windows_secs(lifetime_secs: float) -> tuple[float, float]:
    """(advisory, mandatory) seconds before expiry: botocore's 15 and 10 minutes for an hour's
    session, and a half and a quarter of a shorter one, so a short session is refreshed once,
    not on every use (inside botocore's windows a 15-minute session would always be due)."""
    return (
        min(ADVISORY_REFRESH_SECS, lifetime_secs / 2),
        min(MANDATORY_REFRESH_SECS, lifetime_secs / 4),
    )


class SessionCredentialSource:
    """Sessions this package asks for itself (AssumeRole), fetched on the event loop: each is
    renewed once, in the background inside its advisory window, or awaited inside its
    mandatory one. ``time`` is the wall clock sessions expire by."""

    def __init__(
        self,
        fetch: Callable[[], Awaitable[Session]],
        *,
        first: Session | None = None,
        time: Callable[[], float] = time.time,
    ) -> None:
        self._fetch_session = fetch
        self._time = time
        self._session = first
        self._windows = (0.0, 0.0) if first is None else self._windows_of(first)
        self._refresher = _Refresher(self._fetch, time)

    @property
    def current(self) -> Credentials | None:
        return None if self._session is None else self._session.credentials

    def usable(self) -> Credentials | None:
        session = self._session
        if session is None:
            return None
        remaining = session.expires_at - self._time()
        advisory, mandatory = self._windows
        if remaining <= mandatory:
            return None
        if remaining <= advisory:
            self._refresher.ahead()
        return session.credentials

    async def get(self) -> Credentials:
        return self.usable() or await self._refresher.now(self.usable)

    async def aclose(self) -> None:
        await self._refresher.aclose()

    async def _fetch(self) -> Credentials:
        session = await self._fetch_session()
        self._session = session
        self._windows = self._windows_of(session)
        self._refresher.renewed()
        return session.credentials

    def _windows_of(self, session: Session) -> tuple[float, float]:
        return refresh_windows_secs(max(session.expires_at - self._time(), 0.0))
