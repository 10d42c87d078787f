"""An audit against the last one: what each image gained and lost since a baseline report.

Audits run every day; what people act on is the difference. Each record of this run gains the
accounts new since the baseline, those gone from it, and those flagged now that were not then:
new, or whose class got worse (an account that left the organization, an allowlist narrowed),
which is what ``--fail-on new`` fails on. An image the baseline did not have "appeared"; one the
baseline had that this run did not find, in a scope this run listed completely, "disappeared"
(an image of a scope that could not be listed is no evidence of anything, nor are the accounts
missing from an image this run could not read in full). Images shared into an account compare
the same way, by their owner.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence

from imgperms_async._records import (
    Change,
    ImageRecord,
    InboundRecord,
    Record,
    worse,
)

Key = tuple[str, str | None, str, str]
Scope = tuple[str | None, str]


class Baseline:
    """The images of a previous report, matched to this run's records as they come."""

    def __init__(self, records: Sequence[Record]) -> None:
        latest: dict[Key, ImageRecord | InboundRecord] = {}
        for record in records:
            if isinstance(record, ImageRecord | InboundRecord):
                latest[record.key] = record
        self._previous = {key: record for key, record in latest.items() if not record.gone}
        """The last record of each image (a jsonl report may hold several runs), unless that
        record says the image was already gone."""
        self._seen: set[Key] = set()

    @property
    def matched(self) -> int:
        """Images of the baseline this run has seen: none means it is another run's baseline
        (another region, account or organization)."""
        return len(self._seen)

    @property
    def size(self) -> int:
        return len(self._previous)

    def _find(self, key: Key) -> tuple[Key, ImageRecord | InboundRecord] | None:
        found = self._previous.get(key)
        if found is None and key[1] is not None:
            # A one-account report does not name its account; this run may.
            key = (key[0], None, key[2], key[3])
            found = self._previous.get(key)
        return None if found is None else (key, found)

    def compare(self, record: ImageRecord | InboundRecord) -> ImageRecord | InboundRecord:
        found = self._find(record.key)
        if found is not None:
            self._seen.add(found[0])
        previous = None if found is None else found[1]
        if isinstance(record, InboundRecord):
            return dataclasses.replace(
                record,
                change=_inbound_change(
                    record, previous if isinstance(previous, InboundRecord) else None
                ),
            )
        return dataclasses.replace(
            record,
            change=_image_change(record, previous if isinstance(previous, ImageRecord) else None),
        )

    def disappeared(self, listed: Iterable[Scope]) -> list[ImageRecord | InboundRecord]:
        """The baseline's images, in scopes this run listed in full, that it did not see."""
        complete = set(listed)
        gone: list[ImageRecord | InboundRecord] = []
        for key, record in self._previous.items():
            if key in self._seen or (record.account_id, record.region) not in complete:
                continue
            if isinstance(record, InboundRecord):
                gone.append(
                    dataclasses.replace(
                        record,
                        change=Change("disappeared", (), (record.owner_account_id,)),
                    )
                )
            else:
                gone.append(
                    dataclasses.replace(
                        record,
                        shared_account_ids=(),
                        share_classes=(),
                        error=None,
                        exemptions={},
                        change=Change(
                            "disappeared",
                            (),
                            record.shared_account_ids,
                            was_flagged=record.unexpected_account_ids,
                        ),
                    )
                )
        return gone


def _image_change(record: ImageRecord, previous: ImageRecord | None) -> Change:
    if previous is None:
        return Change(
            "appeared", record.shared_account_ids, (), newly_flagged=record.unexpected_account_ids
        )
    before = set(previous.shared_account_ids)
    now = set(record.shared_account_ids)
    new = tuple(a for a in record.shared_account_ids if a not in before)
    # An image this run could not read in full lost nothing anyone can tell of.
    removed = (
        tuple(a for a in previous.shared_account_ids if a not in now)
        if record.error is None
        else ()
    )
    newly_flagged = tuple(
        account
        for account in record.unexpected_account_ids
        if worse("external", previous.class_of(account))
    )
    return Change(
        "changed" if new or removed or newly_flagged else "unchanged",
        new,
        removed,
        newly_flagged,
        previous.unexpected_account_ids,
    )


def _inbound_change(record: InboundRecord, previous: InboundRecord | None) -> Change:
    flagged = (record.owner_account_id,) if record.flagged else ()
    if previous is None:
        return Change("appeared", (record.owner_account_id,), (), newly_flagged=flagged)
    got_worse = record.flagged and worse(record.owner_class, previous.owner_class)
    return Change(
        "changed" if previous.owner_class != record.owner_class else "unchanged",
        newly_flagged=flagged if got_worse else (),
        was_flagged=(previous.owner_account_id,) if previous.flagged else (),
    )
