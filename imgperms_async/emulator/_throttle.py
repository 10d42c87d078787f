"""Throttling: a token bucket per caller key, refilled continuously, as AWS rate limits work."""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable

__all__ = ["TokenBucket"]


class TokenBucket:
    """One bucket per key, refilled at `rate` tokens/s up to `burst`; a request spends one token."""

    def __init__(
        self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._rate = rate
        self._burst = burst
        self._clock = clock
        self._buckets: dict[Hashable, tuple[float, float]] = {}

    def allow(self, key: Hashable) -> bool:
        now = self._clock()
        tokens, last = self._buckets.get(key, (self._burst, now))
        tokens = min(self._burst, tokens + (now - last) * self._rate)
        allowed = tokens >= 1.0
        self._buckets[key] = (tokens - 1.0 if allowed else tokens, now)
        return allowed
