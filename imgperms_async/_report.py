"""Audit records as the CLI contract shapes them, the exit code they add up to, and their writers.

jsonl is written and flushed one record at a time, so an interrupted run keeps every finished
image. The other formats are whole documents: they are rendered once at the end and replaced
atomically, so a reader (or a failed run) never sees half of one. The table is drawn with rich.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Protocol, TextIO

from botocore.exceptions import ClientError as BotocoreClientError
from rich.console import Console
from rich.table import Table
from rich.text import Text

from imgperms_async._fanout import ImagePermissionsResult

EXIT_OK: Final = 0
EXIT_FLAGGED: Final = 1
EXIT_USAGE: Final = 2
EXIT_INCOMPLETE: Final = 3
EXIT_INTERRUPTED: Final = 130

CSV_HEADER: Final = ("region", "image_id", "shared_account_id", "unexpected", "error_code")

Record = dict[str, Any]


def error_fields(error: BaseException) -> dict[str, str]:
    """The service's error code when there is one, else the exception class, on a single line."""
    code = type(error).__name__
    message = str(error)
    if isinstance(error, BotocoreClientError):
        details = error.response.get("Error", {})
        code = details.get("Code") or code
        message = details.get("Message") or message
    return {"code": code, "message": " ".join(message.split()) or code}


def build_record(
    region: str, result: ImagePermissionsResult, allowlist: frozenset[str] | None
) -> Record:
    shared = list(result.shared_account_ids)
    unexpected = [] if allowlist is None else [a for a in shared if a not in allowlist]
    return {
        "region": region,
        "image_id": result.image_id,
        "shared_account_ids": shared,
        "unexpected_account_ids": unexpected,
        "pages": result.pages,
        "error": None if result.error is None else error_fields(result.error),
    }


@dataclass
class Tally:
    """Running counts over the records, and what they mean for the exit code."""

    audited: int = 0
    shared: int = 0
    flagged: int = 0
    errors: int = 0
    failed_regions: list[str] = field(default_factory=list)

    @property
    def finished(self) -> int:
        return self.audited + self.errors

    def add(self, record: Record) -> None:
        if record["error"] is None:
            self.audited += 1
        else:
            self.errors += 1
        if record["shared_account_ids"]:
            self.shared += 1
        if record["unexpected_account_ids"]:
            self.flagged += 1

    @property
    def exit_code(self) -> int:
        if self.flagged:
            return EXIT_FLAGGED
        if self.errors or self.failed_regions:
            return EXIT_INCOMPLETE
        return EXIT_OK


def sorted_records(records: Sequence[Record]) -> list[Record]:
    """Whole documents come out in a stable order, whatever order the images finished in."""
    return sorted(records, key=lambda record: (record["region"], record["image_id"]))


def render_json(records: Sequence[Record]) -> str:
    return json.dumps(sorted_records(records), indent=2) + "\n"


def render_csv(records: Sequence[Record]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for record in sorted_records(records):
        error_code = "" if record["error"] is None else record["error"]["code"]
        unexpected = set(record["unexpected_account_ids"])
        for account in record["shared_account_ids"]:
            flag = "true" if account in unexpected else "false"
            writer.writerow((record["region"], record["image_id"], account, flag, error_code))
        if not record["shared_account_ids"] or record["error"] is not None:
            writer.writerow((record["region"], record["image_id"], "", "", error_code))
    return buffer.getvalue()


def atomic_write(path: Path, text: str) -> None:
    """Write beside the target, then rename over it: readers see the old file or the new one."""
    descriptor, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, _mode_for(path))
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def _mode_for(path: Path) -> int:
    """Keep an existing file's permissions; a new one gets what ``open`` would give it."""
    try:
        return path.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


class RecordWriter(Protocol):
    def add(self, record: Record) -> None: ...

    def finish(self) -> None:
        """The run ended normally (flagged or with errors included): write everything."""

    def abandon(self) -> None:
        """The run was interrupted: keep only what the format can keep whole."""


class JsonLinesWriter:
    """One complete line per finished image, flushed at once; appends to an existing file."""

    def __init__(self, stream: TextIO, *, owned: bool) -> None:
        self._stream = stream
        self._owned = owned

    def add(self, record: Record) -> None:
        self._stream.write(json.dumps(record) + "\n")
        self._stream.flush()

    def finish(self) -> None:
        self._close()

    def abandon(self) -> None:
        self._close()

    def _close(self) -> None:
        if self._owned:
            self._stream.close()


class DocumentWriter:
    """Collects every record and renders the document once, to stdout or atomically to a file."""

    def __init__(
        self,
        render: Callable[[Sequence[Record]], str],
        *,
        path: Path | None,
        stdout: Callable[[str], object],
    ) -> None:
        self._render = render
        self._path = path
        self._stdout = stdout
        self._records: list[Record] = []

    def add(self, record: Record) -> None:
        self._records.append(record)

    def finish(self) -> None:
        text = self._render(self._records)
        if self._path is None:
            self._stdout(text)
        else:
            atomic_write(self._path, text)

    def abandon(self) -> None:
        self._records.clear()


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


TABLE_ACCOUNTS_SHOWN: Final = 4
"""Accounts listed per table row; flagged ones always come first, the rest are counted."""


def render_table(
    records: Sequence[Record], *, width: int, color: bool, flagged_only: bool = False
) -> str:
    """Shared and failed images, flagged accounts first and marked ``!``; private ones are
    only counted, since listing them tells nobody anything."""
    tally = Tally()
    for record in records:
        tally.add(record)
    shown = [
        record
        for record in sorted_records(records)
        if record["unexpected_account_ids"]
        or record["error"] is not None
        or (record["shared_account_ids"] and not flagged_only)
    ]
    private = sum(1 for r in records if not r["shared_account_ids"] and r["error"] is None)
    caption = (
        f"{plural(len(records), 'image')}: {tally.shared} shared, {tally.flagged} flagged, "
        f"{plural(tally.errors, 'error')}, {private} not shared"
    )
    if flagged_only:
        caption += " (only flagged images and errors are listed)"
    table = Table(
        caption=caption + "\n! marks an account outside the allowlist", caption_justify="left"
    )
    for column in ("region", "image", "shares", "accounts", "status"):
        table.add_column(column, justify="right" if column == "shares" else "left")
    for record in shown:
        table.add_row(
            record["region"],
            record["image_id"],
            str(len(record["shared_account_ids"])),
            _accounts_cell(record),
            _status_cell(record),
        )
    buffer = io.StringIO()
    console = Console(
        file=buffer, width=width, force_terminal=color, no_color=not color, highlight=False
    )
    console.print(table)
    return buffer.getvalue()


def _accounts_cell(record: Record) -> Text:
    unexpected = record["unexpected_account_ids"]
    others = [a for a in record["shared_account_ids"] if a not in set(unexpected)]
    cell = Text()
    listed = [(f"!{a}", "bold red") for a in unexpected]
    listed += [(a, "") for a in others[: max(TABLE_ACCOUNTS_SHOWN - len(listed), 0)]]
    for position, (account, style) in enumerate(listed):
        cell.append(("" if position == 0 else " ") + account, style=style)
    if hidden := len(record["shared_account_ids"]) - len(listed):
        cell.append(f" … +{hidden} more", style="dim")
    return cell


def _status_cell(record: Record) -> Text:
    if record["error"] is not None:
        return Text(f"error: {record['error']['code']}", style="yellow")
    if record["unexpected_account_ids"]:
        return Text("FLAGGED", style="bold red")
    return Text("ok", style="green")
