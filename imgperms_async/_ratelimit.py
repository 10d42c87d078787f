"""Client-side rate limiting: send no faster than the service will answer without throttling.

The adaptive limiter is botocore's adaptive retry mode (``retries/adaptive.py``, ``throttling.py``,
``bucket.py``) on asyncio: it costs nothing until the service first throttles, then paces requests
through a token bucket whose rate follows CUBIC congestion control (RFC 8312) from the measured
sending rate: cut to 70 % of it on a throttle, regrow along a cubic curve that flattens near the
rate that last failed, never more than twice what is actually being sent. One limiter is shared by
every request of a client, because throttling is per account and region, not per call.

Three departures from botocore, each measured against the emulator (a bulk audit went from 1.6x
to about 1.0x the ideal time): the rate is cut once per round trip, not once per throttled
response; the sending rate is measured over windows that start at the first response; and the
bucket saves up a tenth of a second of tokens instead of a whole second, emptied on each cut.

Before it knows anything, it learns the way TCP does (slow start): a client that has never been
throttled may have at most a small window of requests in flight, growing by one with each answer
(so doubling each round trip), until a throttle hands over to the rate limiter or the window
reaches the client's own concurrency and the limiter steps aside for good. A wide fan-out so
never opens with a burst the service throttles before the client could know its limit.

Waiters are served in FIFO order through an ``asyncio.Lock``, whose waiters queue in arrival order
and which a newcomer never takes ahead of them: the waiter at the head sleeps until its token is
due and takes it without awaiting in between, so a waiter cancelled at any point has taken nothing
and the tokens it did not take remain for the next one.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Final, Protocol

__all__ = [
    "AdaptiveRateLimiter",
    "Cubic",
    "FixedRateLimiter",
    "NoRateLimiter",
    "RateLimiter",
    "SlowStart",
]

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]

# Refills are floating-point sums, so a full token can come out as 0.9999999999999998; the wait for
# the missing sliver can be below the clock's resolution, and the waiter would never get it.
_TOKEN_TOLERANCE: Final = 1e-9


class RateLimiter(Protocol):
    """What the retry loop needs: wait for permission to send, then say how the attempt went.

    Every ``acquire`` is followed by exactly one ``on_response`` (an answer or a transport
    failure came back) or ``on_abandon`` (nothing came back: not sent, or cancelled).
    ``paces`` says whether throttled retries are slowed down here, so they need no retry quota;
    ``free`` whether ``acquire`` would return at once, so a caller may skip awaiting it (what
    keeps a limiter that was never needed from costing anything).
    """

    @property
    def paces(self) -> bool: ...

    @property
    def free(self) -> bool: ...

    async def acquire(self) -> None: ...

    def on_response(self, *, throttled: bool, sent_at: float) -> None:
        """``sent_at`` is when the attempt left, on the limiter's clock (``time.monotonic``)."""

    def on_abandon(self) -> None: ...


class NoRateLimiter:
    """Sends as fast as the caller's concurrency allows."""

    __slots__ = ()

    @property
    def paces(self) -> bool:
        return False

    @property
    def free(self) -> bool:
        return True

    async def acquire(self) -> None:
        return

    def on_response(self, *, throttled: bool, sent_at: float) -> None:
        return

    def on_abandon(self) -> None:
        return


class _TokenBucket:
    """Tokens accrue at ``rate`` per second up to ``capacity``; each request takes one."""

    __slots__ = ("_capacity", "_last_refill", "_lock", "_rate", "_sleep", "_time", "_tokens")

    def __init__(
        self, *, rate: float, capacity: float, tokens: float, time: Clock, sleep: Sleep
    ) -> None:
        self._rate = rate
        self._capacity = capacity
        self._tokens = tokens
        self._time = time
        self._sleep = sleep
        self._last_refill = time()
        self._lock = asyncio.Lock()

    @property
    def rate(self) -> float:
        return self._rate

    def reconfigure(self, *, rate: float, capacity: float, drain: bool = False) -> None:
        """Change the rate; tokens earned so far are credited at the old one, unless drained."""
        self._refill()
        self._rate = rate
        self._capacity = capacity
        self._tokens = 0.0 if drain else min(self._tokens, capacity)

    async def take(self) -> None:
        async with self._lock:
            self._refill()
            while self._tokens < 1 - _TOKEN_TOLERANCE:
                # A rate change during the sleep is picked up on waking: the wait is recomputed.
                await self._sleep((1 - self._tokens) / self._rate)
                self._refill()
            self._tokens -= 1

    def _refill(self) -> None:
        now = self._time()
        elapsed = now - self._last_refill
        self._last_refill = now
        if elapsed > 0:
            self._tokens = min(self._capacity, self._tokens + elapsed * self._rate)


