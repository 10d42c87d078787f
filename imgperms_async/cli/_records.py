"""Audit records as the CLI contract shapes them, their JSON and CSV forms, and what they add up to.

A record is built once from a fan-out result and is the only thing the writers, the table and the
summary read, so a field's name and meaning live here and nowhere else. The exit code is derived
from the tally of records, for ``audit`` and ``demo`` alike.

A one-account audit writes the contract's record exactly. An organization audit adds whose image
it is (``account_id``, ``account_name``) and the class of each shared account, and writes a scope
record (``"kind": "scope"``) for each account or region it skipped or could not audit.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

from botocore.exceptions import ClientError as BotocoreClientError

from imgperms_async import ImagePermissionsResult, ScopeResult, ShareClass, error_code
from imgperms_async.cli._literal import csv_cell

EXIT_OK: Final = 0
EXIT_FLAGGED: Final = 1
EXIT_USAGE: Final = 2
EXIT_INCOMPLETE: Final = 3

CSV_HEADER: Final = ("region", "image_id", "shared_account_id", "unexpected", "error_code")
ORGANIZATION_CSV_HEADER: Final = (
    "account_id",
    "region",
    "image_id",
    "shared_account_id",
    "class",
    "unexpected",
    "error_code",
)

ScopeStatus = Literal["failed", "skipped", "not_enabled"]
ChangeKind = Literal["appeared", "disappeared", "changed", "unchanged"]
FailOn = Literal["any", "new", "never"]


@dataclass(frozen=True, slots=True)
class Change:
    """What changed for an image since the baseline report; ``was_flagged`` holds the accounts
    the baseline flagged on it."""

    kind: ChangeKind
    new_account_ids: tuple[str, ...]
    removed_account_ids: tuple[str, ...]
    was_flagged: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ErrorInfo:
    """Why an image or a scope could not be audited: the service's code, else the class name."""

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
class Owner:
    """Whose image it is, in an organization audit."""

    account_id: str
    account_name: str | None


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One image in one region: who it is shared with, and who of them is not allowed.

    ``unexpected_account_ids`` are the shares outside the allowlist, or in an organization audit
    the ``external`` ones; ``share_classes`` (organization audits) holds each share's class, in
    the order of ``shared_account_ids``.
    """

    region: str
    image_id: str
    shared_account_ids: tuple[str, ...]
    unexpected_account_ids: tuple[str, ...]
    pages: int
    error: ErrorInfo | None
    owner: Owner | None = None
    share_classes: tuple[ShareClass, ...] = ()
    change: Change | None = None
    """Against the baseline, when one was given."""

    @property
    def gone(self) -> bool:
        """In the baseline, but no longer served: a record of the change, not an image audited."""
        return self.change is not None and self.change.kind == "disappeared"

    @classmethod
    def of(
        cls, region: str, result: ImagePermissionsResult, allowlist: frozenset[str] | None
    ) -> AuditRecord:
        shared = result.shared_account_ids
        unexpected = () if allowlist is None else tuple(a for a in shared if a not in allowlist)
        error = None if result.error is None else ErrorInfo.of(result.error)
        return cls(region, result.image_id, shared, unexpected, result.pages, error)

    @classmethod
    def in_organization(
        cls, result: ImagePermissionsResult, owner: Owner, classes: tuple[ShareClass, ...]
    ) -> AuditRecord:
        shared = result.shared_account_ids
        external = tuple(a for a, c in zip(shared, classes, strict=True) if c == "external")
        return cls(
            result.region or "",
            result.image_id,
            shared,
            external,
            result.pages,
            None if result.error is None else ErrorInfo.of(result.error),
            owner,
            classes,
        )

    @property
    def flagged(self) -> bool:
        return bool(self.unexpected_account_ids)

    @property
    def new_unexpected(self) -> tuple[str, ...]:
        """Flagged accounts the baseline did not have."""
        if self.change is None:
            return ()
        new = set(self.change.new_account_ids)
        return tuple(a for a in self.unexpected_account_ids if a in new)

    @property
    def account_id(self) -> str | None:
        return None if self.owner is None else self.owner.account_id

    def to_json(self) -> dict[str, object]:
        record: dict[str, object] = {}
        if self.owner is not None:
            record["account_id"] = self.owner.account_id
            record["account_name"] = self.owner.account_name
        record.update(
            region=self.region,
            image_id=self.image_id,
            shared_account_ids=list(self.shared_account_ids),
        )
        if self.owner is not None:
            record["share_classes"] = dict(
                zip(self.shared_account_ids, self.share_classes, strict=True)
            )
        record.update(
            unexpected_account_ids=list(self.unexpected_account_ids),
            pages=self.pages,
            error=None if self.error is None else self.error.to_json(),
        )
        if self.change is not None:
            record.update(
                change=self.change.kind,
                new_account_ids=list(self.change.new_account_ids),
                removed_account_ids=list(self.change.removed_account_ids),
            )
        return record

    def csv_rows(self) -> Iterator[tuple[str, ...]]:
        """A row per shared account, and one with no account for a private or failed image; none
        for an image gone since the baseline, which no column could tell from a private one."""
        if self.gone:
            return
        code = "" if self.error is None else self.error.code
        unexpected = set(self.unexpected_account_ids)
        classes = self.share_classes or ("",) * len(self.shared_account_ids)
        for account, share_class in zip(self.shared_account_ids, classes, strict=True):
            flag = "true" if account in unexpected else "false"
            yield self._row(account, share_class, flag, code)
        if not self.shared_account_ids or self.error is not None:
            yield self._row("", "", "", code)

    def _row(self, account: str, share_class: str, flag: str, code: str) -> tuple[str, ...]:
        if self.owner is None:
            return (self.region, self.image_id, account, flag, code)
        return (self.owner.account_id, self.region, self.image_id, account, share_class, flag, code)


@dataclass(frozen=True, slots=True)
class ScopeRecord:
    """An (account, region) that was not audited, and why; ``region`` ``None`` is every region
    of the account (skipped as not ACTIVE, or its role could not be assumed)."""

    account_id: str | None
    account_name: str | None
    region: str | None
    status: ScopeStatus
    error: ErrorInfo | None

    @classmethod
    def of(cls, result: ScopeResult) -> ScopeRecord:
        status: ScopeStatus = "failed" if result.status == "audited" else result.status
        return cls(
            result.account_id,
            result.account_name,
            result.region,
            status,
            None if result.error is None else ErrorInfo.of(result.error),
        )

    @property
    def failed(self) -> bool:
        return self.status == "failed"

    def to_json(self) -> dict[str, object]:
        return {
            "kind": "scope",
            "account_id": self.account_id,
            "account_name": self.account_name,
            "region": self.region,
            "status": self.status,
            "error": None if self.error is None else self.error.to_json(),
        }

    def csv_rows(self) -> Iterator[tuple[str, ...]]:
        """Only a failure is a row: the spreadsheet shows what could not be audited."""
        if self.failed:
            code = "" if self.error is None else self.error.code
            yield (self.account_id or "", self.region or "", "", "", "", "", code)


Record = AuditRecord | ScopeRecord


@dataclass
class AccountCounts:
    """One account's images in an organization audit, for the summary."""

    name: str | None
    images: int = 0
    shared: int = 0
    flagged: int = 0
    errors: int = 0


