"""An audit against the last one: what each image gained and lost since the baseline report.

Audits run every day; what people act on is the difference. Each record of this run gains the
accounts new since the baseline and those gone from it; an image the baseline did not have
"appeared", and one the baseline had that this run did not find, in a scope this run listed
completely, "disappeared" (an image of a scope that could not be listed is no evidence of
anything, nor are the accounts missing from an image this run could not read in full). An
image the baseline could not read in full is compared all the same: any account it did not
record counts as new, since a gate on new shares should rather fire once too often.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from imgperms_async.cli._records import AuditRecord, Change, Owner
from imgperms_async.cli._reports import Report, ReportedImage

Key = tuple[str | None, str, str]
Scope = tuple[str | None, str]


class Baseline:
    """The images of a previous report, matched to this run's records as they come."""

    def __init__(self, report: Report) -> None:
        latest = {image.key: image for image in report.images}
        self._previous: dict[Key, ReportedImage] = {
            key: image for key, image in latest.items() if image.present
        }
        """The last record of each image (a jsonl report may hold several runs), unless that
        record says the image was already gone."""
        self._seen: set[Key] = set()

    def compare(self, record: AuditRecord) -> AuditRecord:
        key = (record.account_id, record.region, record.image_id)
        self._seen.add(key)
        previous = self._previous.get(key)
        if previous is None:
            change = Change("appeared", record.shared_account_ids, ())
        else:
            before = set(previous.shared_account_ids)
            now = set(record.shared_account_ids)
            new = tuple(a for a in record.shared_account_ids if a not in before)
            # An image this run could not read in full lost nothing anyone can tell of.
            removed = (
                tuple(a for a in previous.shared_account_ids if a not in now)
                if record.error is None
                else ()
            )
            change = Change(
                "changed" if new or removed else "unchanged",
                new,
                removed,
                previous.unexpected_account_ids,
            )
        return dataclasses.replace(record, change=change)

    def disappeared(self, listed: Iterable[Scope]) -> list[AuditRecord]:
        """The baseline's images, in scopes this run listed in full, that it did not see."""
        complete = set(listed)
        return [
            AuditRecord(
                image.region,
                image.image_id,
                (),
                (),
                0,
                None,
                None if image.account_id is None else Owner(image.account_id, image.account_name),
                (),
                Change("disappeared", (), image.shared_account_ids, image.unexpected_account_ids),
            )
            for key, image in self._previous.items()
            if key not in self._seen and (image.account_id, image.region) in complete
        ]
