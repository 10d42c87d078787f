"""Client-side rate limiting, run on virtual time: nothing here really sleeps."""

from __future__ import annotations

import asyncio

import pytest
from fakes import FakeClock, settle

from imgperms_async._ratelimit import (
    AdaptiveRateLimiter,
    Cubic,
    FixedRateLimiter,
    NoRateLimiter,
    RateLimiter,
    SlowStart,
)


async def never_sleep(secs: float) -> None:
    raise AssertionError(f"slept {secs} s")


def acquire_in_background(limiter: RateLimiter, log: list[str], name: str) -> asyncio.Task[None]:
    async def acquire() -> None:
        await limiter.acquire()
        log.append(name)

    return asyncio.create_task(acquire())


def feed_steady_responses(limiter: AdaptiveRateLimiter, clock: FakeClock, *, ticks: range) -> None:
    """One successful response every tenth of a second, at t = tick / 10."""
    for tick in ticks:
        clock.now = tick / 10
        limiter.on_response(throttled=False, sent_at=clock.now)


# --- the no-op limiter ---


def test_no_rate_limiter_never_waits_even_after_throttles() -> None:
    limiter: RateLimiter = NoRateLimiter()
    for _ in range(100):
        limiter.on_response(throttled=True, sent_at=0.0)

    acquiring = limiter.acquire()
    with pytest.raises(StopIteration):
        acquiring.send(None)  # finishes on its first step: it never suspends


# --- the fixed limiter ---


async def test_fixed_limiter_holds_its_rate_over_a_simulated_second() -> None:
    clock = FakeClock()
    limiter = FixedRateLimiter(max_rate=10, time=clock, sleep=clock.sleep)
    log: list[str] = []
    tasks = [acquire_in_background(limiter, log, str(i)) for i in range(30)]

    await clock.advance(0.0)
    assert len(log) == 1  # the burst of one goes at once
    await clock.advance(1.0)
    assert len(log) == 11  # then one every tenth of a second
    await clock.advance(1.0)
    assert len(log) == 21

    await clock.advance(1.0)
    await asyncio.gather(*tasks)


async def test_fixed_limiter_lets_a_burst_through_after_an_idle_spell() -> None:
    clock = FakeClock()
    limiter = FixedRateLimiter(max_rate=10, burst=5, time=clock, sleep=clock.sleep)
    log: list[str] = []
    tasks = [acquire_in_background(limiter, log, str(i)) for i in range(8)]

    await clock.advance(0.0)
    assert len(log) == 5
    await clock.advance(0.3)
    assert len(log) == 8

    await asyncio.gather(*tasks)


def test_fixed_limiter_rejects_a_rate_that_is_not_positive() -> None:
    with pytest.raises(ValueError, match="max_rate"):
        FixedRateLimiter(max_rate=0)


async def test_waiters_are_served_in_arrival_order() -> None:
    clock = FakeClock()
    limiter = FixedRateLimiter(max_rate=1, time=clock, sleep=clock.sleep)
    await limiter.acquire()
    log: list[str] = []
    tasks = [acquire_in_background(limiter, log, name) for name in "abcd"]
    await clock.advance(0.0)

    await clock.advance(1.0)
    late = acquire_in_background(limiter, log, "late")
    await clock.advance(3.0)

    assert log == ["a", "b", "c", "d"]
    await clock.advance(1.0)
    assert log == ["a", "b", "c", "d", "late"]
    await asyncio.gather(*tasks, late)


async def test_a_cancelled_queued_waiter_leaves_its_token_to_the_next_one() -> None:
    clock = FakeClock()
    limiter = FixedRateLimiter(max_rate=1, time=clock, sleep=clock.sleep)
    await limiter.acquire()
    log: list[str] = []
    first = acquire_in_background(limiter, log, "first")
    cancelled = acquire_in_background(limiter, log, "cancelled")
    last = acquire_in_background(limiter, log, "last")
    await clock.advance(0.5)

    cancelled.cancel()
    await clock.advance(0.5)
    assert log == ["first"]
    await clock.advance(1.0)
    assert log == ["first", "last"]  # at t=2, not t=3: no token lost

    await asyncio.gather(first, last)
    newcomer = acquire_in_background(limiter, log, "newcomer")
    await clock.advance(0.9)
    assert log == ["first", "last"]  # no spare token leaked either
    await clock.advance(0.1)
    assert log == ["first", "last", "newcomer"]
    await newcomer


async def test_a_cancelled_waiter_at_the_head_of_the_queue_leaves_its_token_to_the_next() -> None:
    clock = FakeClock()
    limiter = FixedRateLimiter(max_rate=1, time=clock, sleep=clock.sleep)
    await limiter.acquire()
    log: list[str] = []
    head = acquire_in_background(limiter, log, "head")
    second = acquire_in_background(limiter, log, "second")
    await clock.advance(0.5)

    head.cancel()
    await clock.advance(0.5)

    assert log == ["second"]
    assert head.cancelled()
    await second