@dataclass
class Tally:
    """Running counts over the records, and what they mean for the exit code."""

    audited: int = 0
    shared: int = 0
    flagged: int = 0
    private: int = 0
    """Audited and shared with nobody."""
    failed: list[AuditRecord] = field(default_factory=list)
    """Images with an error, in the order they finished."""
    newly_flagged: list[AuditRecord] = field(default_factory=list)
    """Images with a flagged account the baseline did not have."""
    changes: Counter[ChangeKind] = field(default_factory=Counter)
    """Images by what changed since the baseline."""
    scopes: list[ScopeRecord] = field(default_factory=list)
    """Scopes not audited: failed ones make the audit incomplete; skipped ones do not."""
    accounts: dict[str, AccountCounts] = field(default_factory=dict)
    """Per owner, in an organization audit."""

    @classmethod
    def of(cls, records: Iterable[Record]) -> Tally:
        tally = cls()
        for record in records:
            tally.add(record)
        return tally

    @property
    def errors(self) -> int:
        return len(self.failed)

    @property
    def finished(self) -> int:
        return self.audited + self.errors

    @property
    def failed_scopes(self) -> list[ScopeRecord]:
        return [scope for scope in self.scopes if scope.failed]

    def add(self, record: Record) -> None:
        if isinstance(record, ScopeRecord):
            self.scopes.append(record)
            return
        if record.change is not None:
            self.changes[record.change.kind] += 1
        if record.gone:
            return
        if record.error is None:
            self.audited += 1
            self.private += not record.shared_account_ids
        else:
            self.failed.append(record)
        self.shared += bool(record.shared_account_ids)
        self.flagged += record.flagged
        if record.new_unexpected:
            self.newly_flagged.append(record)
        if record.owner is not None:
            counts = self.accounts.setdefault(
                record.owner.account_id, AccountCounts(record.owner.account_name)
            )
            counts.images += 1
            counts.shared += bool(record.shared_account_ids)
            counts.flagged += record.flagged
            counts.errors += record.error is not None

    def exit_code(self, *, fail_on: FailOn = "any") -> int:
        """1 for a flagged share (``any``), or for one new since the baseline (``new``), unless
        the run flags by design (``never``, as the demo does); else 3 when an image or a scope
        could not be audited, else 0."""
        flagged = {"any": self.flagged, "new": len(self.newly_flagged), "never": 0}[fail_on]
        if flagged:
            return EXIT_FLAGGED
        if self.errors or self.failed_scopes:
            return EXIT_INCOMPLETE
        return EXIT_OK


def sorted_records(records: Iterable[Record]) -> list[Record]:
    """Whole documents come out in a stable order, whatever order the images finished in:
    by account, region and image, each account's scope records after its images."""
    return sorted(records, key=_order)


def _order(record: Record) -> tuple[str, int, str, str]:
    if isinstance(record, ScopeRecord):
        return (record.account_id or "", 1, record.region or "", "")
    return (record.account_id or "", 0, record.region, record.image_id)


def render_json(records: Sequence[Record]) -> str:
    return json.dumps([record.to_json() for record in sorted_records(records)], indent=2) + "\n"


def render_json_line(record: Record) -> str:
    return json.dumps(record.to_json()) + "\n"


def render_csv(records: Sequence[Record], *, organization: bool = False) -> str:
    """Every cell as a spreadsheet would show it, never as a formula (see ``csv_cell``)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(ORGANIZATION_CSV_HEADER if organization else CSV_HEADER)
    for record in sorted_records(records):
        writer.writerows(tuple(map(csv_cell, row)) for row in record.csv_rows())
    return buffer.getvalue()
