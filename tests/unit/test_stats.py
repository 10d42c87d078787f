"""The client's counters: what they count, how exact the latency percentiles are, and the
audit's totals they add to."""

from __future__ import annotations

import dataclasses

import pytest

from imgperms_async._stats import AuditTotals, Stats

# 16 log-scale buckets per doubling: a reported percentile is at most one bucket above the true one.
BUCKET_PRECISION = 2 ** (1 / 16)


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_fresh_snapshot_is_all_zero() -> None:
    snapshot = Stats(time=FakeTime()).snapshot()

    assert snapshot.requests == 0
    assert snapshot.retries == 0
    assert snapshot.throttles == {}
    assert snapshot.errors == {}
    assert snapshot.latency_p50_secs == 0.0
    assert snapshot.latency_max_secs == 0.0
    assert snapshot.requests_per_sec == 0.0


def test_counts_requests_retries_throttles_and_errors_by_code() -> None:
    stats = Stats(time=FakeTime())
    for _ in range(5):
        stats.record_request(0.01)
    stats.record_retry()
    stats.record_retry()
    stats.record_throttle("ThrottlingException")
    stats.record_throttle("ThrottlingException")
    stats.record_throttle("TooManyRequestsException")
    stats.record_error("AccessDeniedException")

    snapshot = stats.snapshot()

    assert snapshot.requests == 5
    assert snapshot.retries == 2
    assert snapshot.throttles == {"ThrottlingException": 2, "TooManyRequestsException": 1}
    assert snapshot.errors == {"AccessDeniedException": 1}


def test_requests_per_sec_is_requests_over_elapsed_time() -> None:
    clock = FakeTime()
    stats = Stats(time=clock)
    for _ in range(50):
        stats.record_request(0.01)
    clock.now += 2.0

    snapshot = stats.snapshot()

    assert snapshot.elapsed_secs == 2.0
    assert snapshot.requests_per_sec == 25.0


def test_snapshot_is_frozen_and_detached_from_later_records() -> None:
    stats = Stats(time=FakeTime())
    stats.record_throttle("Throttling")
    snapshot = stats.snapshot()

    stats.record_throttle("Throttling")

    assert snapshot.throttles == {"Throttling": 1}
    with pytest.raises(dataclasses.FrozenInstanceError):
        snapshot.requests = 3  # type: ignore[misc]


def test_percentiles_are_within_one_bucket_of_the_true_values() -> None:
    stats = Stats(time=FakeTime())
    latencies = [ms / 1000 for ms in range(1, 1001)]
    for latency in latencies:
        stats.record_request(latency)

    snapshot = stats.snapshot()

    for reported, true in [
        (snapshot.latency_p50_secs, 0.500),
        (snapshot.latency_p90_secs, 0.900),
        (snapshot.latency_p99_secs, 0.990),
    ]:
        assert true <= reported <= true * BUCKET_PRECISION
    assert snapshot.latency_max_secs == 1.0


def test_percentiles_never_exceed_the_largest_latency_seen() -> None:
    stats = Stats(time=FakeTime())
    stats.record_request(0.0123)

    snapshot = stats.snapshot()

    assert snapshot.latency_p50_secs == snapshot.latency_p99_secs == 0.0123


def test_latencies_outside_the_histogram_range_are_still_counted() -> None:
    stats = Stats(time=FakeTime())
    stats.record_request(0.0)
    stats.record_request(10_000.0)

    snapshot = stats.snapshot()

    assert snapshot.requests == 2
    assert snapshot.latency_p50_secs < 0.001
    assert snapshot.latency_max_secs == 10_000.0
    assert snapshot.latency_p99_secs == 10_000.0


def test_each_request_retry_and_throttle_adds_to_the_totals_as_it_is_recorded() -> None:
    totals = AuditTotals(requests=10, retries=1, throttles=2)
    stats = Stats(time=FakeTime(), totals=totals)

    stats.record_request(0.01)
    stats.record_retry()
    stats.record_throttle("ThrottlingException")
    stats.record_error("ThrottlingException")

    assert totals == AuditTotals(requests=11, retries=2, throttles=3)
