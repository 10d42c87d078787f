"""The table format: shared and failed images for a person to read, drawn with rich.

An organization audit groups the rows by account, one section each, and lists the scopes it
could not audit among them; private images are only counted, since listing them tells nobody
anything. Every cell is ``Text``, never markup, so an id like ``[red]x`` is shown as typed.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from itertools import groupby
from typing import Final

from rich.console import Console
from rich.table import Table
from rich.text import Text

from imgperms_async.cli._literal import literal
from imgperms_async.cli._records import AuditRecord, Record, ScopeRecord, Tally, sorted_records
from imgperms_async.cli._summary import plural

TABLE_ACCOUNTS_SHOWN: Final = 4
"""Accounts listed per table row; flagged ones always come first, the rest are counted."""

_MARKS: Final = {"external": "!", "allowlisted": "+", "organization": ""}


def render_table(
    records: Sequence[Record],
    *,
    width: int,
    color: bool,
    flagged_only: bool = False,
    organization: bool = False,
) -> str:
    tally = Tally.of(records)
    shown = [record for record in sorted_records(records) if _listed(record, flagged_only)]
    caption = (
        f"{plural(tally.finished, 'image')}: {tally.shared} shared, {tally.flagged} flagged, "
        f"{plural(tally.errors, 'error')}, {tally.private} not shared"
    )
    if flagged_only:
        caption += " (only flagged images and errors are listed)"
    legend = (
        "! marks an account outside the organization and the allowlist, + an allowlisted one"
        if organization
        else "! marks an account outside the allowlist"
    )
    table = Table(caption=Text(f"{caption}\n{legend}"), caption_justify="left")
    columns = ("account", "region", "image", "shares", "accounts", "status")
    for column in columns if organization else columns[1:]:
        table.add_column(column, justify="right" if column == "shares" else "left")
    for _, group in groupby(shown, key=_account_of):
        for record in group:
            row = _scope_row(record) if isinstance(record, ScopeRecord) else _image_row(record)
            table.add_row(*(row if organization else row[1:]))
        if organization:
            table.add_section()
    buffer = io.StringIO()
    console = Console(
        file=buffer, width=width, force_terminal=color, no_color=not color, highlight=False
    )
    console.print(table)
    return buffer.getvalue()


def _listed(record: Record, flagged_only: bool) -> bool:
    if isinstance(record, ScopeRecord):
        return record.failed
    return (
        record.flagged
        or record.error is not None
        or (bool(record.shared_account_ids) and not flagged_only)
    )


def _account_of(record: Record) -> str:
    return record.account_id or ""


def _account_text(account_id: str | None, name: str | None) -> Text:
    if account_id is None:
        return Text("")
    return Text(literal(f"{account_id} ({name})" if name else account_id))


def _image_row(record: AuditRecord) -> tuple[Text, ...]:
    owner = record.owner
    return (
        _account_text(owner.account_id, owner.account_name) if owner else Text(""),
        Text(literal(record.region)),
        Text(literal(record.image_id)),
        Text(str(len(record.shared_account_ids))),
        _accounts_cell(record),
        _status_cell(record),
    )


def _scope_row(record: ScopeRecord) -> tuple[Text, ...]:
    code = record.error.code if record.error is not None else record.status
    return (
        _account_text(record.account_id, record.account_name),
        Text(literal(record.region or "every region")),
        Text("—"),
        Text(""),
        Text(""),
        Text(f"error: {literal(code)}", style="yellow"),
    )


def _accounts_cell(record: AuditRecord) -> Text:
    unexpected = set(record.unexpected_account_ids)
    marks = dict(
        zip(
            record.shared_account_ids,
            (_MARKS[c] for c in record.share_classes) if record.share_classes else (),
            strict=False,
        )
    )
    others = [a for a in record.shared_account_ids if a not in unexpected]
    listed = [(f"!{a}", "bold red") for a in record.unexpected_account_ids]
    listed += [
        (f"{marks.get(a, '')}{a}", "") for a in others[: max(TABLE_ACCOUNTS_SHOWN - len(listed), 0)]
    ]
    cell = Text()
    for position, (account, style) in enumerate(listed):
        cell.append(("" if position == 0 else " ") + literal(account), style=style)
    if hidden := len(record.shared_account_ids) - len(listed):
        cell.append(f" … +{hidden} more", style="dim")
    return cell


def _status_cell(record: AuditRecord) -> Text:
    if record.error is not None:
        return Text(f"error: {literal(record.error.code)}", style="yellow")
    if record.flagged:
        return Text("FLAGGED", style="bold red")
    return Text("ok", style="green")
