"""Audit records as the CLI contract shapes them, their JSON and CSV forms, and what they add up to.

A record is built once from a fan-out result and is the only thing the writers, the table and the
summary read, so a field's name and meaning live here and nowhere else. The exit code is derived
from the tally of records, for ``audit`` and ``demo`` alike.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Final

from botocore.exceptions import ClientError as BotocoreClientError

from imgperms_async import ImagePermissionsResult, error_code
from imgperms_async.cli._literal import csv_cell

EXIT_OK: Final = 0
EXIT_FLAGGED: Final = 1
EXIT_USAGE: Final = 2
EXIT_INCOMPLETE: Final = 3
EXIT_INTERRUPTED: Final = 130

CSV_HEADER: Final = ("region", "image_id", "shared_account_id", "unexpected", "error_code")


@dataclass(frozen=True, slots=True)
class ErrorInfo:
    """Why an image or a listing could not be audited: the service's code, else the class name."""

    code: str
    message: str

    @classmethod
    def of(cls, error: BaseException) -> ErrorInfo:
        message = str(error)
        if isinstance(error, BotocoreClientError):
            message = error.response.get("Error", {}).get("Message") or message
        code = error_code(error)
        return cls(code, " ".join(message.split()) or code)

    def to_json(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One image in one region: who it is shared with, and who of them is not allowed."""

    region: str
    image_id: str
    shared_account_ids: tuple[str, ...]
    unexpected_account_ids: tuple[str, ...]
    pages: int
    error: ErrorInfo | None

    @classmethod
    def of(
        cls, region: str, result: ImagePermissionsResult, allowlist: frozenset[str] | None
    ) -> AuditRecord:
        shared = result.shared_account_ids
        unexpected = () if allowlist is None else tuple(a for a in shared if a not in allowlist)
        error = None if result.error is None else ErrorInfo.of(result.error)
        return cls(region, result.image_id, shared, unexpected, result.pages, error)

    @property
    def flagged(self) -> bool:
        return bool(self.unexpected_account_ids)

    def to_json(self) -> dict[str, object]:
        return {
            "region": self.region,
            "image_id": self.image_id,
            "shared_account_ids": list(self.shared_account_ids),
            "unexpected_account_ids": list(self.unexpected_account_ids),
            "pages": self.pages,
            "error": None if self.error is None else self.error.to_json(),
        }

    def csv_rows(self) -> Iterator[tuple[str, ...]]:
        """A row per shared account, and one with no account for a private or failed image."""
        code = "" if self.error is None else self.error.code
        unexpected = set(self.unexpected_account_ids)
        for account in self.shared_account_ids:
            flag = "true" if account in unexpected else "false"
            yield (self.region, self.image_id, account, flag, code)
        if not self.shared_account_ids or self.error is not None:
            yield (self.region, self.image_id, "", "", code)


@dataclass(frozen=True, slots=True)
class ListingFailure:
    """A region whose images could not be listed (``--all``): none of them were audited."""

    region: str
    error: ErrorInfo


@dataclass
class Tally:
    """Running counts over the records, and what they mean for the exit code."""

    audited: int = 0
    shared: int = 0
    flagged: int = 0
    errors: int = 0
    private: int = 0
    """Audited and shared with nobody."""
    listing_failures: list[ListingFailure] = field(default_factory=list)

    @classmethod
    def of(cls, records: Iterable[AuditRecord]) -> Tally:
        tally = cls()
        for record in records:
            tally.add(record)
        return tally

    @property
    def finished(self) -> int:
        return self.audited + self.errors

    def add(self, record: AuditRecord) -> None:
        if record.error is None:
            self.audited += 1
            self.private += not record.shared_account_ids
        else:
            self.errors += 1
        self.shared += bool(record.shared_account_ids)
        self.flagged += record.flagged

    def exit_code(self, *, flags_fail: bool = True) -> int:
        """1 for a flagged share (unless the run flags by design, as the demo does), else 3 when
        an image or a listing could not be audited, else 0."""
        if flags_fail and self.flagged:
            return EXIT_FLAGGED
        if self.errors or self.listing_failures:
            return EXIT_INCOMPLETE
        return EXIT_OK


def sorted_records(records: Iterable[AuditRecord]) -> list[AuditRecord]:
    """Whole documents come out in a stable order, whatever order the images finished in."""
    return sorted(records, key=lambda record: (record.region, record.image_id))


def render_json(records: Sequence[AuditRecord]) -> str:
    return json.dumps([record.to_json() for record in sorted_records(records)], indent=2) + "\n"


def render_json_line(record: AuditRecord) -> str:
    return json.dumps(record.to_json()) + "\n"


def render_csv(records: Sequence[AuditRecord]) -> str:
    """Every cell as a spreadsheet would show it, never as a formula (see ``csv_cell``)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for record in sorted_records(records):
        writer.writerows(tuple(map(csv_cell, row)) for row in record.csv_rows())
    return buffer.getvalue()
