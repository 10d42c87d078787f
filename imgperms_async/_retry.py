"""Retries: which failures to try again, how long to wait, and when to stop.

The policy is botocore's standard mode as botocore 1.44 has it (the cross-SDK retry update of
2026, ``retries/standard.py``; aws-sdk-go-v2 ``aws/retry`` has the same): throttles, 5xx answers,
transient error codes and transport failures are retried with full-jitter exponential backoff
(1 s base for throttles, 50 ms for the rest, capped at 20 s), up to ``max_attempts`` attempts in
all; ``x-amz-retry-after`` raises a delay by at most 5 s. A retry quota shared by every request of
a client stops a retry storm: each retry spends tokens (5 after a throttle, 14 after anything
else), each success earns some back, and with the quota spent a failure is final at once. The
loop is written out here rather than hooked into an event system, so reading ``Retrier.call``
tells the policy.

Where this departs from botocore, and why:

- A throttle retried through a rate limiter (adaptive mode, or ``max_rate``) spends no quota. The
  quota guards a failing service against a retry storm; a throttled retry paced by the limiter
  cannot storm, and spending quota on throttles let the opening burst of a wide fan-out drain it,
  so images were lost to ``RetryQuotaReached`` on a service that was only asking for patience.
- A malformed response body is retried (a body truncated by a dropped connection or a proxy is
  transient), and clock-skew answers are retried when the client has measured its clock as more
  than four minutes off, since the next attempt is signed with the corrected time.
- An answer that no request can get past (the access key is unknown, the signature is rejected,
  the token has expired, the server's certificate is not trusted) is remembered: the client's
  later calls fail at once with the same error, without a request, until its credentials
  change. A bulk audit with a wrong secret then makes one doomed request, not thousands.
  A certificate verification failure is never retried (botocore retries it as a connection error).
"""

from __future__ import annotations

import asyncio
import copy
import enum
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any, Final

from botocore import exceptions as _botocore
from botocore import parsers as _parsers

from imgperms_async._exceptions import error_code
from imgperms_async._ratelimit import NoRateLimiter, RateLimiter
from imgperms_async._stats import Stats

__all__ = [
    "CLOCK_SKEW_ERROR_CODES",
    "FATAL_ERROR_CODES",
    "THROTTLING_ERROR_CODES",
    "TRANSIENT_ERROR_CODES",
    "TRANSIENT_STATUS_CODES",
    "ErrorKind",
    "Retrier",
    "RetryQuota",
    "classify",
    "is_fatal",
]

THROTTLING_ERROR_CODES: Final = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "LimitExceededException",
        "RequestThrottled",
        "SlowDown",
        "PriorRequestNotComplete",
        "EC2ThrottledException",
    }
)
TRANSIENT_ERROR_CODES: Final = frozenset(
    {"RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete"}
)
TRANSIENT_STATUS_CODES: Final = frozenset({500, 502, 503, 504})
CLOCK_SKEW_ERROR_CODES: Final = frozenset(
    {"RequestTimeTooSkewed", "SignatureDoesNotMatch", "AuthFailure", "InvalidSignatureException"}
)
FATAL_ERROR_CODES: Final = frozenset(
    {
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "InvalidAccessKeyId",
        "InvalidSignatureException",
        "SignatureDoesNotMatch",
        "IncompleteSignatureException",
        "IncompleteSignature",
        "MissingAuthenticationTokenException",
        "MissingAuthenticationToken",
        "ExpiredTokenException",
        "ExpiredToken",
        "AuthFailure",
    }
)
"""Answers about the request's credentials or signature, not about the resource: no other
request signed the same way can succeed."""

_THROTTLING_STATUS: Final = 429
# SigV4 signatures stay valid for five minutes; past four, a skewed clock is the likely cause.
_MAX_CLOCK_SKEW_SECS: Final = 240.0
_RETRY_AFTER_HEADER: Final = "x-amz-retry-after"
_RETRY_AFTER_MAX_ADDITIONAL_SECS: Final = 5.0

# Failures that happen before anything is sent: not requests, not the limiter's business.
_NOT_SENT: Final = (_botocore.ParamValidationError, _botocore.NoCredentialsError)


class ErrorKind(enum.Enum):
    """Why another attempt may succeed: the kind sets the backoff, the quota cost and the limiter
    signal."""

    THROTTLING = "throttling"
    TRANSIENT = "transient"
    CLOCK_SKEW = "clock_skew"


