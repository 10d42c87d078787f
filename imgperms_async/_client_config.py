"""The client's tuning knobs, in one frozen value with units in the names, checked where they enter."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final, Literal, get_args

from imgperms_async._exceptions import InvalidSettingError

RetryMode = Literal["standard", "adaptive"]
RETRY_MODES: Final = get_args(RetryMode)

DEFAULT_MAX_ATTEMPTS: Final = 5
"""botocore's legacy default (standard mode says 3): a bulk audit should ride out a
burst of throttling rather than lose an image to it. ``AWS_MAX_ATTEMPTS`` or the argument override it."""


@dataclass(frozen=True, slots=True)
class ClientConfig:
    """How hard the client pushes and how patiently it waits.

    ``None`` means "as botocore's configuration says, else our default": ``AWS_MAX_ATTEMPTS`` /
    ``max_attempts`` and ``AWS_RETRY_MODE`` / ``retry_mode`` in the profile are honoured.
    A value that cannot work is refused here, naming the field, rather than failing mid-audit.
    """

    max_connections: int = 64
    """Connection pool size and the cap on requests in flight; fan-out sizes it to its concurrency.
    Ignored, with the timeouts and TLS settings, when the client is given a ``transport``."""
    connect_timeout_secs: float = 10.0
    read_timeout_secs: float = 60.0
    max_attempts: int | None = None
    """Total attempts per request, the first included."""
    retry_mode: RetryMode | None = None
    """``adaptive`` (the default) adds a client-side rate limiter that backs off on throttling."""
    max_rate: float | None = None
    """A ceiling in requests per second for every request of the client, when you know the
    limit: adaptive mode paces at it and still slows down when throttled; standard mode keeps to
    it."""
    burst: int | None = None
    """Requests that may go at once under ``max_rate`` before the pace applies (1 unless given):
    a service's documented burst, less a little slack for the clocks' jitter."""
    verify_tls: bool = True
    ca_bundle: str | None = None
    """A CA bundle file for TLS; else ``AWS_CA_BUNDLE`` or the profile's ``ca_bundle``."""

    def __post_init__(self) -> None:
        _check_count("max_connections", self.max_connections)
        if self.max_attempts is not None:
            _check_count("max_attempts", self.max_attempts)
        for name in ("connect_timeout_secs", "read_timeout_secs"):
            _check_positive(name, getattr(self, name))
        if self.max_rate is not None:
            _check_positive("max_rate", self.max_rate)
        if self.burst is not None:
            _check_count("burst", self.burst)
            if self.max_rate is None:
                _refuse("burst", "given with max_rate (it is a burst within that rate)", self.burst)
        if self.retry_mode is not None and self.retry_mode not in RETRY_MODES:
            _refuse("retry_mode", f"one of {', '.join(RETRY_MODES)}", self.retry_mode)
        if not isinstance(self.verify_tls, bool):
            _refuse("verify_tls", "True or False", self.verify_tls)
        if self.ca_bundle is not None and not (isinstance(self.ca_bundle, str) and self.ca_bundle):
            _refuse("ca_bundle", "a file path", self.ca_bundle)


def _check_count(name: str, value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        _refuse(name, "a whole number of at least 1", value)


def _check_positive(name: str, value: object) -> None:
    if (
        not isinstance(value, int | float)
        or isinstance(value, bool)
        or not math.isfinite(value)
        or value <= 0
    ):
        _refuse(name, "a finite number above 0", value)


def _refuse(name: str, accepted: str, value: object) -> None:
    raise InvalidSettingError(error_msg=f"ClientConfig.{name} must be {accepted}, not {value!r}")
