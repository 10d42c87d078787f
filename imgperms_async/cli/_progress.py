"""Progress on stderr, so a long run never looks stuck: a bar on a terminal, a line now and then
elsewhere (a CI log), each saying how far the run has come: the organization's accounts listed,
then scopes, accounts, roles, images."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from types import TracebackType
from typing import Final, TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Column

from imgperms_async import AuditProgress

LOG_EVERY_SECS: Final = 10.0
"""How often a run without a terminal says where it is."""
REFRESH_EVERY_SECS: Final = 1.0
"""How often the progress shown is brought up to date, whether or not a result came meanwhile."""


def describe(progress: AuditProgress, throttles: int) -> str:
    parts = [f"{progress.images} images"]
    if progress.accounts > 1:
        parts.append(f"{progress.accounts_reached}/{progress.accounts} accounts reached")
    if progress.roles_assumed:
        parts.append(f"{progress.roles_assumed} roles assumed")
    parts.append(f"{throttles} throttles")
    return ", ".join(parts)


class ProgressView:
    """A rich bar of the scopes done, or a line every ``LOG_EVERY_SECS`` to ``log``, or nothing."""

    def __init__(
        self,
        *,
        console: Console | None,
        log: TextIO | None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._log = log
        self._clock = clock
        self._next_line_at = clock() + LOG_EVERY_SECS
        self._bar: Progress | None = None
        self._task = TaskID(0)
        if console is not None:
            self._bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(bar_width=10),
                MofNCompleteColumn(),
                # The detail gives way on a narrow terminal, never the count of what is done.
                TextColumn(
                    "{task.fields[detail]}",
                    table_column=Column(no_wrap=True, overflow="ellipsis", ratio=1),
                ),
                TimeElapsedColumn(),
                console=console,
                transient=False,
                expand=True,
            )
            self._task = self._bar.add_task("auditing", total=None, detail="")

    def __enter__(self) -> ProgressView:
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.stop()

    def update(
        self, *, completed: int, total: int | None, description: str, detail: Callable[[], str]
    ) -> None:
        """``detail`` is only asked for when something is shown: it may add up every scope's
        stats."""
        if self._bar is not None:
            self._bar.update(
                self._task,
                description=description,
                total=total,
                completed=completed,
                detail=detail(),
            )
        elif self._log is not None and self._clock() >= self._next_line_at:
            self._next_line_at = self._clock() + LOG_EVERY_SECS
            of = "" if total is None else f"/{total}"
            said = detail()
            self._log.write(
                f"progress: {description} {completed}{of}{', ' if said else ''}{said}\n"
            )
            self._log.flush()

    def listing(self, progress: AuditProgress) -> None:
        """Before the first scope: the organization's accounts read so far, if it is listed."""
        if progress.accounts_listed:
            self.update(
                completed=progress.accounts_listed,
                total=None,
                description="listing accounts",
                detail=lambda: "",
            )

    def audit(self, progress: AuditProgress, throttles: Callable[[], int]) -> None:
        by_image = progress.images_expected is not None
        self.update(
            completed=progress.images if by_image else progress.scopes_done,
            total=progress.images_expected if by_image else progress.scopes,
            description="auditing images" if by_image else "auditing scopes",
            detail=lambda: describe(progress, throttles()),
        )


async def keep_showing(
    show: Callable[[], None],
    *,
    every_secs: float,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> None:
    """``show()`` every ``every_secs`` until cancelled. On a clock, not on results: none comes
    while an organization's accounts are listed or while every scope waits on AWS, and a
    5,000-account run must not look stuck then."""
    while True:
        await sleep(every_secs)
        show()


@asynccontextmanager
async def showing_meanwhile(show: Callable[[], None]) -> AsyncIterator[None]:
    """``keep_showing(show)`` for as long as the block runs; a failure to show ends the showing,
    never the run."""
    ticker = asyncio.get_running_loop().create_task(
        keep_showing(show, every_secs=REFRESH_EVERY_SECS)
    )
    try:
        yield
    finally:
        ticker.cancel()
        await asyncio.gather(ticker, return_exceptions=True)


def view_for(progress: bool | None) -> ProgressView:
    """A bar on a terminal (or when asked), a line now and then otherwise, or nothing."""
    if progress is False:
        return ProgressView(console=None, log=None)
    if progress is None and not sys.stderr.isatty():
        return ProgressView(console=None, log=sys.stderr)
    console = Console(file=sys.stderr, force_terminal=True if progress else None)
    return ProgressView(console=console, log=None)