class FixedRateLimiter:
    """At most ``max_rate`` requests a second, for a caller who knows the account's limit.

    ``burst`` requests may go at once after an idle spell; the bucket starts full so the first
    ``burst`` requests are not delayed.
    """

    __slots__ = ("_bucket",)

    def __init__(
        self,
        *,
        max_rate: float,
        burst: int = 1,
        time: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if not max_rate > 0:
            raise ValueError(f"max_rate must be positive, got {max_rate!r}")
        if burst < 1:
            raise ValueError(f"burst must be at least 1, got {burst!r}")
        self._bucket = _TokenBucket(
            rate=max_rate, capacity=burst, tokens=burst, time=time, sleep=sleep
        )

    @property
    def paces(self) -> bool:
        return True

    @property
    def free(self) -> bool:
        return False

    async def acquire(self) -> None:
        await self._bucket.take()

    def on_response(self, *, throttled: bool, sent_at: float) -> None:
        return

    def on_abandon(self) -> None:
        return


class Cubic:
    """The CUBIC window curve, in requests per second instead of a congestion window.

    After a throttle at rate ``w_max`` the rate drops to ``beta * w_max``; ``t`` seconds later it is
    ``C * (t - K)**3 + w_max`` with ``K = cbrt(w_max * (1 - beta) / C)``, so it climbs fast, levels
    off around ``w_max`` (reached at ``t = K``), then probes beyond it.
    """

    SCALE_CONSTANT: Final = 0.4
    BETA: Final = 0.7

    __slots__ = ("_k", "_last_throttle", "_w_max")

    def __init__(self, *, start_time: float) -> None:
        self._w_max = 0.0
        self._k = 0.0
        self._last_throttle = start_time

    def rate_after_success(self, now: float) -> float:
        return self.SCALE_CONSTANT * (now - self._last_throttle - self._k) ** 3 + self._w_max

    def rate_after_throttle(self, rate: float, now: float) -> float:
        self._w_max = rate
        self._k = (rate * (1 - self.BETA) / self.SCALE_CONSTANT) ** (1 / 3)
        self._last_throttle = now
        return rate * self.BETA


class _SendRate:
    """Responses per second, smoothed over half-second windows, as botocore's ``RateClocker``.

    Each closed window moves the estimate 80 % of the way to that window's rate (the responses
    after its first, over its length). Where botocore aligns windows to the wall clock and starts
    the estimate at zero, here a window starts at the first response and the first closed window
    is taken as it is: an aligned window that closes a
    few milliseconds after the first response, or an estimate that starts at zero, reads as a rate
    far below the real one, and CUBIC then needs many seconds to climb back. Before the first
    window closes, the responses so far over the time since the first one (at least
    ``_MIN_SPAN_SECS``) stand in. Erring high is the cheaper mistake: the once-per-round-trip cuts
    correct an estimate that is too high within a few round trips.
    """

    _WINDOW_SECS: Final = 0.5
    _MIN_SPAN_SECS: Final = 0.1
    _SMOOTHING: Final = 0.8

    __slots__ = ("_count", "_measured", "_time", "_window_start")

    def __init__(self, *, time: Clock) -> None:
        self._time = time
        self._window_start: float | None = None
        self._count = 0
        self._measured: float | None = None

    def record(self) -> float:
        now = self._time()
        if self._window_start is None:
            self._window_start = now
            return 1 / self._MIN_SPAN_SECS
        self._count += 1
        elapsed = now - self._window_start
        if elapsed >= self._WINDOW_SECS:
            current = self._count / elapsed
            previous = current if self._measured is None else self._measured
            self._measured = current * self._SMOOTHING + previous * (1 - self._SMOOTHING)
            self._count = 0
            self._window_start = now
        if self._measured is not None:
            return self._measured
        return (self._count + 1) / max(elapsed, self._MIN_SPAN_SECS)


class AdaptiveRateLimiter:
    """Free until the first throttle, then paced at a CUBIC-controlled rate (botocore adaptive).

    With a ``ceiling`` (the caller knows the limit: ``max_rate``) it paces from the first request
    at the ceiling, ``burst`` of them at once at first, never goes above it, and still cuts on a
    throttle, which it meets when the limit is shared with other callers of the same account
    and region.
    """

    _MIN_RATE_PER_SEC: Final = 0.5
    _MAX_GROWTH: Final = 2.0
    _BURST_SECS: Final = 0.1
    """Tokens saved up for at most this long: botocore allows a whole second's worth, and a burst
    that large after a pause is exactly what a server with a small burst allowance throttles."""

    __slots__ = (
        "_bucket",
        "_ceiling",
        "_cubic",
        "_enabled",
        "_last_cut_at",
        "_send_rate",
        "_throttled",
        "_time",
    )

    def __init__(
        self,
        *,
        ceiling: float | None = None,
        burst: int = 1,
        time: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if ceiling is not None and not ceiling > 0:
            raise ValueError(f"ceiling must be positive, got {ceiling!r}")
        self._time = time
        self._ceiling = math.inf if ceiling is None else ceiling
        self._cubic = Cubic(start_time=time())
        self._send_rate = _SendRate(time=time)
        if burst < 1:
            raise ValueError(f"burst must be at least 1, got {burst!r}")
        rate, tokens = (1.0, 0.0) if ceiling is None else (ceiling, float(burst))
        self._bucket = _TokenBucket(
            rate=rate, capacity=max(tokens, 1.0), tokens=tokens, time=time, sleep=sleep
        )
        self._enabled = ceiling is not None
        self._throttled = False
        self._last_cut_at = -math.inf

    @property
    def enabled(self) -> bool:
        """Whether requests are paced: from the first throttle on (from the start under a
        ceiling), for the life of the client."""
        return self._enabled

    @property
    def paces(self) -> bool:
        return True

    @property
    def free(self) -> bool:
        return not self._enabled

    @property
    def rate_per_sec(self) -> float:
        """The pace requests are allowed at once enabled."""
        return self._bucket.rate

    async def acquire(self) -> None:
        if self._enabled:
            await self._bucket.take()

    def on_response(self, *, throttled: bool, sent_at: float) -> None:
        """A throttle cuts the rate once per round trip, as TCP's CUBIC cuts once per window.

        Requests already in flight when the rate was cut were sent at the old rate, so their
        throttles tell nothing new; botocore cuts again for each of them, and a fan-out with many
        requests in flight then collapses to a crawl it takes seconds to climb out of.
        """
        measured = self._send_rate.record()
        if not throttled and not self._throttled:
            return  # CUBIC has nothing to go on yet: only the sending rate needs keeping
        now = self._time()
        if throttled and sent_at < self._last_cut_at:
            return
        if throttled:
            rate_at_failure = min(measured, self._bucket.rate) if self._enabled else measured
            new_rate = self._cubic.rate_after_throttle(rate_at_failure, now)
            self._enabled = self._throttled = True
            self._last_cut_at = now
        else:
            new_rate = self._cubic.rate_after_success(now)
        rate = min(
            max(min(new_rate, self._MAX_GROWTH * measured), self._MIN_RATE_PER_SEC),
            self._ceiling,
        )
        self._bucket.reconfigure(
            rate=rate, capacity=max(rate * self._BURST_SECS, 1.0), drain=throttled
        )

    def on_abandon(self) -> None:
        return


class _Window:
    """At most ``size`` holders at once, handed out in arrival order; ``size`` may grow.

    A waiter is woken with its place already taken, so one cancelled after waking passes the
    place on rather than losing it.
    """

    __slots__ = ("_waiters", "held", "size")

    def __init__(self, size: float) -> None:
        self.size = size
        self.held = 0
        self._waiters: deque[asyncio.Future[None]] = deque()

    async def enter(self) -> None:
        if self.held < self.size and not self._waiters:
            self.held += 1
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.leave()
            elif waiter in self._waiters:
                self._waiters.remove(waiter)
            raise

    def leave(self) -> None:
        self.held -= 1
        self._wake()

    def grow(self, size: float) -> None:
        self.size = size
        self._wake()

    def _wake(self) -> None:
        while self._waiters and self.held < self.size:
            waiter = self._waiters.popleft()
            if not waiter.done():
                self.held += 1
                waiter.set_result(None)


class SlowStart:
    """TCP's slow start in front of a limiter that only knows what throttles tell it.

    Until the first throttle, at most ``initial_window`` requests are in flight, one more after
    each answer that is not a throttle. The first throttle ends slow start and leaves pacing to
    the limiter behind; reaching ``max_window`` (the most the client ever has in flight) ends it
    too, and from then on it costs one attribute check a request.
    """

    INITIAL_WINDOW: Final = 2

    __slots__ = ("_limiter", "_max_window", "_window")

    def __init__(
        self,
        limiter: RateLimiter,
        *,
        max_window: int,
        initial_window: int = INITIAL_WINDOW,
    ) -> None:
        self._limiter = limiter
        self._max_window = max_window
        self._window: _Window | None = (
            _Window(initial_window) if initial_window < max_window else None
        )

    @property
    def paces(self) -> bool:
        return self._limiter.paces

    @property
    def free(self) -> bool:
        return self._window is None and self._limiter.free

    @property
    def window(self) -> float | None:
        """Requests allowed in flight while slow start lasts; ``None`` once it is over."""
        return None if self._window is None else self._window.size

    async def acquire(self) -> None:
        window = self._window
        if window is not None:
            await window.enter()
        await self._limiter.acquire()

    def on_response(self, *, throttled: bool, sent_at: float) -> None:
        window = self._window
        if window is not None:
            window.leave()
            if throttled or window.size + 1 >= self._max_window:
                self._window = None
                window.grow(math.inf)
            else:
                window.grow(window.size + 1)
        self._limiter.on_response(throttled=throttled, sent_at=sent_at)

    def on_abandon(self) -> None:
        if self._window is not None:
            self._window.leave()
        self._limiter.on_abandon()
