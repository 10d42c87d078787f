"""Counters a client keeps for every request, cheap enough to leave on for a large audit.

Latency goes into a log-scale histogram (16 buckets per doubling from 10 µs; the last bucket,
from about 170 s, is open-ended), so recording is one ``log2`` and an index, and a percentile is
accurate to one bucket (under 4.5 %). Only the buckets a latency fell in are kept: an audit makes
a client per (account, region), most of them making a request or two, and 384 counters each came
to 3 KB apiece. Nothing here locks: a client and its stats live on one event loop.
"""

from __future__ import annotations

import math
import time
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from itertools import accumulate
from typing import Final

__all__ = ["AuditTotals", "Stats", "StatsSnapshot"]

_MIN_LATENCY_SECS: Final = 1e-5
_BUCKETS_PER_DOUBLING: Final = 16
_DOUBLINGS: Final = 24
_BUCKET_COUNT: Final = _BUCKETS_PER_DOUBLING * _DOUBLINGS


@dataclass(frozen=True, slots=True)
class StatsSnapshot:
    """What the client has done so far; ``throttles`` and ``errors`` count by error code.

    ``errors`` counts calls that failed for good (after retries), keyed by the service error code
    or, for failures without one, the exception class name.
    """

    requests: int
    retries: int
    throttles: Mapping[str, int]
    errors: Mapping[str, int]
    latency_p50_secs: float
    latency_p90_secs: float
    latency_p99_secs: float
    latency_max_secs: float
    elapsed_secs: float
    requests_per_sec: float


@dataclass
class AuditTotals:
    """What every call of an audit cost so far: each call adds to it as it is made."""

    requests: int = 0
    retries: int = 0
    throttles: int = 0


class Stats:
    """Request, retry, throttle and error counts plus a latency histogram, all O(1) to record;
    and, given ``totals``, the same counts added to them as they happen, so that an audit's
    thousands of clients never need a snapshot each to be added up."""

    __slots__ = (
        "_buckets",
        "_errors",
        "_max_latency",
        "_requests",
        "_retries",
        "_started",
        "_throttles",
        "_time",
        "_totals",
    )

    def __init__(
        self, *, time: Callable[[], float] = time.monotonic, totals: AuditTotals | None = None
    ) -> None:
        self._time = time
        self._totals = totals
        self._started = time()
        self._requests = 0
        self._retries = 0
        self._throttles: Counter[str] = Counter()
        self._errors: Counter[str] = Counter()
        self._buckets: dict[int, int] = {}
        """Bucket index -> requests whose latency fell in it; only buckets that hold some."""
        self._max_latency = 0.0

    def record_request(self, latency_secs: float) -> None:
        """One attempt that went out and came back, with a response or a transport error."""
        self._requests += 1
        if self._totals is not None:
            self._totals.requests += 1
        index = _bucket_index(latency_secs)
        self._buckets[index] = self._buckets.get(index, 0) + 1
        if latency_secs > self._max_latency:
            self._max_latency = latency_secs

    def record_retry(self) -> None:
        self._retries += 1
        if self._totals is not None:
            self._totals.retries += 1

    def record_throttle(self, code: str) -> None:
        self._throttles[code] += 1
        if self._totals is not None:
            self._totals.throttles += 1

    def record_error(self, code: str) -> None:
        self._errors[code] += 1

    def snapshot(self) -> StatsSnapshot:
        elapsed = max(self._time() - self._started, 0.0)
        # Running totals once, then each rank by bisection: an audit takes a snapshot of every
        # scope's client, and three walks over the buckets each time added up.
        indexes = sorted(self._buckets)
        totals = list(accumulate(self._buckets[index] for index in indexes))
        return StatsSnapshot(
            requests=self._requests,
            retries=self._retries,
            throttles=dict(self._throttles),
            errors=dict(self._errors),
            latency_p50_secs=self._percentile(0.50, indexes, totals),
            latency_p90_secs=self._percentile(0.90, indexes, totals),
            latency_p99_secs=self._percentile(0.99, indexes, totals),
            latency_max_secs=self._max_latency,
            elapsed_secs=elapsed,
            requests_per_sec=self._requests / elapsed if elapsed > 0 else 0.0,
        )

    def _percentile(self, fraction: float, indexes: list[int], totals: list[int]) -> float:
        """The upper edge of the bucket holding this rank, capped at the largest latency seen;
        ``totals`` are the running totals of the buckets ``indexes`` name, in order."""
        if self._requests == 0:
            return 0.0
        position = bisect_left(totals, max(math.ceil(fraction * self._requests), 1))
        if position == len(totals):
            raise AssertionError("unreachable: the buckets hold every request")
        return min(_bucket_upper_edge(indexes[position]), self._max_latency)


def _bucket_index(latency_secs: float) -> int:
    if latency_secs <= _MIN_LATENCY_SECS:
        return 0
    index = int(math.log2(latency_secs / _MIN_LATENCY_SECS) * _BUCKETS_PER_DOUBLING)
    return min(index, _BUCKET_COUNT - 1)


def _bucket_upper_edge(index: int) -> float:
    if index == _BUCKET_COUNT - 1:
        return math.inf
    return float(_MIN_LATENCY_SECS * 2 ** ((index + 1) / _BUCKETS_PER_DOUBLING))