def classify(
    error: BaseException, *, clock_skew_secs: Callable[[], float] | None = None
) -> ErrorKind | None:
    """The kind of a retryable failure, or ``None`` for one that another attempt would not fix."""
    if isinstance(error, _botocore.ClientError):
        code = error.response.get("Error", {}).get("Code", "")
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code in THROTTLING_ERROR_CODES or status == _THROTTLING_STATUS:
            return ErrorKind.THROTTLING
        if code in TRANSIENT_ERROR_CODES or status in TRANSIENT_STATUS_CODES:
            return ErrorKind.TRANSIENT
        if (
            code in CLOCK_SKEW_ERROR_CODES
            and clock_skew_secs is not None
            and abs(clock_skew_secs()) > _MAX_CLOCK_SKEW_SECS
        ):
            return ErrorKind.CLOCK_SKEW
        return None
    if isinstance(error, _botocore.SSLError):
        return None
    if isinstance(error, _botocore.HTTPClientError | _botocore.ConnectionError):
        return ErrorKind.TRANSIENT
    if isinstance(error, _parsers.ResponseParserError):
        return ErrorKind.TRANSIENT
    return None


def is_fatal(error: BaseException) -> bool:
    """A final error that every other request of the client would meet too."""
    if isinstance(error, _botocore.ClientError):
        return error.response.get("Error", {}).get("Code", "") in FATAL_ERROR_CODES
    return isinstance(error, _botocore.SSLError)


class RetryQuota:
    """The token bucket that bounds retries across a whole client (botocore's ``RetryQuota``).

    While the service is healthy, successes keep it full; during an outage each retry spends
    ``RETRY_COST`` (``THROTTLING_RETRY_COST`` after a throttle) and after about 35 retries with
    no success the client stops retrying and fails fast.
    """

    RETRY_COST: Final = 14
    THROTTLING_RETRY_COST: Final = 5
    NO_RETRY_INCREMENT: Final = 1

    __slots__ = ("_available", "_capacity")

    def __init__(self, *, capacity: int = 500) -> None:
        self._capacity = capacity
        self._available = capacity

    @property
    def available(self) -> int:
        return self._available

    def acquire(self, kind: ErrorKind) -> int | None:
        """Spend what one retry after this kind of failure costs; ``None`` if too little is left."""
        cost = self.THROTTLING_RETRY_COST if kind is ErrorKind.THROTTLING else self.RETRY_COST
        if cost > self._available:
            return None
        self._available -= cost
        return cost

    def release(self, amount: int) -> None:
        self._available = min(self._capacity, self._available + amount)


