"""The client's tuning knobs, in one frozen value with units in the names."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

DEFAULT_MAX_ATTEMPTS = 5
"""botocore's legacy default (standard mode says 3): a bulk audit should ride out a
burst of throttling rather than lose an image to it. ``AWS_MAX_ATTEMPTS`` or the argument override it."""


@dataclass(frozen=True, slots=True)
class ClientConfig:
    """How hard the client pushes and how patiently it waits.

    ``None`` means "as botocore's configuration says, else our default": ``AWS_MAX_ATTEMPTS`` /
    ``max_attempts`` and ``AWS_RETRY_MODE`` / ``retry_mode`` in the profile are honoured.
    """

    max_connections: int = 64
    """Connection pool size and the cap on requests in flight; fan-out sizes it to its concurrency."""
    connect_timeout_secs: float = 10.0
    read_timeout_secs: float = 60.0
    max_attempts: int | None = None
    """Total attempts per request, the first included."""
    retry_mode: Literal["standard", "adaptive"] | None = None
    """``adaptive`` (the default) adds a client-side rate limiter that backs off on throttling."""
    max_rate: float | None = None
    """A fixed ceiling in requests per second for every request of the client, when you know it."""
    verify_tls: bool = True
    ca_bundle: str | None = None
    """A CA bundle file for TLS; else ``AWS_CA_BUNDLE`` or the profile's ``ca_bundle``."""

    def __post_init__(self) -> None:
        if self.max_connections < 1:
            raise ValueError(f"max_connections must be at least 1, not {self.max_connections}")
        if self.max_attempts is not None and self.max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, not {self.max_attempts}")
        if self.max_rate is not None and self.max_rate <= 0:
            raise ValueError(f"max_rate must be positive, not {self.max_rate}")
        if self.connect_timeout_secs <= 0 or self.read_timeout_secs <= 0:
            raise ValueError("timeouts must be positive")
