"""The time requests are signed with: the local clock corrected by the skew seen in server ``Date`` headers.

A client whose clock is off by more than five minutes gets every request rejected as expired; measuring
the offset from responses lets it sign with the server's notion of now and recover on the next attempt.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime


class SkewClock:
    """Wall time corrected by the last measured server skew; cheap enough to consult per request."""

    __slots__ = ("_last_date", "_time", "skew_secs")

    def __init__(self, *, time_source: Callable[[], float] = time.time) -> None:
        self._time = time_source
        self._last_date: str | None = None
        self.skew_secs = 0.0

    def time(self) -> float:
        """Seconds since the epoch as the server sees them."""
        return self._time() + self.skew_secs

    def observe(self, date_header: str | None, *, sent_at: float, received_at: float) -> None:
        """Update the skew: server time minus the midpoint of the exchange, in local time.

        ``Date`` has one-second resolution, so the offset is only re-measured when the header
        changes (at most once a second) and a difference under one second is treated as none.
        """
        if date_header is None or date_header == self._last_date:
            return
        try:
            server_epoch = _epoch(date_header)
        except (TypeError, ValueError, IndexError):
            return
        self._last_date = date_header
        skew = server_epoch - (sent_at + received_at) / 2
        self.skew_secs = skew if abs(skew) >= 1.0 else 0.0


@functools.lru_cache(maxsize=16)
def _epoch(date_header: str) -> float:
    """A ``Date`` header as seconds since the epoch. Every clock of a process reads the same
    header each second (an audit has one per scope, thousands of them), so it is parsed once."""
    return parsedate_to_datetime(date_header).timestamp()
