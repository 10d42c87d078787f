"""The one fake clock of the suite: time moves only when a test moves it, and nothing really sleeps."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from datetime import UTC, datetime


async def settle() -> None:
    """Let every task that can run, run (lock hand-offs take a few loop turns)."""
    for _ in range(20):
        await asyncio.sleep(0)


class FakeClock:
    """A clock (seconds, as ``time.monotonic`` or ``time.time``) and a ``sleep`` on it.

    Sleepers wake in deadline order, each with the clock set to its own deadline, as a real event
    loop would wake them. Deadlines within a nanosecond of the target count as reached, so that
    ten sleeps of 0.1 s fit in one second despite floating-point rounding.
    """

    def __init__(self, start: float = 0.0) -> None:
        self.now = start
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def __call__(self) -> float:
        return self.now

    def datetime(self) -> datetime:
        """The same moment as an aware UTC datetime, for botocore's credential clocks."""
        return datetime.fromtimestamp(self.now, UTC)

    async def sleep(self, secs: float) -> None:
        future = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + max(secs, 0.0), next(self._order), future))
        await future

    async def advance(self, secs: float) -> None:
        target = self.now + secs
        await settle()
        while self._sleepers and self._sleepers[0][0] <= target + 1e-9:
            deadline, _, future = heapq.heappop(self._sleepers)
            if future.done():
                continue
            self.now = max(self.now, deadline)
            future.set_result(None)
            await settle()
        self.now = max(self.now, target)
        await settle()
