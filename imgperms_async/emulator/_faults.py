"""Injected faults, deterministic for a seed whatever the request interleaving.

Each fault decision hashes (seed, operation, body, how many identical requests came before), so
the same workload draws the same faults even when concurrent requests arrive in another order.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from typing import Literal

__all__ = ["NO_FAULT", "Failure", "FaultDecision", "FaultPlan"]

Failure = Literal["http_500", "http_503", "dropped"]
_UNIT = float(1 << 64)


@dataclass(frozen=True, slots=True)
class FaultDecision:
    """What to do to one request: fail it, cut it, garble a success, and how long to stall."""

    failure: Failure | None = None
    malformed: bool = False
    delay: float = 0.0


NO_FAULT = FaultDecision()


class FaultPlan:
    """Draws a FaultDecision per request from a keyed hash rather than a shared RNG stream."""

    def __init__(
        self,
        *,
        seed: int,
        fault_rate: float = 0.0,
        drop_rate: float = 0.0,
        malformed_rate: float = 0.0,
        latency: tuple[float, float] = (0.0, 0.0),
    ) -> None:
        self._key = hashlib.sha256(f"faults-{seed}".encode()).digest()
        self._fault_rate = fault_rate
        self._drop_rate = drop_rate
        self._malformed_rate = malformed_rate
        self._latency = latency
        self.active = bool(fault_rate or drop_rate or malformed_rate or any(self._latency))
        """False when no fault can be drawn: callers then skip ``decide`` and its key."""
        self._seen: Counter[bytes] = Counter()

    def decide(self, operation: str, body: bytes) -> FaultDecision:
        request = hashlib.sha256(operation.encode() + b"\0" + body).digest()
        occurrence = self._seen[request]
        self._seen[request] = occurrence + 1
        digest = hashlib.blake2b(
            request + occurrence.to_bytes(8, "big"), key=self._key, digest_size=32
        ).digest()
        fault, drop, malformed, latency = (
            int.from_bytes(digest[i : i + 8], "big") / _UNIT for i in range(0, 32, 8)
        )
        low, high = self._latency
        return FaultDecision(
            failure=self._failure(fault, drop),
            malformed=malformed < self._malformed_rate,
            delay=low + latency * (high - low),
        )

    def _failure(self, fault: float, drop: float) -> Failure | None:
        if fault < self._fault_rate / 2:
            return "http_500"
        if fault < self._fault_rate:
            return "http_503"
        if drop < self._drop_rate:
            return "dropped"
        return None
