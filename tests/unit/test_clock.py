"""The signing clock follows the server's Date header, so a skewed local clock still signs valid requests."""

from __future__ import annotations

from imgperms_async._clock import SkewClock

NOON = 1_795_000_000.0  # an arbitrary epoch second


def clock_at(epoch: float) -> SkewClock:
    return SkewClock(time_source=lambda: epoch)


def http_date(epoch: float) -> str:
    from email.utils import formatdate

    return formatdate(epoch, usegmt=True)


def test_no_observation_means_no_correction() -> None:
    assert clock_at(NOON).time() == NOON


def test_skew_is_server_time_minus_the_exchange_midpoint() -> None:
    clock = clock_at(NOON)
    clock.observe(http_date(NOON + 600), sent_at=NOON - 1, received_at=NOON + 1)
    assert clock.skew_secs == 600
    assert clock.time() == NOON + 600


def test_sub_second_difference_is_ignored() -> None:
    clock = clock_at(NOON)
    clock.observe(http_date(NOON), sent_at=NOON - 0.2, received_at=NOON + 0.6)
    assert clock.skew_secs == 0


def test_unparseable_date_leaves_the_clock_alone() -> None:
    clock = clock_at(NOON)
    clock.observe("not a date", sent_at=NOON, received_at=NOON)
    assert clock.skew_secs == 0


def test_a_repeated_date_header_is_not_parsed_again() -> None:
    clock = clock_at(NOON)
    date = http_date(NOON + 300)
    clock.observe(date, sent_at=NOON, received_at=NOON)
    clock.observe(date, sent_at=NOON + 250, received_at=NOON + 250)
    assert clock.skew_secs == 300
