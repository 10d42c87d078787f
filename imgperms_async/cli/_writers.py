"""Record writers: jsonl as each image finishes, whole documents (json, csv, table) at the end.

jsonl is written and flushed one record at a time, so an interrupted run keeps every finished
image. The other formats are rendered once at the end, so a failed run never leaves half of one.
A write that fails for any reason but a closed pipe keeps the records in a fallback file, and the
error names it: results are never lost to a full disk or a broken device.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from imgperms_async.cli._output import OutputError, Sink, fallback_sink, save_fallback
from imgperms_async.cli._records import AuditRecord, render_json_line


class RecordWriter(Protocol):
    def add(self, record: AuditRecord) -> None: ...

    def finish(self) -> None:
        """The run ended normally (flagged or with errors included): write everything."""

    def abandon(self) -> None:
        """The run was interrupted: keep only what the format can keep whole."""


class JsonLinesWriter:
    """One complete line per finished image, flushed at once.

    When the destination fails mid-run, the line that failed and every later one go to a
    fallback file instead, and ``finish`` reports where.
    """

    def __init__(self, sink: Sink) -> None:
        self._sink = sink
        self._failure: str | None = None

    def add(self, record: AuditRecord) -> None:
        line = render_json_line(record)
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

    def __init__(
        self, render: Callable[[Sequence[AuditRecord]], str], sink: Sink, *, suffix: str
    ) -> None:
        self._render = render
        self._sink = sink
        self._suffix = suffix
        self._records: list[AuditRecord] = []

    def add(self, record: AuditRecord) -> None:
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
