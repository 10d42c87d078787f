"""One audit run: a client per region, fan-out over the images, records to a writer, progress on a bar."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncGenerator, Callable, Coroutine
from contextlib import AsyncExitStack, aclosing
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from imgperms_async import ClientConfig, ImagePermissionsClient, StatsSnapshot
from imgperms_async._report import Record, RecordWriter, Tally, build_record

logger = logging.getLogger("imgperms_async.cli")


def run_event_loop(main: Coroutine[Any, Any, None]) -> None:
    """On uvloop when it is installed (the ``speed`` extra): measured at 7-16 % more requests
    per second and as much less CPU per request (``python -m benchmarks``)."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(main)
        return
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(main)


@dataclass(frozen=True)
class AuditPlan:
    """Everything a run needs, checked: ``image_ids`` ``None`` means every owned image."""

    regions: tuple[str | None, ...]
    image_ids: tuple[str, ...] | None
    allowlist: frozenset[str] | None
    concurrency: int
    config: ClientConfig
    endpoint_url: str | None = None
    profile: str | None = None
    access_key: str | None = None
    secret_key: str | None = field(default=None, repr=False)

    def client(self, region: str | None) -> ImagePermissionsClient:
        return ImagePermissionsClient(
            region_name=region,
            endpoint_url=self.endpoint_url,
            profile_name=self.profile,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            config=self.config,
        )


class ProgressView:
    """A rich progress bar on stderr, or nothing at all when progress is off."""

    def __init__(self, console: Console | None, *, total: int | None) -> None:
        self._progress: Progress | None = None
        self._task = TaskID(0)
        self._started = time.monotonic()
        if console is not None:
            self._progress = Progress(
                TextColumn("auditing"),
                BarColumn(),
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

    def advance(self, *, finished: int, throttles: Callable[[], int]) -> None:
        """``throttles`` is only asked for when a bar is shown: it snapshots every client's stats."""
        if self._progress is None:
            return
        elapsed = max(time.monotonic() - self._started, 1e-9)
        detail = f"{finished / elapsed:6.1f} img/s  {throttles()} throttles"
        self._progress.update(self._task, completed=finished, detail=detail)


class Audit:
    """One run over every region of a plan, feeding records to a writer as images finish."""

    def __init__(self, plan: AuditPlan, writer: RecordWriter, view: ProgressView) -> None:
        self._plan = plan
        self._writer = writer
        self._view = view
        self._clients: list[ImagePermissionsClient] = []
        self.tally = Tally()
        self.listing_errors: list[tuple[str, BaseException]] = []
        self.image_errors: list[Record] = []
        self.stats: list[StatsSnapshot] = []
        self._listed: list[int] = []

    async def run(self) -> None:
        """Open every region's client first, so a region or credential problem stops the run
        before any request; then audit the regions concurrently."""
        async with AsyncExitStack() as clients:
            for region in self._plan.regions:
                self._clients.append(await clients.enter_async_context(self._plan.client(region)))
            plan = self._plan
            logger.debug(
                "auditing %s in %s; endpoint %s; %d images at once; %r",
                "every image" if plan.image_ids is None else f"{len(plan.image_ids)} image ids",
                ", ".join(client.region_name for client in self._clients),
                self._clients[0].endpoint_url,
                plan.concurrency,
                plan.config,
            )
            try:
                await asyncio.gather(*(self._audit_region(client) for client in self._clients))
            finally:
                self.stats = [client.stats for client in self._clients]

    async def _audit_region(self, client: ImagePermissionsClient) -> None:
        region = client.region_name
        ids = self._plan.image_ids
        source = self._every_image(client) if ids is None else ids
        async with aclosing(client.fan_out(source, concurrency=self._plan.concurrency)) as results:
            async for result in results:
                record = build_record(region, result, self._plan.allowlist)
                self._writer.add(record)
                self.tally.add(record)
                if result.error is not None:
                    self.image_errors.append(record)
                    logger.debug("%s %s failed", region, result.image_id, exc_info=result.error)
                self._view.advance(finished=self.tally.finished, throttles=self.throttles)

    async def _every_image(self, client: ImagePermissionsClient) -> AsyncGenerator[str]:
        """Every owned image; a listing that fails ends this region's input, not the run."""
        count = 0
        try:
            async for image_id in client.iter_image_ids():
                count += 1
                yield image_id
        except Exception as error:
            self.tally.failed_regions.append(client.region_name)
            self.listing_errors.append((client.region_name, error))
        self._listed.append(count)
        if len(self._listed) == len(self._clients):
            self._view.set_total(sum(self._listed))

    def throttles(self) -> int:
        return sum(sum(client.stats.throttles.values()) for client in self._clients)
