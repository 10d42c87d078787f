"""What the emulator saw: a request log and counters, for tests and the stats endpoint."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

__all__ = ["RequestLog", "RequestRecord"]


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One answered request, as the emulator classified it."""

    operation: str | None
    image_id: str | None
    next_token: str | None
    status: int
    error_code: str | None
    time: float
    access_key: str | None


class RequestLog:
    """Records every answer; counters are kept apart so fault kinds can be counted where known."""

    def __init__(self) -> None:
        self.records: list[RequestRecord] = []
        self.counters: Counter[str] = Counter()

    def add(self, record: RequestRecord) -> None:
        self.records.append(record)
        self.counters["requests"] += 1
        self.counters["served" if record.status == 200 else "rejected"] += 1
        if record.operation is not None:
            self.counters[f"operation.{record.operation}"] += 1

    def count(self, kind: str) -> None:
        self.counters[kind] += 1

    def reset(self) -> None:
        self.records.clear()
        self.counters.clear()
