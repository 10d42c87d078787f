"""Credentials for signing, resolved and refreshed by botocore without ever blocking the event loop.

botocore's providers read files, run processes and call IMDS or STS synchronously. Every such call
runs in a worker thread, one at a time under an asyncio lock; refreshable credentials are renewed in
the background once they enter botocore's advisory window, so requests only wait in the mandatory one.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

from botocore.exceptions import NoCredentialsError

logger = logging.getLogger(__name__)

MANDATORY_REFRESH_SECS: Final = 10 * 60
"""Inside this window before expiry a request waits for fresh credentials (botocore's value)."""

RETRY_BACKGROUND_REFRESH_SECS: Final = 30.0
"""After a failed background refresh, how long to go on with the still-valid credentials."""


@dataclass(frozen=True, slots=True)
class Credentials:
    """One immutable set of keys; the secret parts never appear in a repr."""

    access_key: str
    secret_key: str = field(repr=False)
    token: str | None = field(default=None, repr=False)


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


class CredentialSource:
    """Hands out current credentials; ``get()`` is a plain attribute read in the common case."""

    def __init__(
        self,
        botocore_credentials: BotocoreCredentials | None,
        *,
        static: Credentials | None = None,
        time: Callable[[], float] = time.monotonic,
    ) -> None:
        if botocore_credentials is None and static is None:
            raise NoCredentialsError()
        self._botocore = botocore_credentials
        self._refreshable: RefreshableBotocoreCredentials | None = (
            botocore_credentials if hasattr(botocore_credentials, "refresh_needed") else None  # type: ignore[assignment]
        )
        self._current = static
        self._lock = asyncio.Lock()
        self._background: asyncio.Task[None] | None = None
        self._time = time
        self._next_background_at = -float("inf")

    @property
    def current(self) -> Credentials | None:
        """The credentials last handed out; a new object whenever they change."""
        return self._current

    def usable(self) -> Credentials | None:
        """The current credentials when they can sign now (a refresh ahead of expiry starts in
        the background), or ``None`` when a caller must wait for new ones (``get``)."""
        current = self._current
        refreshable = self._refreshable
        if refreshable is None or current is None:
            return current
        if refreshable.refresh_needed(MANDATORY_REFRESH_SECS):
            return None
        if refreshable.refresh_needed():
            self._refresh_ahead()
        return current

    async def get(self) -> Credentials:
        return self.usable() or await self._refresh()

    async def aclose(self) -> None:
        """Stop a background refresh so closing the client leaves no task behind."""
        task, self._background = self._background, None
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _refresh(self) -> Credentials:
        async with self._lock:
            current = self._current
            refreshable = self._refreshable
            if current is not None and (
                refreshable is None or not refreshable.refresh_needed(MANDATORY_REFRESH_SECS)
            ):
                return current
            self._current = await self._fetch()
            return self._current

    def _refresh_ahead(self) -> None:
        if self._background is not None and not self._background.done():
            return
        now = self._time()
        if now < self._next_background_at:
            return
        self._next_background_at = now + RETRY_BACKGROUND_REFRESH_SECS
        self._background = asyncio.get_running_loop().create_task(self._refresh_in_background())

    async def _refresh_in_background(self) -> None:
        async with self._lock:
            try:
                self._current = await self._fetch()
            except Exception as exc:
                logger.warning(
                    "Refreshing credentials ahead of expiry failed (%s); "
                    "going on with the current ones",
                    type(exc).__name__,
                )

    async def _fetch(self) -> Credentials:
        botocore_credentials = self._botocore
        if botocore_credentials is None:
            raise NoCredentialsError()
        fetched = await asyncio.to_thread(frozen, botocore_credentials)
        # Keep the same object when nothing changed: the signer rebuilds its key cache on a new one.
        return self._current if fetched == self._current and self._current else fetched
