"""One audit run: a client per region, fan-out over the images, records to a writer as they finish."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator
from contextlib import AsyncExitStack, aclosing
from dataclasses import dataclass, field

from imgperms_async import ClientConfig, ImagePermissionsClient, StatsSnapshot
from imgperms_async.cli._errors import SetupFailed
from imgperms_async.cli._literal import literal
from imgperms_async.cli._progress import ProgressView
from imgperms_async.cli._records import AuditRecord, ErrorInfo, ListingFailure, Tally
from imgperms_async.cli._writers import RecordWriter

logger = logging.getLogger("imgperms_async.cli")


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


class Audit:
    """One run over every region of a plan, feeding records to a writer as images finish."""

    def __init__(self, plan: AuditPlan, writer: RecordWriter, view: ProgressView) -> None:
        self._plan = plan
        self._writer = writer
        self._view = view
        self._clients: list[ImagePermissionsClient] = []
        self.tally = Tally()
        self.failed: list[AuditRecord] = []
        """Records with an error, for the summary."""
        self.stats: list[StatsSnapshot] = []
        self._listed: list[int] = []

    async def run(self) -> None:
        """Open every region's client first, so a region or credential problem stops the run
        before any request; then audit the regions concurrently."""
        async with AsyncExitStack() as clients:
            try:
                for region in self._plan.regions:
                    client = self._plan.client(region)
                    self._clients.append(await clients.enter_async_context(client))
            except Exception as error:
                raise SetupFailed(error) from error
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
                await asyncio.gather(*(self._audit_region(client) for client in self._clients))
            finally:
                self.stats = [client.stats for client in self._clients]

    async def _audit_region(self, client: ImagePermissionsClient) -> None:
        region = client.region_name
        ids = self._plan.image_ids
        source = self._every_image(client) if ids is None else ids
        async with aclosing(client.fan_out(source, concurrency=self._plan.concurrency)) as results:
            async for result in results:
                record = AuditRecord.of(region, result, self._plan.allowlist)
                self._writer.add(record)
                self.tally.add(record)
                if result.error is not None:
                    self.failed.append(record)
                    logger.debug(
                        "%s %s failed",
                        literal(region),
                        literal(result.image_id),
                        exc_info=result.error,
                    )
                self._view.advance(finished=self.tally.finished, throttles=self.throttles)

    async def _every_image(self, client: ImagePermissionsClient) -> AsyncGenerator[str]:
        """Every owned image; a listing that fails ends this region's input, not the run."""
        count = 0
        try:
            async for image_id in client.iter_image_ids():
                count += 1
                yield image_id
        except Exception as error:
            self.tally.listing_failures.append(
                ListingFailure(client.region_name, ErrorInfo.of(error))
            )
        self._listed.append(count)
        if len(self._listed) == len(self._clients):
            self._view.set_total(sum(self._listed))

    def throttles(self) -> int:
        return sum(sum(client.stats.throttles.values()) for client in self._clients)
