"""What an audit's records add up to: the counts the summary and the table show, and the status."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from imgperms_async import (
    ChangeKind,
    ExpiredExemptionRecord,
    ImageRecord,
    InboundRecord,
    Record,
    ScopeRecord,
)
from imgperms_async.cli._status import FailOn, audit_status


@dataclass
class AccountCounts:
    """One account's images, for the summary."""

    name: str | None
    images: int = 0
    shared: int = 0
    flagged: int = 0
    errors: int = 0


@dataclass
class Tally:
    """Running counts over the records."""

    audited: int = 0
    shared: int = 0
    flagged: int = 0
    """Images shared with an account outside."""
    unjudged: int = 0
    """Images shared with an account whose membership is unknown (and none outside)."""
    excepted: int = 0
    """Shares an exception accepts."""
    private: int = 0
    """Audited and shared with nobody."""
    failed: list[ImageRecord] = field(default_factory=list)
    """Images with an error, in the order they finished."""
    newly_flagged: list[ImageRecord | InboundRecord] = field(default_factory=list)
    """Records flagged for an account that was not flagged in the baseline."""
    changes: Counter[ChangeKind] = field(default_factory=Counter)
    scopes: list[ScopeRecord] = field(default_factory=list)
    """Scopes not audited (skipped, not enabled, not offered, failed)."""
    scopes_audited: int = 0
    inbound: int = 0
    inbound_flagged: list[InboundRecord] = field(default_factory=list)
    inbound_unjudged: int = 0
    expired: list[ExpiredExemptionRecord] = field(default_factory=list)
    accounts: dict[str, AccountCounts] = field(default_factory=dict)
    """Per owner, when the records name it."""

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
    def incomplete_scopes(self) -> list[ScopeRecord]:
        return [scope for scope in self.scopes if scope.incomplete]

    def add(self, record: Record) -> None:
        if isinstance(record, ScopeRecord):
            if record.status == "audited":
                self.scopes_audited += 1
            else:
                self.scopes.append(record)
        elif isinstance(record, ExpiredExemptionRecord):
            self.expired.append(record)
        elif isinstance(record, InboundRecord):
            self._add_inbound(record)
        else:
            self._add_image(record)

    def _add_change(self, record: ImageRecord | InboundRecord) -> None:
        if record.change is not None:
            self.changes[record.change.kind] += 1
            if record.change.newly_flagged:
                self.newly_flagged.append(record)

    def _add_inbound(self, record: InboundRecord) -> None:
        self._add_change(record)
        if record.gone:
            return
        self.inbound += 1
        if record.flagged:
            self.inbound_flagged.append(record)
        self.inbound_unjudged += record.owner_class == "unknown"

    def _add_image(self, record: ImageRecord) -> None:
        self._add_change(record)
        if record.gone:
            return
        if record.error is None:
            self.audited += 1
            self.private += not record.shared_account_ids
        else:
            self.failed.append(record)
        self.shared += bool(record.shared_account_ids)
        self.flagged += record.flagged
        self.unjudged += not record.flagged and "unknown" in record.share_classes
        self.excepted += record.share_classes.count("excepted")
        if record.account_id is not None:
            counts = self.accounts.setdefault(record.account_id, AccountCounts(record.account_name))
            counts.images += 1
            counts.shared += bool(record.shared_account_ids)
            counts.flagged += record.flagged
            counts.errors += record.error is not None

    def exit_status(self, *, fail_on: FailOn = "any", fail_on_unknown: bool = False) -> int:
        flagged = self.flagged + len(self.inbound_flagged)
        if fail_on_unknown:
            flagged += self.unjudged + self.inbound_unjudged
        return audit_status(
            flagged=flagged,
            new_flags=len(self.newly_flagged),
            incomplete=bool(self.failed or self.incomplete_scopes),
            fail_on=fail_on,
        )