# --- CUBIC ---


def test_cubic_cuts_the_rate_to_seventy_percent_on_a_throttle() -> None:
    cubic = Cubic(start_time=0.0)

    assert cubic.rate_after_throttle(10.0, now=0.0) == pytest.approx(7.0)  # beta * w_max


def test_cubic_regrows_along_the_cubic_curve_through_the_rate_that_failed() -> None:
    cubic = Cubic(start_time=0.0)
    cubic.rate_after_throttle(10.0, now=100.0)
    # K = cbrt(w_max * (1 - beta) / C) = cbrt(10 * 0.3 / 0.4) = cbrt(7.5) ~= 1.9574 s
    k = (10 * 0.3 / 0.4) ** (1 / 3)

    # W(t) = C * (t - K)**3 + w_max
    assert cubic.rate_after_success(100.0) == pytest.approx(7.0)  # 0.4 * (-7.5) + 10
    assert cubic.rate_after_success(101.0) == pytest.approx(0.4 * (1 - k) ** 3 + 10)  # ~9.649
    assert cubic.rate_after_success(100.0 + k) == pytest.approx(10.0)  # plateau at w_max
    assert cubic.rate_after_success(104.0) == pytest.approx(0.4 * (4 - k) ** 3 + 10)  # ~13.409
    assert cubic.rate_after_success(101.0) == pytest.approx(9.64893600966)


# --- the adaptive limiter ---


async def test_adaptive_limiter_is_off_until_the_first_throttle() -> None:
    clock = FakeClock()
    limiter = AdaptiveRateLimiter(time=clock, sleep=never_sleep)

    for tick in range(1, 1000):
        clock.now = tick / 1000
        await limiter.acquire()
        limiter.on_response(throttled=False, sent_at=clock.now)

    assert not limiter.enabled


async def test_first_throttle_paces_at_seventy_percent_of_the_measured_sending_rate() -> None:
    clock = FakeClock()
    limiter = AdaptiveRateLimiter(time=clock, sleep=clock.sleep)
    feed_steady_responses(limiter, clock, ticks=range(1, 21))
    # Ten responses a second: every closed half-second window measured 10, so the estimate is 10.
    measured = 10.0

    clock.now = 2.1
    limiter.on_response(throttled=True, sent_at=clock.now)

    assert limiter.enabled
    assert limiter.rate_per_sec == pytest.approx(0.7 * measured)


async def test_adaptive_rate_recovers_along_the_cubic_curve_after_a_throttle() -> None:
    clock = FakeClock()
    limiter = AdaptiveRateLimiter(time=clock, sleep=clock.sleep)
    feed_steady_responses(limiter, clock, ticks=range(1, 21))
    w_max = 10.0
    clock.now = 2.1
    limiter.on_response(throttled=True, sent_at=clock.now)
    k = (w_max * 0.3 / 0.4) ** (1 / 3)  # ~1.956 s to climb back to w_max

    feed_steady_responses(limiter, clock, ticks=range(22, 32))
    assert limiter.rate_per_sec == pytest.approx(0.4 * (1.0 - k) ** 3 + w_max)  # t = 1 s: ~9.63
    assert limiter.rate_per_sec < w_max

    feed_steady_responses(limiter, clock, ticks=range(32, 52))
    assert limiter.rate_per_sec == pytest.approx(0.4 * (3.0 - k) ** 3 + w_max)  # t = 3 s: ~10.44
    assert limiter.rate_per_sec > w_max


async def test_adaptive_rate_never_exceeds_twice_the_measured_rate() -> None:
    clock = FakeClock()
    limiter = AdaptiveRateLimiter(time=clock, sleep=clock.sleep)
    feed_steady_responses(limiter, clock, ticks=range(1, 21))
    clock.now = 2.1
    limiter.on_response(throttled=True, sent_at=clock.now)

    feed_steady_responses(limiter, clock, ticks=range(22, 200))

    # CUBIC alone would be at 0.4 * (17.8 - 1.96)**3 + 10 ~= 1600 by now.
    assert limiter.rate_per_sec == pytest.approx(2 * 10, rel=1e-3)


async def test_under_a_ceiling_requests_are_paced_at_it_from_the_first() -> None:
    clock = FakeClock()
    limiter = AdaptiveRateLimiter(ceiling=2.0, time=clock, sleep=clock.sleep)
    log: list[str] = []
    tasks = [acquire_in_background(limiter, log, str(i)) for i in range(5)]

    await settle()
    assert log == ["0"]
    await clock.advance(1.0)

    assert log == ["0", "1", "2"]
    for task in tasks:
        task.cancel()


