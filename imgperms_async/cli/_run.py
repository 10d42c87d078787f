"""A command's run from its first request to its exit status, whichever way it ends.

It finishes (0, 1 or 3 from the records); it is interrupted by Ctrl-C (130) or SIGTERM (143),
as ``docker stop`` sends, and keeps what its format can keep; its reader closes the pipe (141,
quietly, as ``yes | head`` ends); or its output fails, and the records are saved elsewhere.
"""

from __future__ import annotations

import asyncio
import gc
import os
import signal
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from contextlib import aclosing, contextmanager
from dataclasses import dataclass, field
from typing import Any, Final, Literal

import click

from imgperms_async import Audit, Baseline, ExpiredExemptionRecord, Record, ScopeRecord, record_of
from imgperms_async.cli._errors import SetupError, setup_error
from imgperms_async.cli._output import OutputError
from imgperms_async.cli._progress import ProgressView, showing_meanwhile, view_for
from imgperms_async.cli._status import BROKEN_PIPE, INCOMPLETE, OK, FailOn
from imgperms_async.cli._summary import RunFacts, echo_summary, plural, summary_lines
from imgperms_async.cli._tally import Tally
from imgperms_async.cli._writers import RecordWriter

After = Callable[[Audit, "Recorder"], Awaitable[tuple[list[str], bool]]]
"""Work done once every record is in, while the audit is still open (the Security Hub import);
answers lines for the summary, and whether some of it failed (which makes the run incomplete)."""


