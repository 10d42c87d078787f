"""What the emulator saw: a record of every answer, and counters overall and per scope.

Tests read it to assert what a client sent (that a dry run wrote nothing, which account and
region each call reached); the stats endpoint serves the counters. No secret is ever recorded:
the access key id names a caller, as CloudTrail does, and nothing else of the signature is kept.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

__all__ = ["RequestLog", "RequestRecord"]


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One answered request, as the emulator classified it.

    `account_id` and `region` are the scope the request reached, once its caller was known.
    Writes (UpdateWorkspaceImagePermission) add the shared account, AllowCopyImage, and whether
    the share list changed (False when it already was as asked); AssumeRole adds the role.
    """

    operation: str | None
    image_id: str | None
    next_token: str | None
    status: int
    error_code: str | None
    time: float
    access_key: str | None
    service: str | None = None
    account_id: str | None = None
    region: str | None = None
    shared_account_id: str | None = None
    allow_copy_image: bool | None = None
    changed: bool | None = None
    role_arn: str | None = None


class RequestLog:
    """Records every answer; counters are kept apart so fault kinds can be counted where known."""

    def __init__(self) -> None:
        self.records: list[RequestRecord] = []
        self.counters: Counter[str] = Counter()
        self.scopes: dict[tuple[str, str], Counter[str]] = {}

    def add(self, record: RequestRecord) -> None:
        self.records.append(record)
        outcome = "served" if record.status == 200 else "rejected"
        self.counters["requests"] += 1
        self.counters[outcome] += 1
        if record.operation is not None:
            self.counters[f"operation.{record.operation}"] += 1
        if record.account_id is not None and record.region is not None:
            scope = self.scopes.setdefault((record.account_id, record.region), Counter())
            scope["requests"] += 1
            scope[outcome] += 1
            if record.error_code is not None:
                scope[f"error.{record.error_code}"] += 1

    def count(self, kind: str) -> None:
        self.counters[kind] += 1

    def reset(self) -> None:
        self.records.clear()
        self.counters.clear()
        self.scopes.clear()