async def test_under_a_ceiling_a_burst_goes_at_once_then_the_pace_applies() -> None:
    clock = FakeClock()
    limiter = AdaptiveRateLimiter(ceiling=2.0, burst=4, time=clock, sleep=clock.sleep)
    log: list[str] = []
    tasks = [acquire_in_background(limiter, log, str(i)) for i in range(8)]

    await settle()
    assert len(log) == 4
    await clock.advance(1.0)

    assert len(log) == 6
    for task in tasks:
        task.cancel()


async def test_successes_never_lift_the_rate_above_the_ceiling() -> None:
    clock = FakeClock()
    limiter = AdaptiveRateLimiter(ceiling=2.0, time=clock, sleep=clock.sleep)

    feed_steady_responses(limiter, clock, ticks=range(1, 200))

    assert limiter.rate_per_sec == 2.0


async def test_under_a_ceiling_a_throttle_still_cuts_and_the_rate_regrows_only_to_it() -> None:
    clock = FakeClock()
    limiter = AdaptiveRateLimiter(ceiling=2.0, time=clock, sleep=clock.sleep)
    feed_steady_responses(limiter, clock, ticks=range(1, 21))
    clock.now = 2.1
    limiter.on_response(throttled=True, sent_at=clock.now)
    cut = limiter.rate_per_sec

    feed_steady_responses(limiter, clock, ticks=range(22, 400))

    assert cut == pytest.approx(0.7 * 2.0)
    assert limiter.rate_per_sec == 2.0


async def test_a_throttle_of_a_request_sent_after_the_last_cut_cuts_again() -> None:
    clock = FakeClock()
    limiter = AdaptiveRateLimiter(time=clock, sleep=clock.sleep)
    feed_steady_responses(limiter, clock, ticks=range(1, 21))
    clock.now = 2.1
    limiter.on_response(throttled=True, sent_at=2.09)
    first_cut = limiter.rate_per_sec

    clock.now = 2.15
    limiter.on_response(throttled=True, sent_at=2.12)

    # The second failure happened at the paced rate, below the measured one.
    assert limiter.rate_per_sec == pytest.approx(0.7 * first_cut)


async def test_throttles_of_requests_in_flight_at_the_cut_do_not_cut_again() -> None:
    clock = FakeClock()
    limiter = AdaptiveRateLimiter(time=clock, sleep=clock.sleep)
    feed_steady_responses(limiter, clock, ticks=range(1, 21))
    clock.now = 2.1
    limiter.on_response(throttled=True, sent_at=2.09)
    first_cut = limiter.rate_per_sec

    for echo in range(10):
        clock.now = 2.11 + echo / 1000
        limiter.on_response(throttled=True, sent_at=2.095)

    assert limiter.rate_per_sec == pytest.approx(first_cut)


async def test_rate_never_drops_below_the_floor() -> None:
    clock = FakeClock()
    limiter = AdaptiveRateLimiter(time=clock, sleep=clock.sleep)

    for tick in range(1, 50):
        clock.now = tick / 100
        limiter.on_response(throttled=True, sent_at=clock.now)  # each sent after the last cut

    assert limiter.rate_per_sec == 0.5


async def test_a_throttle_before_the_first_measurement_window_closes_uses_the_rate_so_far() -> None:
    clock = FakeClock(start=0.01)
    limiter = AdaptiveRateLimiter(time=clock, sleep=clock.sleep)
    for tick in range(1, 20):
        clock.now = tick / 100
        limiter.on_response(throttled=False, sent_at=clock.now)

    clock.now = 0.2
    limiter.on_response(throttled=True, sent_at=clock.now)

    # 20 responses in the 0.19 s since the first: about 105 a second.
    assert limiter.rate_per_sec == pytest.approx(0.7 * 20 / 0.19)


async def test_a_throttle_on_the_very_first_responses_assumes_a_short_span() -> None:
    clock = FakeClock(start=0.01)
    limiter = AdaptiveRateLimiter(time=clock, sleep=clock.sleep)
    limiter.on_response(throttled=False, sent_at=0.0)
    clock.now = 0.011
    limiter.on_response(throttled=True, sent_at=0.0)

    # Two responses a millisecond apart are read over 0.1 s, not as 2 000 a second.
    assert limiter.rate_per_sec == pytest.approx(0.7 * 2 / 0.1)


