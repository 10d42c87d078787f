"""Throttling: a token bucket per caller key, refilled continuously, as AWS rate limits work, and
the rate limits of the services that have one."""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from ._errors import Throttled

__all__ = ["RateLimit", "TokenBucket"]


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


@dataclass(frozen=True, slots=True)
class RateLimit:
    """One service's limit per (account, region): on every request, or on `operations` only,
    refused in that service's words (WorkSpaces' ThrottlingException, Security Hub's 429)."""

    bucket: TokenBucket
    code: str
    message: str
    status: int
    operations: frozenset[str] | None = None

    def spend(self, operation: str | None, account_id: str, region: str) -> None:
        """Take a token for the request, or raise the service's throttling error."""
        if self.operations is not None and operation not in self.operations:
            return
        if not self.bucket.allow((account_id, region)):
            raise Throttled(self.code, self.message, self.status)
