"""Records as documents: a JSON array, JSON lines, and CSV a spreadsheet opens safely.

A report holds every record but the scopes that were audited (each audited scope's images are
its records; only what was not audited needs saying): an audit of the caller's own account
writes exactly the contract's image records unless something asked for could not be audited.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Final

from imgperms_async import (
    ImageRecord,
    InboundRecord,
    Record,
    ScopeRecord,
    sorted_records,
)
from imgperms_async.cli._literal import csv_cell

CSV_HEADER: Final = ("region", "image_id", "shared_account_id", "unexpected", "error_code")
"""The contract's columns, for the caller's own account."""
PER_ACCOUNT_CSV_HEADER: Final = (
    "account_id",
    "region",
    "image_id",
    "shared_account_id",
    "class",
    "unexpected",
    "error_code",
)
INBOUND_COLUMNS: Final = ("direction", "owner_account_id")
"""Added when images shared in are audited: ``outbound`` rows leave them empty."""


def reported(record: Record) -> bool:
    return not (isinstance(record, ScopeRecord) and record.status == "audited")


def render_json(records: Sequence[Record]) -> str:
    shown = [record.to_json() for record in sorted_records(records) if reported(record)]
    return json.dumps(shown, indent=2) + "\n"


def render_json_line(record: Record) -> str:
    return json.dumps(record.to_json()) + "\n" if reported(record) else ""


def render_csv(records: Sequence[Record], *, per_account: bool, inbound: bool) -> str:
    """Every cell as a spreadsheet would show it, never as a formula (see ``csv_cell``)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    header = PER_ACCOUNT_CSV_HEADER if per_account else CSV_HEADER
    writer.writerow(header + INBOUND_COLUMNS if inbound else header)
    for record in sorted_records(records):
        for row in _rows(record):
            cells = (
                row.account_id or "",
                row.region or "",
                row.image_id,
                row.shared,
                row.share_class,
                row.flag,
                row.code,
            )
            chosen: tuple[str, ...] = (
                cells if per_account else (cells[1], cells[2], cells[3], cells[5], cells[6])
            )
            if inbound:
                chosen += (row.direction, row.owner)
            writer.writerow(tuple(map(csv_cell, chosen)))
    return buffer.getvalue()


@dataclass(frozen=True, slots=True)
class _Row:
    """One CSV row, every column it could have; a header chooses which are written."""

    account_id: str | None
    region: str | None
    image_id: str = ""
    shared: str = ""
    share_class: str = ""
    flag: str = ""
    code: str = ""
    direction: str = "outbound"
    owner: str = ""


def _rows(record: Record) -> Iterator[_Row]:
    """A row per shared account, and one with no account for a private or failed image; a row
    per image shared in; one per scope that failed; none for an image gone since the baseline,
    which no column could tell from a private one."""
    if isinstance(record, ImageRecord):
        if record.gone:
            return
        code = "" if record.error is None else record.error.code
        for account, share_class in zip(
            record.shared_account_ids, record.share_classes, strict=True
        ):
            flag = "true" if share_class == "external" else "false"
            yield _Row(
                record.account_id, record.region, record.image_id, account, share_class, flag, code
            )
        if not record.shared_account_ids or record.error is not None:
            yield _Row(record.account_id, record.region, record.image_id, code=code)
    elif isinstance(record, InboundRecord):
        if record.gone:
            return
        flag = "true" if record.flagged else "false"
        yield _Row(
            record.account_id,
            record.region,
            record.image_id,
            share_class=record.owner_class,
            flag=flag,
            direction="inbound",
            owner=record.owner_account_id,
        )
    elif isinstance(record, ScopeRecord) and record.incomplete:
        code = record.error.code if record.error is not None else record.status
        yield _Row(record.account_id, record.region, code=code)