async def test_once_throttled_the_adaptive_limiter_paces_requests() -> None:
    clock = FakeClock()
    limiter = AdaptiveRateLimiter(time=clock, sleep=clock.sleep)
    feed_steady_responses(limiter, clock, ticks=range(1, 21))
    clock.now = 2.1
    limiter.on_response(throttled=True, sent_at=clock.now)
    rate = limiter.rate_per_sec  # 7 a second
    log: list[str] = []
    tasks = [acquire_in_background(limiter, log, str(i)) for i in range(40)]

    await clock.advance(0.0)
    burst = len(log)
    await clock.advance(2.0)

    assert burst == 0, "a throttle drops the tokens saved up at the old rate"
    assert len(log) == pytest.approx(2 * rate, abs=1)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def test_after_a_pause_at_most_a_tenth_of_a_second_of_requests_go_at_once() -> None:
    clock = FakeClock()
    limiter = AdaptiveRateLimiter(time=clock, sleep=clock.sleep)
    for tick in range(1, 201):  # 100 responses a second for two seconds
        clock.now = tick / 100
        limiter.on_response(throttled=False, sent_at=clock.now)
    clock.now = 2.001
    limiter.on_response(throttled=True, sent_at=clock.now)  # paced at 70 a second from here
    clock.now = 12.0  # a long pause
    log: list[str] = []
    tasks = [acquire_in_background(limiter, log, str(i)) for i in range(40)]

    await clock.advance(0.0)

    assert len(log) == pytest.approx(0.1 * limiter.rate_per_sec, abs=1)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


# --- slow start ---


class CountingLimiter:
    """The limiter behind slow start: counts what it is told and never waits."""

    def __init__(self) -> None:
        self.responses: list[bool] = []
        self.abandoned = 0

    @property
    def paces(self) -> bool:
        return True

    @property
    def free(self) -> bool:
        return True

    async def acquire(self) -> None:
        return

    def on_response(self, *, throttled: bool, sent_at: float) -> None:
        self.responses.append(throttled)

    def on_abandon(self) -> None:
        self.abandoned += 1


def start_acquiring(limiter: SlowStart, count: int, log: list[int]) -> list[asyncio.Task[None]]:
    async def acquire(n: int) -> None:
        await limiter.acquire()
        log.append(n)

    return [asyncio.create_task(acquire(n)) for n in range(count)]


async def cancel_all(tasks: list[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def test_slow_start_lets_only_the_initial_window_go_at_first() -> None:
    limiter = SlowStart(CountingLimiter(), max_window=64, initial_window=2)
    sent: list[int] = []
    tasks = start_acquiring(limiter, 10, sent)

    await settle()

    assert sent == [0, 1]
    await cancel_all(tasks)


async def test_each_answer_frees_its_place_and_adds_one() -> None:
    limiter = SlowStart(CountingLimiter(), max_window=64, initial_window=2)
    sent: list[int] = []
    tasks = start_acquiring(limiter, 10, sent)
    await settle()

    limiter.on_response(throttled=False, sent_at=0.0)
    await settle()

    assert sent == [0, 1, 2, 3]
    assert limiter.window == 3
    await cancel_all(tasks)


async def test_the_window_doubles_each_round_trip() -> None:
    limiter = SlowStart(CountingLimiter(), max_window=1024, initial_window=2)
    for _ in range(4):  # one round trip: every request in flight is answered
        size = int(limiter.window or 0)
        for _ in range(size):
            await limiter.acquire()
        for _ in range(size):
            limiter.on_response(throttled=False, sent_at=0.0)
    assert limiter.window == 32


async def test_a_throttle_ends_slow_start_and_lets_the_waiters_through() -> None:
    behind = CountingLimiter()
    limiter = SlowStart(behind, max_window=64, initial_window=2)
    sent: list[int] = []
    tasks = start_acquiring(limiter, 10, sent)
    await settle()

    limiter.on_response(throttled=True, sent_at=0.0)
    await settle()

    assert limiter.window is None
    assert sorted(sent) == list(range(10))
    assert behind.responses == [True]
    await cancel_all(tasks)


async def test_slow_start_ends_when_the_window_reaches_the_clients_concurrency() -> None:
    limiter = SlowStart(CountingLimiter(), max_window=4, initial_window=2)
    for _ in range(2):
        await limiter.acquire()
        limiter.on_response(throttled=False, sent_at=0.0)

    assert limiter.window is None


async def test_an_abandoned_attempt_frees_its_place_without_growing_the_window() -> None:
    behind = CountingLimiter()
    limiter = SlowStart(behind, max_window=64, initial_window=1)
    sent: list[int] = []
    tasks = start_acquiring(limiter, 3, sent)
    await settle()

    limiter.on_abandon()
    await settle()

    assert sent == [0, 1]
    assert limiter.window == 1
    assert behind.abandoned == 1
    await cancel_all(tasks)


async def test_a_waiter_cancelled_after_being_let_in_passes_its_place_on() -> None:
    limiter = SlowStart(CountingLimiter(), max_window=64, initial_window=1)
    await limiter.acquire()
    sent: list[int] = []
    first, second = start_acquiring(limiter, 2, sent)
    await settle()

    limiter.on_abandon()  # lets `first` in ...
    first.cancel()  # ... but it is cancelled before it runs
    await settle()

    assert sent == [1]
    await cancel_all([first, second])
