"""Standard-mode retries: what is retried, how long the client waits, and when it gives up."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from botocore import exceptions as botocore_exceptions
from botocore.parsers import ResponseParserError

from imgperms_async._exceptions import (
    AccessDeniedException,
    ClientError,
    ParamValidationError,
    ThrottlingException,
    error_class_for,
)
from imgperms_async._retry import (
    THROTTLING_ERROR_CODES,
    ErrorKind,
    Retrier,
    RetryQuota,
)
from imgperms_async._stats import Stats

OPERATION = "DescribeWorkspaceImagePermissions"
ENDPOINT = "https://workspaces.us-east-1.amazonaws.com/"

Outcome = dict[str, Any] | BaseException


def client_error(
    code: str,
    *,
    status: int = 400,
    message: str = "failed",
    headers: dict[str, str] | None = None,
) -> ClientError:
    response: Any = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {
            "RequestId": "req-1",
            "HTTPStatusCode": status,
            "HTTPHeaders": headers or {},
            "RetryAttempts": 0,
        },
    }
    return error_class_for(code)(response, OPERATION)


def metadata_of(error: ClientError) -> dict[str, Any]:
    return dict(error.response["ResponseMetadata"])


def ok() -> dict[str, Any]:
    return {
        "ImageId": "wsi-123456789",
        "ImagePermissions": [],
        "ResponseMetadata": {
            "RequestId": "req-2",
            "HTTPStatusCode": 200,
            "HTTPHeaders": {},
            "RetryAttempts": 0,
        },
    }


def throttled() -> ClientError:
    return client_error("ThrottlingException", message="Rate exceeded")


def unavailable() -> ClientError:
    return client_error("ServiceUnavailable", status=503)


class Script:
    """An operation attempt that plays its outcomes in order, repeating the last one."""

    def __init__(self, *outcomes: Outcome) -> None:
        self._outcomes = outcomes
        self.calls = 0

    async def __call__(self) -> dict[str, Any]:
        outcome = self._outcomes[min(self.calls, len(self._outcomes) - 1)]
        self.calls += 1
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome


class RecordingSleep:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, secs: float) -> None:
        self.delays.append(secs)


class RecordingLimiter:
    def __init__(self, *, paces: bool = False) -> None:
        self.acquired = 0
        self.responses: list[bool] = []
        self.abandoned = 0
        self.paces = paces
        self.free = False

    async def acquire(self) -> None:
        self.acquired += 1

    def on_response(self, *, throttled: bool, sent_at: float) -> None:
        self.responses.append(throttled)

    def on_abandon(self) -> None:
        self.abandoned += 1


def retrier(
    *,
    max_attempts: int = 3,
    sleep: RecordingSleep | None = None,
    quota: RetryQuota | None = None,
    limiter: RecordingLimiter | None = None,
    stats: Stats | None = None,
    clock_skew_secs: Callable[[], float] | None = None,
    random: Callable[[], float] = lambda: 0.5,
) -> Retrier:
    return Retrier(
        max_attempts=max_attempts,
        quota=quota,
        limiter=limiter,
        stats=stats,
        clock_skew_secs=clock_skew_secs,
        sleep=sleep or RecordingSleep(),
        random=random,
        time=lambda: 0.0,
    )


# --- success ---


async def test_a_first_time_success_reports_zero_retry_attempts() -> None:
    response = await retrier().call(Script(ok()))

    assert response["ResponseMetadata"]["RetryAttempts"] == 0
    assert response["ImageId"] == "wsi-123456789"


async def test_a_success_after_retries_reports_how_many_retries_were_made() -> None:
    attempt = Script(throttled(), unavailable(), ok())

    response = await retrier().call(attempt)

    assert attempt.calls == 3
    assert response["ResponseMetadata"]["RetryAttempts"] == 2


# --- what is retried ---


@pytest.mark.parametrize("code", sorted(THROTTLING_ERROR_CODES))
async def test_throttling_error_codes_are_retried(code: str) -> None:
    attempt = Script(client_error(code), ok())

    await retrier().call(attempt)

    assert attempt.calls == 2


async def test_http_429_is_a_throttle_whatever_the_error_code() -> None:
    limiter = RecordingLimiter()
    attempt = Script(client_error("SomethingNew", status=429), ok())

    await retrier(limiter=limiter).call(attempt)

    assert attempt.calls == 2
    assert limiter.responses == [True, False]


@pytest.mark.parametrize(
    "code", ["RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete"]
)
async def test_transient_error_codes_are_retried(code: str) -> None:
    attempt = Script(client_error(code), ok())

    await retrier().call(attempt)

    assert attempt.calls == 2


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_server_errors_are_retried(status: int) -> None:
    attempt = Script(client_error("InternalFailure", status=status), ok())

    await retrier().call(attempt)

    assert attempt.calls == 2


@pytest.mark.parametrize(
    "error",
    [
        botocore_exceptions.EndpointConnectionError(endpoint_url=ENDPOINT),
        botocore_exceptions.ConnectionClosedError(endpoint_url=ENDPOINT),
        botocore_exceptions.ConnectTimeoutError(endpoint_url=ENDPOINT),
        botocore_exceptions.ReadTimeoutError(endpoint_url=ENDPOINT),
        botocore_exceptions.HTTPClientError(error="reset by peer"),
    ],
    ids=type,
)
async def test_transport_errors_are_retried(error: Exception) -> None:
    attempt = Script(error, ok())

    await retrier().call(attempt)

    assert attempt.calls == 2


async def test_a_malformed_response_body_is_retried() -> None:
    attempt = Script(ResponseParserError("truncated JSON"), ok())

    await retrier().call(attempt)

    assert attempt.calls == 2


# --- what is not retried ---


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("AccessDeniedException", 400),
        ("ResourceNotFoundException", 400),
        ("InvalidParameterValuesException", 400),
        ("ValidationException", 400),
        ("UnrecognizedClientException", 400),
        ("ExpiredTokenException", 403),
        ("InvalidSignatureException", 403),
    ],
)
async def test_client_errors_are_not_retried(code: str, status: int) -> None:
    attempt = Script(client_error(code, status=status))

    with pytest.raises(ClientError) as caught:
        await retrier().call(attempt)

    assert attempt.calls == 1
    assert type(caught.value) is error_class_for(code)
    assert metadata_of(caught.value)["RetryAttempts"] == 0
    assert "reached max retries" not in str(caught.value)


@pytest.mark.parametrize(
    "error",
    [
        ParamValidationError(report="Invalid ImageId"),
        botocore_exceptions.NoCredentialsError(),
        ValueError("a bug below"),
    ],
    ids=type,
)
async def test_other_errors_are_not_retried_and_are_raised_unchanged(error: Exception) -> None:
    attempt = Script(error)

    with pytest.raises(type(error)) as caught:
        await retrier().call(attempt)

    assert caught.value is error
    assert attempt.calls == 1


# --- clock skew ---


@pytest.mark.parametrize(
    "code",
    [
        "RequestTimeTooSkewed",
        "SignatureDoesNotMatch",
        "AuthFailure",
        "InvalidSignatureException",
    ],
)
@pytest.mark.parametrize("skew_secs", [300.0, -300.0])
async def test_clock_skew_errors_are_retried_when_the_measured_skew_is_large(
    code: str, skew_secs: float
) -> None:
    error = client_error(code, status=403, message="Signature expired: 20240101T000000Z is now")
    attempt = Script(error, ok())

    await retrier(clock_skew_secs=lambda: skew_secs).call(attempt)

    assert attempt.calls == 2


async def test_clock_skew_errors_are_not_retried_when_the_clock_is_close() -> None:
    attempt = Script(client_error("InvalidSignatureException", status=403), ok())

    with pytest.raises(ClientError):
        await retrier(clock_skew_secs=lambda: 239.0).call(attempt)

    assert attempt.calls == 1


async def test_clock_skew_errors_are_not_retried_without_a_skew_measurement() -> None:
    attempt = Script(client_error("RequestTimeTooSkewed", status=403), ok())

    with pytest.raises(ClientError):
        await retrier().call(attempt)

    assert attempt.calls == 1


# --- giving up ---


async def test_gives_up_after_max_attempts_with_botocores_message() -> None:
    attempt = Script(throttled())

    with pytest.raises(ThrottlingException) as caught:
        await retrier(max_attempts=5).call(attempt)

    assert attempt.calls == 5
    assert str(caught.value) == (
        "An error occurred (ThrottlingException) when calling the "
        "DescribeWorkspaceImagePermissions operation (reached max retries: 4): Rate exceeded"
    )
    metadata = metadata_of(caught.value)
    assert metadata["RetryAttempts"] == 4
    assert metadata["MaxAttemptsReached"] is True
    assert metadata["HTTPStatusCode"] == 400
    assert metadata["RequestId"] == "req-1"
    assert caught.value.operation_name == OPERATION


async def test_max_attempts_counts_the_first_attempt() -> None:
    attempt = Script(unavailable())

    with pytest.raises(ClientError):
        await Retrier(max_attempts=3, sleep=RecordingSleep()).call(attempt)

    assert attempt.calls == 3


async def test_one_max_attempt_means_no_retries() -> None:
    attempt = Script(throttled())

    with pytest.raises(ThrottlingException, match=r"reached max retries: 0"):
        await retrier(max_attempts=1).call(attempt)

    assert attempt.calls == 1


def test_max_attempts_below_one_is_rejected() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        Retrier(max_attempts=0)


async def test_a_final_transport_error_is_raised_unchanged() -> None:
    error = botocore_exceptions.EndpointConnectionError(endpoint_url=ENDPOINT)
    attempt = Script(error)

    with pytest.raises(botocore_exceptions.EndpointConnectionError) as caught:
        await retrier().call(attempt)

    assert caught.value is error
    assert attempt.calls == 3


async def test_the_given_up_error_does_not_mutate_the_original_response() -> None:
    error = throttled()

    with pytest.raises(ThrottlingException) as caught:
        await retrier().call(Script(error))

    assert caught.value is not error
    assert "MaxAttemptsReached" not in metadata_of(error)


# --- the retry quota ---


async def test_an_empty_quota_stops_retries_at_once() -> None:
    attempt = Script(unavailable(), ok())

    with pytest.raises(ClientError) as caught:
        await retrier(quota=RetryQuota(capacity=4)).call(attempt)

    assert attempt.calls == 1
    assert metadata_of(caught.value)["RetryQuotaReached"] is True
    assert "reached max retries" not in str(caught.value)


async def test_a_retry_storm_spends_the_quota_then_fails_fast() -> None:
    quota = RetryQuota()  # 500 tokens, 14 a retry after a 5xx: 35 retries with no success
    shared = retrier(quota=quota)
    attempts = []
    for _ in range(25):
        attempt = Script(unavailable())
        with pytest.raises(ClientError):
            await shared.call(attempt)
        attempts.append(attempt.calls)

    assert attempts[:17] == [3] * 17  # two retries each: 17 calls spend 476 tokens
    assert attempts[17] == 2  # 24 tokens pay one more retry, not two
    assert attempts[18:] == [1] * 7  # then no more retries
    assert quota.available == 10


async def test_a_success_without_retries_refills_the_quota_by_one() -> None:
    quota = RetryQuota()
    quota.acquire(ErrorKind.TRANSIENT)

    await retrier(quota=quota).call(Script(ok()))

    assert quota.available == 487


async def test_a_success_after_a_retry_refunds_the_retry_cost() -> None:
    quota = RetryQuota()
    quota.acquire(ErrorKind.TRANSIENT)

    await retrier(quota=quota).call(Script(unavailable(), ok()))

    assert quota.available == 486


async def test_the_quota_never_grows_past_its_capacity() -> None:
    quota = RetryQuota()

    await retrier(quota=quota).call(Script(ok()))

    assert quota.available == 500


async def test_a_throttle_costs_five_tokens_and_any_other_retry_fourteen() -> None:
    quota = RetryQuota()
    timeout = botocore_exceptions.ReadTimeoutError(endpoint_url=ENDPOINT)

    with pytest.raises(ClientError):
        await retrier(quota=quota, max_attempts=2).call(Script(throttled()))
    with pytest.raises(botocore_exceptions.ReadTimeoutError):
        await retrier(quota=quota, max_attempts=2).call(Script(timeout))
    with pytest.raises(ClientError):
        await retrier(quota=quota, max_attempts=2).call(Script(unavailable()))

    assert quota.available == 500 - 5 - 14 - 14


async def test_a_throttle_retried_through_a_pacing_limiter_costs_no_quota() -> None:
    quota = RetryQuota(capacity=4)
    attempt = Script(throttled(), throttled(), ok())

    await retrier(quota=quota, limiter=RecordingLimiter(paces=True)).call(attempt)

    assert attempt.calls == 3
    assert quota.available == 4


async def test_a_pacing_limiter_still_leaves_other_retries_to_the_quota() -> None:
    attempt = Script(unavailable(), ok())

    with pytest.raises(ClientError) as caught:
        await retrier(quota=RetryQuota(capacity=4), limiter=RecordingLimiter(paces=True)).call(
            attempt
        )

    assert attempt.calls == 1
    assert metadata_of(caught.value)["RetryQuotaReached"] is True


# --- backoff ---


async def test_backoff_is_full_jitter_over_doubling_ceilings() -> None:
    sleep = RecordingSleep()

    with pytest.raises(ClientError):
        await retrier(max_attempts=5, sleep=sleep, random=lambda: 0.25).call(Script(throttled()))

    # random() * min(20, 1 * 2**(retry - 1)) for retries 1..4
    assert sleep.delays == [0.25, 0.5, 1.0, 2.0]


async def test_backoff_can_be_anything_from_zero_to_the_ceiling() -> None:
    low, high = RecordingSleep(), RecordingSleep()

    with pytest.raises(ClientError):
        await retrier(max_attempts=4, sleep=low, random=lambda: 0.0).call(Script(throttled()))
    with pytest.raises(ClientError):
        await retrier(max_attempts=4, sleep=high, random=lambda: 0.999).call(Script(throttled()))

    assert low.delays == [0.0, 0.0, 0.0]
    assert high.delays == pytest.approx([0.999, 1.998, 3.996])


async def test_backoff_is_capped_at_twenty_seconds() -> None:
    sleep = RecordingSleep()

    with pytest.raises(ClientError):
        await retrier(max_attempts=9, sleep=sleep, random=lambda: 0.5).call(Script(throttled()))

    assert sleep.delays == [0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0, 10.0]


async def test_x_amz_retry_after_sets_the_delay() -> None:
    sleep = RecordingSleep()
    error = client_error("ThrottlingException", headers={"x-amz-retry-after": "1500"})

    await retrier(sleep=sleep).call(Script(error, ok()))

    assert sleep.delays == [1.5]


async def test_x_amz_retry_after_raises_the_delay_by_at_most_five_seconds() -> None:
    sleep = RecordingSleep()
    error = client_error("ThrottlingException", headers={"x-amz-retry-after": "3600000"})

    await retrier(sleep=sleep).call(Script(error, ok()))

    assert sleep.delays == [0.5 + 5.0]


@pytest.mark.parametrize("value", ["soon", "1.5e3", ""])
async def test_an_unparsable_x_amz_retry_after_falls_back_to_jitter(value: str) -> None:
    sleep = RecordingSleep()
    error = client_error("ThrottlingException", headers={"x-amz-retry-after": value})

    await retrier(sleep=sleep, random=lambda: 0.5).call(Script(error, ok()))

    assert sleep.delays == [0.5]


async def test_an_x_amz_retry_after_below_the_backoff_leaves_the_backoff() -> None:
    sleep = RecordingSleep()
    error = client_error("ThrottlingException", headers={"x-amz-retry-after": "-200"})

    await retrier(sleep=sleep).call(Script(error, ok()))

    assert sleep.delays == [0.5]


async def test_retries_after_other_errors_back_off_from_fifty_milliseconds() -> None:
    sleep = RecordingSleep()

    with pytest.raises(ClientError):
        await retrier(max_attempts=4, sleep=sleep, random=lambda: 1.0).call(Script(unavailable()))

    assert sleep.delays == pytest.approx([0.05, 0.1, 0.2])


# --- cancellation ---


async def test_cancellation_is_not_retried_and_not_slept_on() -> None:
    sleep = RecordingSleep()
    attempt = Script(asyncio.CancelledError(), ok())

    with pytest.raises(asyncio.CancelledError):
        await retrier(sleep=sleep).call(attempt)

    assert attempt.calls == 1
    assert sleep.delays == []


async def test_cancellation_during_backoff_stops_the_retries() -> None:
    attempt = Script(throttled(), ok())

    async def cancelled_sleep(secs: float) -> None:
        raise asyncio.CancelledError

    shared = Retrier(max_attempts=3, sleep=cancelled_sleep, random=lambda: 0.5)
    with pytest.raises(asyncio.CancelledError):
        await shared.call(attempt)

    assert attempt.calls == 1


# --- the limiter and the stats hear about every attempt ---


async def test_the_limiter_is_asked_before_and_told_after_every_attempt() -> None:
    limiter = RecordingLimiter()
    transport = botocore_exceptions.EndpointConnectionError(endpoint_url=ENDPOINT)

    await retrier(limiter=limiter, max_attempts=4).call(Script(throttled(), transport, ok()))

    assert limiter.acquired == 3
    assert limiter.responses == [True, False, False]


async def test_stats_count_requests_retries_and_throttles_by_code() -> None:
    stats = Stats(time=lambda: 0.0)

    await retrier(stats=stats).call(Script(throttled(), unavailable(), ok()))

    snapshot = stats.snapshot()
    assert snapshot.requests == 3
    assert snapshot.retries == 2
    assert snapshot.throttles == {"ThrottlingException": 1}
    assert snapshot.errors == {}


async def test_stats_count_final_failures_by_error_code() -> None:
    stats = Stats(time=lambda: 0.0)
    shared = retrier(stats=stats)

    with pytest.raises(AccessDeniedException):
        await shared.call(Script(client_error("AccessDeniedException")))
    with pytest.raises(botocore_exceptions.ReadTimeoutError):
        await shared.call(Script(botocore_exceptions.ReadTimeoutError(endpoint_url=ENDPOINT)))

    assert stats.snapshot().errors == {"AccessDeniedException": 1, "ReadTimeoutError": 1}


# --- errors no request can get past ---


@pytest.mark.parametrize(
    "code", ["UnrecognizedClientException", "InvalidSignatureException", "ExpiredTokenException"]
)
async def test_a_fatal_error_fails_later_calls_without_a_request(code: str) -> None:
    shared = retrier()
    with pytest.raises(ClientError):
        await shared.call(Script(client_error(code)))
    later = Script(ok())

    with pytest.raises(ClientError) as caught:
        await shared.call(later)

    assert later.calls == 0
    assert caught.value.response["Error"]["Code"] == code


async def test_a_remembered_fatal_error_is_forgotten_when_the_credentials_change() -> None:
    credentials = [object()]
    shared = Retrier(
        max_attempts=1,
        credentials=lambda: credentials[-1],
        sleep=RecordingSleep(),
        time=lambda: 0.0,
    )
    with pytest.raises(ClientError):
        await shared.call(Script(client_error("ExpiredTokenException")))
    credentials.append(object())
    later = Script(ok())

    await shared.call(later)

    assert later.calls == 1


async def test_a_resource_error_is_not_remembered() -> None:
    shared = retrier()
    with pytest.raises(ClientError):
        await shared.call(Script(client_error("AccessDeniedException")))
    later = Script(ok())

    await shared.call(later)

    assert later.calls == 1


async def test_an_untrusted_certificate_is_not_retried_and_is_remembered() -> None:
    shared = retrier(max_attempts=5)
    untrusted = Script(
        botocore_exceptions.SSLError(endpoint_url=ENDPOINT, error=Exception("unverified"))
    )
    with pytest.raises(botocore_exceptions.SSLError):
        await shared.call(untrusted)
    later = Script(ok())

    with pytest.raises(botocore_exceptions.SSLError):
        await shared.call(later)

    assert (untrusted.calls, later.calls) == (1, 0)