class Retrier:
    """Runs one operation's attempts through the limiter, the retry policy and the stats.

    One instance serves every request of a client: the quota, limiter and stats it holds are the
    client's, shared on purpose. ``max_attempts`` counts the first attempt, as botocore's does.
    ``credentials`` returns the credentials in use (any object compared by identity): a fatal
    error stops being remembered once they change.
    """

    THROTTLING_BASE_DELAY_SECS: Final = 1.0
    TRANSIENT_BASE_DELAY_SECS: Final = 0.05

    __slots__ = (
        "_clock_skew_secs",
        "_credentials",
        "_fatal",
        "_limiter",
        "_max_attempts",
        "_max_backoff_secs",
        "_quota",
        "_random",
        "_sleep",
        "_stats",
        "_time",
    )

    def __init__(
        self,
        *,
        max_attempts: int,
        max_backoff_secs: float = 20.0,
        quota: RetryQuota | None = None,
        limiter: RateLimiter | None = None,
        stats: Stats | None = None,
        clock_skew_secs: Callable[[], float] | None = None,
        credentials: Callable[[], object] = lambda: None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        random: Callable[[], float] = random.random,
        time: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {max_attempts!r}")
        self._max_attempts = max_attempts
        self._max_backoff_secs = max_backoff_secs
        self._quota = quota if quota is not None else RetryQuota()
        self._limiter: RateLimiter = limiter if limiter is not None else NoRateLimiter()
        self._stats = stats if stats is not None else Stats(time=time)
        self._clock_skew_secs = clock_skew_secs
        self._credentials = credentials
        self._fatal: tuple[Exception, object] | None = None
        self._sleep = sleep
        self._random = random
        self._time = time

    async def call(
        self, attempt: Callable[..., Awaitable[dict[str, Any]]], *args: Any
    ) -> dict[str, Any]:
        """The response of the first ``attempt(*args)`` that succeeds, with ``RetryAttempts`` set.

        A final ``ClientError`` is re-raised as the same class with ``RetryAttempts`` (and
        ``MaxAttemptsReached`` when the attempts ran out) in its metadata, so its message reads
        as botocore's does; any other final error is re-raised unchanged.
        """
        retries = 0
        retry_cost: int | None = None
        limiter = self._limiter
        while True:
            if not limiter.free:
                await limiter.acquire()
            if self._fatal is not None and (remembered := self._remembered()) is not None:
                self._limiter.on_abandon()
                raise remembered
            started = self._time()
            try:
                response = await attempt(*args)
            except _NOT_SENT as error:
                self._limiter.on_abandon()
                self._stats.record_error(error_code(error))
                raise
            except Exception as error:
                kind = classify(error, clock_skew_secs=self._clock_skew_secs)
                self._record_attempt(started, error, throttled=kind is ErrorKind.THROTTLING)
                give_up: dict[str, bool] | None = None
                if kind is None:
                    give_up = {}
                elif retries + 1 >= self._max_attempts:
                    give_up = {"MaxAttemptsReached": True}
                elif kind is ErrorKind.THROTTLING and self._limiter.paces:
                    retry_cost = None
                else:
                    retry_cost = self._quota.acquire(kind)
                    if retry_cost is None:
                        give_up = {"RetryQuotaReached": True}
                if give_up is not None:
                    raise self._give_up(error, {"RetryAttempts": retries, **give_up}) from (
                        error.__cause__
                    )
                delay_secs = self._delay_secs(
                    retries + 1, error, throttled=kind is ErrorKind.THROTTLING
                )
            except BaseException:
                self._limiter.on_abandon()
                raise
            else:
                self._record_attempt(started, None, throttled=False)
                self._quota.release(
                    retry_cost if retry_cost is not None else RetryQuota.NO_RETRY_INCREMENT
                )
                response.setdefault("ResponseMetadata", {})["RetryAttempts"] = retries
                return response
            await self._sleep(delay_secs)
            retries += 1
            self._stats.record_retry()

    def _give_up(self, error: Exception, metadata: dict[str, Any]) -> Exception:
        self._stats.record_error(error_code(error))
        final = (
            _with_retry_metadata(error, metadata)
            if isinstance(error, _botocore.ClientError)
            else error
        )
        if is_fatal(error):
            self._fatal = (final, self._credentials())
        return final

    def _remembered(self) -> Exception | None:
        """A copy of the remembered fatal error to fail with, unless the credentials have
        changed since (then it is forgotten). Checked once the limiter lets an attempt go, so
        attempts that queued before the error was seen never go out."""
        assert self._fatal is not None
        error, credentials = self._fatal
        if self._credentials() is not credentials:
            self._fatal = None
            return None
        self._stats.record_error(error_code(error))
        return copy.copy(error)

    def _record_attempt(self, started: float, error: Exception | None, *, throttled: bool) -> None:
        self._limiter.on_response(throttled=throttled, sent_at=started)
        self._stats.record_request(self._time() - started)
        if throttled and error is not None:
            self._stats.record_throttle(error_code(error))

    def _delay_secs(self, retry_number: int, error: Exception, *, throttled: bool) -> float:
        """Full jitter (AWS architecture blog, "Exponential Backoff And Jitter"), raised toward
        what the service asked for, by at most five seconds."""
        base = self.THROTTLING_BASE_DELAY_SECS if throttled else self.TRANSIENT_BASE_DELAY_SECS
        delay = self._random() * min(self._max_backoff_secs, base * 2.0 ** (retry_number - 1))
        retry_after = _retry_after_secs(error)
        if retry_after is None:
            return delay
        return max(delay, min(retry_after, delay + _RETRY_AFTER_MAX_ADDITIONAL_SECS))


def _with_retry_metadata(
    error: _botocore.ClientError, metadata: dict[str, Any]
) -> _botocore.ClientError:
    """The same error rebuilt, its message telling how many retries were made, as botocore's."""
    response = {
        **error.response,
        "ResponseMetadata": {**error.response.get("ResponseMetadata", {}), **metadata},
    }
    final = type(error)(response, error.operation_name)  # type: ignore[arg-type]
    return final.with_traceback(error.__traceback__)


def _retry_after_secs(error: Exception) -> float | None:
    """``x-amz-retry-after`` in seconds; an unparsable value is ignored, as botocore ignores it."""
    if not isinstance(error, _botocore.ClientError):
        return None
    headers = error.response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
    value = headers.get(_RETRY_AFTER_HEADER)
    if value is None:
        return None
    try:
        return int(value) / 1000
    except ValueError:
        return None
