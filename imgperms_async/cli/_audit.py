"""One account's audit: a client per region, fan-out over the images, records to a writer as they finish."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator
from contextlib import AsyncExitStack, aclosing
from dataclasses import dataclass, field
from typing import Protocol

from imgperms_async import AuditTotals, ClientConfig, ImagePermissionsClient
from imgperms_async.cli._baseline import Baseline
from imgperms_async.cli._errors import SetupFailed
from imgperms_async.cli._literal import literal
from imgperms_async.cli._progress import ProgressView
from imgperms_async.cli._recording import Recorder
from imgperms_async.cli._records import AuditRecord, ErrorInfo, ScopeRecord
from imgperms_async.cli._summary import plural
from imgperms_async.cli._writers import RecordWriter

logger = logging.getLogger("imgperms_async.cli")


class AuditRun(Protocol):
    """What running an audit leaves for its ending: the tally, the failed records, the cost."""

    recorder: Recorder
    totals: AuditTotals

    @property
    def where(self) -> str:
        """Where it went, for the summary: "2 regions", "6 accounts, 16 regions"."""

    @property
    def progress_total(self) -> int | None: ...

    @property
    def progress_unit(self) -> str: ...

    async def run(self, view: ProgressView) -> None:
        """Raises ``SetupFailed`` for a problem found before the first request."""


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
    baseline: Baseline | None = None

    def client(self, region: str | None) -> ImagePermissionsClient:
        return ImagePermissionsClient(
            region_name=region,
            endpoint_url=self.endpoint_url,
            profile_name=self.profile,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            config=self.config,
        )


class Audit:
    """One run over every region of a plan, feeding records to a writer as images finish."""

    def __init__(self, plan: AuditPlan, writer: RecordWriter) -> None:
        self._plan = plan
        self._clients: list[ImagePermissionsClient] = []
        self.recorder = Recorder(writer, baseline=plan.baseline)
        self.totals = AuditTotals()
        self._listed: list[int] = []
        self._complete: list[str] = []
        """Regions whose every image was listed (``--all``)."""

    @property
    def where(self) -> str:
        return plural(len(self._plan.regions), "region")

    @property
    def progress_total(self) -> int | None:
        ids = self._plan.image_ids
        return None if ids is None else len(set(ids)) * len(self._plan.regions)

    @property
    def progress_unit(self) -> str:
        return "images"

    async def run(self, view: ProgressView) -> None:
        """Open every region's client first, so a region or credential problem stops the run
        before any request; then audit the regions concurrently."""
        async with AsyncExitStack() as clients:
            try:
                for region in self._plan.regions:
                    client = self._plan.client(region)
                    self._clients.append(await clients.enter_async_context(client))
            except Exception as error:
                raise SetupFailed(error, profile=self._plan.profile) from error
            plan = self._plan
            logger.debug(
                "auditing %s in %s; endpoint %s; %d images at once; %r",
                "every image" if plan.image_ids is None else f"{len(plan.image_ids)} image ids",
                ", ".join(literal(client.region_name) for client in self._clients),
                literal(self._clients[0].endpoint_url),
                plan.concurrency,
                plan.config,
            )
            try:
                await asyncio.gather(
                    *(self._audit_region(client, view) for client in self._clients)
                )
            finally:
                for client in self._clients:
                    self.totals.add(client.stats)
            self.recorder.finish((None, region) for region in self._complete)

    async def _audit_region(self, client: ImagePermissionsClient, view: ProgressView) -> None:
        region = client.region_name
        ids = self._plan.image_ids
        source = self._every_image(client, view) if ids is None else ids
        async with aclosing(client.fan_out(source, concurrency=self._plan.concurrency)) as results:
            async for result in results:
                self.recorder.add(AuditRecord.of(region, result, self._plan.allowlist))
                if result.error is not None:
                    logger.debug(
                        "%s %s failed",
                        literal(region),
                        literal(result.image_id),
                        exc_info=result.error,
                    )
                view.advance(finished=self.recorder.tally.finished, detail=self._detail)

    def _detail(self, elapsed: float) -> str:
        throttles = sum(sum(client.stats.throttles.values()) for client in self._clients)
        return f"{self.recorder.tally.finished / elapsed:6.1f} img/s  {throttles} throttles"

    async def _every_image(
        self, client: ImagePermissionsClient, view: ProgressView
    ) -> AsyncGenerator[str]:
        """Every owned image; a listing that fails ends this region's input, not the run."""
        count = 0
        try:
            async for image_id in client.iter_image_ids():
                count += 1
                yield image_id
        except Exception as error:
            self.recorder.add(
                ScopeRecord(None, None, client.region_name, "failed", ErrorInfo.of(error))
            )
        else:
            self._complete.append(client.region_name)
        self._listed.append(count)
        if len(self._listed) == len(self._clients):
            view.set_total(sum(self._listed))
