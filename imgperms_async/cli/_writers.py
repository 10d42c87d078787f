"""Record writers: jsonl as each image finishes, whole documents (json, csv, table) at the end.

jsonl is written and flushed one record at a time, so an interrupted run keeps every finished
image. The other formats are rendered once at the end, so a failed run never leaves half of one.
A write that fails for any reason but a closed pipe keeps the records in a fallback file, and the
error names it: results are never lost to a full disk or a broken device.
"""

from __future__ import annotations

import datetime
import sys
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Final, Literal, Protocol

from rich.console import Console

from imgperms_async import Record, compliance
from imgperms_async.cli._documents import render_csv, render_json, render_json_line, reported
from imgperms_async.cli._errors import SetupError
from imgperms_async.cli._html import render_html
from imgperms_async.cli._junit import render_junit
from imgperms_async.cli._ocsf import findings
from imgperms_async.cli._output import (
    OutputError,
    Sink,
    fallback_sink,
    open_output,
    save_fallback,
    stdout_sink,
)
from imgperms_async.cli._table import render_table

Format = Literal["table", "json", "jsonl", "csv", "ocsf", "junit", "html"]
STREAMED: Final = frozenset({"jsonl", "ocsf"})
"""Formats written as each image finishes, and appended to an existing file."""


class RecordWriter(Protocol):
    @property
    def streams(self) -> bool:
        """Each record is written as it finishes, so an interrupted run keeps those."""

    def add(self, record: Record) -> None: ...

    def finish(self) -> None:
        """The run ended normally (flagged or with errors included): write everything."""

    def abandon(self) -> None:
        """The run was interrupted: keep only what the format can keep whole."""


class JsonLinesWriter:
    """Complete lines for each finished image, flushed at once: a record a line (jsonl), or
    whatever ``render`` makes of it (OCSF findings).

    When the destination fails mid-run, the line that failed and every later one go to a
    fallback file instead, and ``finish`` reports where.
    """

    streams = True

    def __init__(self, sink: Sink, *, render: Callable[[Record], str]) -> None:
        self._sink = sink
        self._render = render
        self._failure: str | None = None

    def add(self, record: Record) -> None:
        line = self._render(record)
        if not line:
            return
        try:
            self._sink.write(line)
        except BrokenPipeError:
            raise
        except OSError as error:
            if self._failure is not None:
                raise
            failed, self._sink = self._sink, fallback_sink(suffix=".jsonl")
            self._failure = (
                f"cannot write the report to {failed.name}: {error.strerror or error}; "
                f"the records from then on are in {self._sink.name}"
            )
            failed.discard()
            self._sink.write(line)

    def finish(self) -> None:
        self._sink.commit()
        if self._failure is not None:
            raise OutputError(self._failure)

    def abandon(self) -> None:
        self.finish()


class DocumentWriter:
    """Collects every record and renders the document once, at the end."""

    streams = False

    def __init__(
        self, render: Callable[[Sequence[Record]], str], sink: Sink, *, suffix: str
    ) -> None:
        self._render = render
        self._sink = sink
        self._suffix = suffix
        self._records: list[Record] = []

    def add(self, record: Record) -> None:
        self._records.append(record)

    def finish(self) -> None:
        text = self._render(self._records)
        try:
            self._sink.write(text)
            self._sink.commit()
        except BrokenPipeError:
            raise
        except OSError as error:
            self._sink.discard()
            where = save_fallback(text, suffix=self._suffix)
            raise OutputError(
                f"cannot write the report to {self._sink.name}: {error.strerror or error}; "
                f"it was saved to {where}"
            ) from None

    def abandon(self) -> None:
        self._records.clear()
        self._sink.discard()


def writer_for(
    output_format: Format, output: Path | None, *, per_account: bool, inbound: bool = False
) -> RecordWriter:
    """The writer of a format, its output opened (and checked) now, before any request.
    ``per_account``: the records name their accounts (an audit beyond the caller's own);
    ``inbound``: images shared in are audited too (csv then has columns for them)."""
    sink = _sink(output, append=output_format in STREAMED)
    if output_format == "jsonl":
        return JsonLinesWriter(sink, render=render_json_line)
    if output_format == "ocsf":
        return JsonLinesWriter(sink, render=lambda record: "".join(findings(record)))
    if output_format == "junit":
        return DocumentWriter(render_junit, sink, suffix=".xml")
    if output_format == "json":
        return DocumentWriter(render_json, sink, suffix=".json")
    if output_format == "html":
        return DocumentWriter(render_html_report, sink, suffix=".html")
    if output_format == "csv":
        return DocumentWriter(
            partial(render_csv, per_account=per_account, inbound=inbound), sink, suffix=".csv"
        )
    return table_writer(
        sink, to_terminal=output is None and sys.stdout.isatty(), per_account=per_account
    )


def render_html_report(records: Sequence[Record]) -> str:
    return render_html(
        [record.to_json() for record in records if reported(record)],
        generated_at=datetime.datetime.now(datetime.UTC),
        compliance={r.standard: r.requirements for r in compliance()},
    )


def table_writer(
    sink: Sink, *, to_terminal: bool, per_account: bool, flagged_only: bool = False
) -> RecordWriter:
    """The table, as wide and as coloured as the terminal it goes to, else 120 plain columns."""
    width = Console(file=sys.stdout).width if to_terminal else 120

    def render(records: Sequence[Record]) -> str:
        return render_table(
            records,
            width=width,
            color=to_terminal,
            flagged_only=flagged_only,
            per_account=per_account,
        )

    return DocumentWriter(render, sink, suffix=".txt")


def _sink(output: Path | None, *, append: bool) -> Sink:
    if output is None:
        return stdout_sink()
    try:
        return open_output(output, append=append)
    except OutputError as error:
        raise SetupError(str(error)) from None