class Interrupted(Exception):
    """Ctrl-C or SIGTERM ended the run; ``exit_code`` is what a shell expects (128 + signal)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.exit_code = 128 + signum


def run_event_loop(main: Coroutine[Any, Any, None]) -> None:
    """Run ``main`` on uvloop when it is installed (the ``speed`` extra), else asyncio.

    SIGINT and SIGTERM both cancel ``main`` and raise ``Interrupted`` (signals reach only the
    main thread: a CLI embedded in another thread runs without handlers).
    """
    try:
        import uvloop
    except ImportError:
        loop_factory = None
    else:
        loop_factory = uvloop.new_event_loop
    received: list[int] = []
    handled = (
        (signal.SIGINT, signal.SIGTERM)
        if threading.current_thread() is threading.main_thread()
        else ()
    )

    async def guarded() -> None:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None

        def stop(signum: int) -> None:
            received.append(signum)
            task.cancel()

        for signum in handled:
            loop.add_signal_handler(signum, stop, signum)
        try:
            await main
        finally:
            for signum in handled:
                loop.remove_signal_handler(signum)

    with asyncio.Runner(loop_factory=loop_factory) as runner:
        try:
            runner.run(guarded())
        except asyncio.CancelledError:
            if received:
                raise Interrupted(received[0]) from None
            raise


@dataclass
class Recorder:
    """The one path every record of a run takes: compared with the baseline, written, tallied,
    and kept when something after the audit needs them."""

    writer: RecordWriter
    baseline: Baseline | None = None
    keep: bool = False
    tally: Tally = field(default_factory=Tally)
    kept: list[Record] = field(default_factory=list)
    regions: set[str] = field(default_factory=set)
    listed: list[tuple[str | None, str]] = field(default_factory=list)
    """Scopes listed in full, which the baseline's images missing from them disappeared from;
    kept only against a baseline (17 for each account of an organization audit)."""

    def add(self, record: Record) -> None:
        if self.baseline is not None and not isinstance(
            record, ScopeRecord | ExpiredExemptionRecord
        ):
            record = self.baseline.compare(record)
        if (
            isinstance(record, ScopeRecord)
            and record.status in ("audited", "failed")
            and record.region is not None
        ):
            self.regions.add(record.region)
        self._keep(record)

    def finish(self, audit: Audit) -> None:
        """The run is over: exceptions past their date, and the baseline's images it did not
        see in scopes it listed in full."""
        for exemption in audit.expired_exemptions:
            self._keep(ExpiredExemptionRecord(exemption))
        if self.baseline is not None:
            for record in self.baseline.disappeared(self.listed):
                self._keep(record)

    def _keep(self, record: Record) -> None:
        self.writer.add(record)
        self.tally.add(record)
        if self.keep:
            self.kept.append(record)


COLLECT_AFTER_ALLOCATIONS: Final = 50_000
"""New container objects between two passes of the cyclic collector during an audit (CPython's
default is 700)."""


@contextmanager
def collecting_less() -> Iterator[None]:
    """The cyclic collector's first pass after ``COLLECT_AFTER_ALLOCATIONS`` new objects, and
    nothing that existed before the audit began (modules, botocore's models) looked at again.

    An organization audit keeps hundreds of scopes in flight, each a few hundred small objects
    (coroutines, tasks, a call pipeline), so at the default every pass found most of them alive
    and moved them to an older generation, whose passes grow with the heap: at 1,000 accounts x
    17 regions the collector took 4.0 s of the audit's 21.3 s of CPU; with this, under 0.3 s.
    Cycles are still collected. The process's own settings come back when the audit ends, as a
    CLI run in-process (tests, a notebook) expects; a process that had frozen objects of its own
    keeps them, and these, frozen.
    """
    thresholds = gc.get_threshold()
    frozen_before = gc.get_freeze_count()
    gc.freeze()
    gc.set_threshold(COLLECT_AFTER_ALLOCATIONS, *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        if frozen_before == 0:
            gc.unfreeze()


def _silence_stdout() -> None:
    """The reader of stdout went away: point it at /dev/null, so the interpreter's last flush
    does not complain about the broken pipe."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


async def _drive(
    audit: Audit,
    recorder: Recorder,
    view: ProgressView,
    *,
    profile: str | None,
    after: After | None,
) -> tuple[list[str], bool]:
    phase: Literal["listing", "auditing", "done"] = "listing"

    def show() -> None:
        if phase == "listing":
            view.listing(audit.progress)
        elif phase == "auditing":
            view.audit(audit.progress, lambda: audit.totals.throttles)

    async with showing_meanwhile(show):
        try:
            await audit.__aenter__()
        except Exception as error:
            raise setup_error(error, profile=profile) from None
        phase = "auditing"
        try:
            with collecting_less():
                await _record_all(audit, recorder)
            show()
            phase = "done"
            recorder.finish(audit)
            return ([], False) if after is None else await after(audit, recorder)
        finally:
            await audit.__aexit__(None, None, None)


async def _record_all(audit: Audit, recorder: Recorder) -> None:
    lists = audit.lists_images and recorder.baseline is not None
    async with aclosing(audit.results()) as results:
        async for item in results:
            record = record_of(item)
            if lists and isinstance(record, ScopeRecord) and record.status == "audited":
                assert record.region is not None
                recorder.listed.append((record.account_id, record.region))
            recorder.add(record)


def run_audit(
    audit: Audit,
    recorder: Recorder,
    *,
    progress: bool | None,
    profile: str | None,
    fail_on: FailOn = "any",
    fail_on_unknown: bool = False,
    after: After | None = None,
) -> int:
    """Run the audit to its end, or to an interruption, writing its records; the exit status."""
    started = time.monotonic()
    interrupted: Interrupted | None = None
    extra: list[str] = []
    after_failed: list[bool] = []
    writer = recorder.writer

    async def main() -> None:
        lines, failed = await _drive(audit, recorder, view, profile=profile, after=after)
        extra.extend(lines)
        after_failed.append(failed)

    with view_for(progress) as view:
        try:
            run_event_loop(main())
        except Interrupted as received:
            interrupted = received
        except SetupError:
            writer.abandon()
            raise
        except BrokenPipeError:
            writer.abandon()
            _silence_stdout()
            return BROKEN_PIPE
    facts = RunFacts(
        accounts=len(audit.accounts) if audit.spans_accounts else None,
        regions=len(recorder.regions),
        elapsed_secs=time.monotonic() - started,
        totals=audit.totals,
        baseline=recorder.baseline,
        regions_without_workspaces=audit.regions_without_workspaces,
    )
    tally = recorder.tally
    if interrupted is not None:
        kept = (
            "the output keeps them, one record each"
            if writer.streams
            else "nothing was written (only jsonl and ocsf output are written as images finish)"
        )
        click.echo(f"interrupted: {plural(tally.finished, 'image')} finished; {kept}", err=True)
        try:
            writer.abandon()
        except OutputError as error:
            click.echo(str(error), err=True)
        echo_summary(summary_lines(tally, facts))
        return interrupted.exit_code
    try:
        writer.finish()
    except BrokenPipeError:
        _silence_stdout()
        return BROKEN_PIPE
    except OutputError as error:
        raise SetupError(str(error)) from None
    echo_summary([*summary_lines(tally, facts), *extra])
    status = tally.exit_status(fail_on=fail_on, fail_on_unknown=fail_on_unknown)
    return INCOMPLETE if status == OK and any(after_failed) else status
