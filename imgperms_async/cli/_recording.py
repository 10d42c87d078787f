"""What becomes of each record as an audit makes it: compared with the baseline, written, tallied."""

from __future__ import annotations

from collections.abc import Iterable

from imgperms_async.cli._baseline import Baseline, Scope
from imgperms_async.cli._records import AuditRecord, Record, Tally
from imgperms_async.cli._writers import RecordWriter


class Recorder:
    """The one path every record of a run takes, whichever kind of audit made it."""

    def __init__(self, writer: RecordWriter, *, baseline: Baseline | None) -> None:
        self._writer = writer
        self._baseline = baseline
        self.tally = Tally()

    def add(self, record: Record) -> None:
        """A record this run made: compared with the baseline, then kept."""
        if isinstance(record, AuditRecord) and self._baseline is not None:
            record = self._baseline.compare(record)
        self._keep(record)

    def finish(self, listed: Iterable[Scope]) -> None:
        """The run is over: the baseline's images it did not see in ``listed`` scopes are gone
        (records the baseline made, already compared: comparing them again would make them
        images of this run that lost every share)."""
        if self._baseline is not None:
            for record in self._baseline.disappeared(listed):
                self._keep(record)

    def _keep(self, record: Record) -> None:
        self._writer.add(record)
        self.tally.add(record)
