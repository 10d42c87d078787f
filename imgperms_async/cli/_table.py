"""The table format: shared, flagged and failed images for a person to read, drawn with rich.

An audit across accounts groups the rows by account, one section each, and lists among them the
images shared in and the scopes it could not audit; private images are only counted, since
listing them tells nobody anything. Every cell is ``Text``, never markup, so an id like
``[red]x`` is shown as typed, and no account id is ever cut short, whatever the width.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from itertools import groupby
from typing import Final

from rich.console import Console
from rich.table import Table
from rich.text import Text

from imgperms_async import (
    ImageRecord,
    InboundRecord,
    Record,
    ScopeRecord,
    ShareClass,
    sorted_records,
)
from imgperms_async.cli._literal import literal
from imgperms_async.cli._summary import plural
from imgperms_async.cli._tally import Tally

TABLE_ACCOUNTS_SHOWN: Final = 4
"""Accounts listed per table row; flagged ones always come first, the rest are counted."""
_ACCOUNT_WIDTH: Final = 13
"""An account id and its mark: the narrowest an accounts column may be."""

MARKS: Final[dict[ShareClass, str]] = {
    "external": "!",
    "unknown": "?",
    "excepted": "~",
    "allowlisted": "+",
    "organization": "",
}
_ONE_ACCOUNT_MARKS: Final[dict[ShareClass, str]] = {
    **dict.fromkeys(MARKS, ""),
    "external": "!",
    "excepted": "~",
}
"""The caller's own account alone: the allowlist is the whole judgment, nothing else is marked."""
_LEGEND: Final = (
    "! outside the organization and the allowlist (flagged), ? membership unknown, "
    "~ accepted by an exception, + allowlisted"
)
_ONE_ACCOUNT_LEGEND: Final = "! outside the allowlist (flagged), ~ accepted by an exception"


def render_table(
    records: Sequence[Record],
    *,
    width: int,
    color: bool,
    flagged_only: bool = False,
    per_account: bool = False,
) -> str:
    tally = Tally.of(records)
    shown = [record for record in sorted_records(records) if _listed(record, flagged_only)]
    caption = (
        f"{plural(tally.finished, 'image')}: {tally.shared} shared, {tally.flagged} flagged, "
        f"{plural(tally.errors, 'error')}, {tally.private} not shared"
    )
    if tally.inbound:
        caption += f"; {plural(tally.inbound, 'image')} shared in, {len(tally.inbound_flagged)} from outside"
    if flagged_only:
        caption += " (only flagged images and errors are listed)"
    legend = _LEGEND if per_account else _ONE_ACCOUNT_LEGEND
    table = Table(caption=Text(f"{caption}\n{legend}"), caption_justify="left")
    columns = ("account", "region", "image", "shares", "accounts", "status")
    for column in columns if per_account else columns[1:]:
        table.add_column(
            column,
            justify="right" if column == "shares" else "left",
            overflow="fold",
            min_width=_ACCOUNT_WIDTH if column in ("account", "accounts") else None,
        )
    marks = MARKS if per_account else _ONE_ACCOUNT_MARKS
    for _, group in groupby(shown, key=lambda record: _owner(record) or ""):
        for record in group:
            row = _row(record, marks)
            table.add_row(*(row if per_account else row[1:]))
        if per_account:
            table.add_section()
    buffer = io.StringIO()
    console = Console(
        file=buffer, width=width, force_terminal=color, no_color=not color, highlight=False
    )
    console.print(table)
    return buffer.getvalue()


def _listed(record: Record, flagged_only: bool) -> bool:
    if isinstance(record, ScopeRecord):
        return record.incomplete
    if isinstance(record, InboundRecord):
        return not record.gone and (record.flagged or not flagged_only)
    if isinstance(record, ImageRecord):
        return not record.gone and (
            record.flagged
            or record.error is not None
            or (bool(record.shared_account_ids) and not flagged_only)
        )
    return False


def _owner(record: Record) -> str | None:
    return (
        None
        if not isinstance(record, ImageRecord | InboundRecord | ScopeRecord)
        else record.account_id
    )


def _account_text(account_id: str | None, name: str | None) -> Text:
    if account_id is None:
        return Text("")
    return Text(literal(f"{account_id} ({name})" if name else account_id))


def _row(record: Record, marks: dict[ShareClass, str]) -> tuple[Text, ...]:
    if isinstance(record, ScopeRecord):
        code = record.error.code if record.error is not None else record.status
        return (
            _account_text(record.account_id, record.account_name),
            Text(literal(record.region or "every region")),
            Text("—"),
            Text(""),
            Text(""),
            Text(f"not audited: {literal(code)}", style="yellow"),
        )
    if isinstance(record, InboundRecord):
        mark = marks[record.owner_class]
        return (
            _account_text(record.account_id, record.account_name),
            Text(literal(record.region)),
            Text(literal(record.image_id)),
            Text("in"),
            Text(f"from {mark}{record.owner_account_id}"),
            Text("FLAGGED", style="bold red") if record.flagged else Text("shared in"),
        )
    assert isinstance(record, ImageRecord)
    return (
        _account_text(record.account_id, record.account_name),
        Text(literal(record.region)),
        Text(literal(record.image_id)),
        Text(str(len(record.shared_account_ids))),
        _accounts_cell(record, marks),
        _status_cell(record),
    )


def _accounts_cell(record: ImageRecord, marks: dict[ShareClass, str]) -> Text:
    flagged = record.unexpected_account_ids
    others = [a for a in record.shared_account_ids if a not in set(flagged)]
    listed = [(f"!{a}", "bold red") for a in flagged]
    listed += [
        (f"{marks[record.class_of(a) or 'unknown']}{a}", "")
        for a in others[: max(TABLE_ACCOUNTS_SHOWN - len(listed), 0)]
    ]
    cell = Text()
    for position, (account, style) in enumerate(listed):
        cell.append(("" if position == 0 else " ") + literal(account), style=style)
    if hidden := len(record.shared_account_ids) - len(listed):
        cell.append(f" … +{hidden} more", style="dim")
    return cell


def _status_cell(record: ImageRecord) -> Text:
    if record.error is not None:
        return Text(f"error: {literal(record.error.code)}", style="yellow")
    if record.flagged:
        return Text("FLAGGED", style="bold red")
    return Text("ok", style="green")
