"""The table format: shared and failed images for a person to read, drawn with rich."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Final

from rich.console import Console
from rich.table import Table
from rich.text import Text

from imgperms_async.cli._literal import literal
from imgperms_async.cli._records import AuditRecord, Tally, sorted_records
from imgperms_async.cli._summary import plural

TABLE_ACCOUNTS_SHOWN: Final = 4
"""Accounts listed per table row; flagged ones always come first, the rest are counted."""


def render_table(
    records: Sequence[AuditRecord], *, width: int, color: bool, flagged_only: bool = False
) -> str:
    """Shared and failed images, flagged accounts first and marked ``!``; private ones are
    only counted, since listing them tells nobody anything. Every cell is ``Text``, never
    markup, so an id like ``[red]x`` is shown as typed."""
    tally = Tally.of(records)
    shown = [
        record
        for record in sorted_records(records)
        if record.flagged
        or record.error is not None
        or (record.shared_account_ids and not flagged_only)
    ]
    caption = (
        f"{plural(len(records), 'image')}: {tally.shared} shared, {tally.flagged} flagged, "
        f"{plural(tally.errors, 'error')}, {tally.private} not shared"
    )
    if flagged_only:
        caption += " (only flagged images and errors are listed)"
    table = Table(
        caption=Text(caption + "\n! marks an account outside the allowlist"),
        caption_justify="left",
    )
    for column in ("region", "image", "shares", "accounts", "status"):
        table.add_column(column, justify="right" if column == "shares" else "left")
    for record in shown:
        table.add_row(
            Text(literal(record.region)),
            Text(literal(record.image_id)),
            Text(str(len(record.shared_account_ids))),
            _accounts_cell(record),
            _status_cell(record),
        )
    buffer = io.StringIO()
    console = Console(
        file=buffer, width=width, force_terminal=color, no_color=not color, highlight=False
    )
    console.print(table)
    return buffer.getvalue()


def _accounts_cell(record: AuditRecord) -> Text:
    unexpected = set(record.unexpected_account_ids)
    others = [a for a in record.shared_account_ids if a not in unexpected]
    listed = [(f"!{a}", "bold red") for a in record.unexpected_account_ids]
    listed += [(a, "") for a in others[: max(TABLE_ACCOUNTS_SHOWN - len(listed), 0)]]
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
