"""A command's run from its first request to its exit status, whichever way it ends.

It finishes (0, 1 or 3 from the records); it is interrupted by Ctrl-C (130) or SIGTERM (143),
as ``docker stop`` sends, and keeps what its format can keep; its reader closes the pipe (141,
quietly, as ``yes | head`` ends); or its output fails, and the records are saved elsewhere.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
import time
from collections.abc import Coroutine
from typing import Any, Final

import click
from rich.console import Console

from imgperms_async.cli._audit import AuditRun
from imgperms_async.cli._errors import SetupError, SetupFailed
from imgperms_async.cli._output import OutputError
from imgperms_async.cli._progress import ProgressView
from imgperms_async.cli._records import FailOn
from imgperms_async.cli._summary import RunFacts, plural, summary_lines
from imgperms_async.cli._writers import RecordWriter

EXIT_SIGPIPE: Final = 128 + signal.SIGPIPE


class Interrupted(Exception):
    """Ctrl-C or SIGTERM ended the run; ``exit_code`` is what a shell expects (128 + signal)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.exit_code = 128 + signum


def run_event_loop(main: Coroutine[Any, Any, None]) -> None:
    """Run ``main`` on uvloop when it is installed (the ``speed`` extra: measured at 7-16 % more
    requests per second, ``python -m benchmarks``), else asyncio.

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

    handled = (signal.SIGINT, signal.SIGTERM) if _in_main_thread() else ()

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


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def _progress_console(progress: bool | None) -> Console | None:
    if progress is False or (progress is None and not sys.stderr.isatty()):
        return None
    return Console(file=sys.stderr, force_terminal=True if progress else None)


def _silence_stdout() -> None:
    """The reader of stdout went away: point it at /dev/null, so the interpreter's last flush
    does not complain about the broken pipe."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def execute(
    audit: AuditRun, writer: RecordWriter, *, progress: bool | None, fail_on: FailOn = "any"
) -> int:
    """Run the audit to its end, or to an interruption; returns the exit status.

    ``fail_on`` says which flagged shares make the run fail (exit 1): any, only those new
    since the baseline, or none (the demo flags on purpose).
    """
    started = time.monotonic()
    interrupted: Interrupted | None = None
    console = _progress_console(progress)
    with ProgressView(console, total=audit.progress_total, unit=audit.progress_unit) as view:
        try:
            run_event_loop(audit.run(view))
        except Interrupted as received:
            interrupted = received
        except SetupFailed as failed:
            writer.abandon()
            raise SetupError(failed.message()) from None
        except BrokenPipeError:
            writer.abandon()
            _silence_stdout()
            return EXIT_SIGPIPE
    facts = RunFacts(audit.where, time.monotonic() - started, audit.totals)
    if interrupted is not None:
        kept = (
            "the output keeps them, one record each"
            if writer.streams
            else "nothing was written (only jsonl and ocsf output are written as images finish)"
        )
        click.echo(
            f"interrupted: {plural(audit.recorder.tally.finished, 'image')} finished; {kept}",
            err=True,
        )
        try:
            writer.abandon()
        except OutputError as error:
            click.echo(str(error), err=True)
        for line in summary_lines(audit.recorder.tally, facts):
            click.echo(line, err=True)
        return interrupted.exit_code
    try:
        writer.finish()
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_SIGPIPE
    except OutputError as error:
        raise SetupError(str(error)) from None
    for line in summary_lines(audit.recorder.tally, facts):
        click.echo(line, err=True)
    return audit.recorder.tally.exit_code(fail_on=fail_on)
