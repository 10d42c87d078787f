"""The progress bar on stderr: what is done of the total, how fast, and what it met on the way."""

from __future__ import annotations

import time
from collections.abc import Callable
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)


class ProgressView:
    """A rich progress bar on stderr, or nothing at all when progress is off."""

    def __init__(self, console: Console | None, *, total: int | None, unit: str = "images") -> None:
        self._progress: Progress | None = None
        self._task = TaskID(0)
        self._started = time.monotonic()
        if console is not None:
            self._progress = Progress(
                TextColumn(f"auditing {unit}"),
                BarColumn(bar_width=10),
                MofNCompleteColumn(),
                TextColumn("{task.fields[detail]}"),
                TimeElapsedColumn(),
                console=console,
                transient=False,
            )
            self._task = self._progress.add_task("audit", total=total, detail="")

    def __enter__(self) -> ProgressView:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()

    def set_total(self, total: int) -> None:
        if self._progress is not None:
            self._progress.update(self._task, total=total)

    def advance(self, *, finished: int, detail: Callable[[float], str]) -> None:
        """``detail`` (given the seconds since the start) is only asked for when a bar is shown:
        it may snapshot every client's stats."""
        if self._progress is None:
            return
        elapsed = max(time.monotonic() - self._started, 1e-9)
        self._progress.update(self._task, completed=finished, detail=detail(elapsed))
