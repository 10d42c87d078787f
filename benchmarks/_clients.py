"""One driver per client, each doing the same job: every page of every image, ``concurrency`` at once.

A driver builds its client outside the timed window (start-up has its own scenario), then times
only the work, and folds each image into a ``Tally`` as it finishes, so a driver holds no more
than the client itself does and the memory scenario measures the client rather than the harness.
The floors show what the hardware allows: ``raw_floor`` is the least code that still signs each
request with botocore (``SigV4Auth.add_auth`` on an ``AWSRequest``, then aiohttp), ``bare_floor``
the least code that talks HTTP through aiohttp at all (no signing); both use aiohttp's defaults,
as the client does, and the cheapest fan-out there is. Every peer runs as its documentation
recommends: one client shared across tasks or threads, ``max_pool_connections`` sized to the
concurrency.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import resource
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final

from botocore.exceptions import ClientError

if TYPE_CHECKING:
    import aiohttp

OPERATION: Final = "DescribeWorkspaceImagePermissions"
JSON_HEADERS: Final = {
    "Content-Type": "application/x-amz-json-1.1",
    "X-Amz-Target": f"WorkspacesService.{OPERATION}",
}
SYNTHETIC_PREFIX: Final = "wsi-synth"


@dataclass(frozen=True)
class Job:
    """What to fetch, from where, and how; travels to the driver process as one JSON argument."""

    endpoint_url: str
    region: str
    access_key: str
    secret_key: str = field(repr=False)
    concurrency: int
    image_ids: tuple[str, ...] = ()
    synthetic_ids: int = 0
    """Extra ids generated lazily in the driver, so 100 000 of them never sit in a list."""
    retry_mode: str | None = None
    """``None`` leaves each client on its default."""
    uvloop: bool = False

    def ids(self) -> Iterator[str]:
        yield from self.image_ids
        for number in range(self.synthetic_ids):
            yield f"{SYNTHETIC_PREFIX}{number:09d}"


@dataclass(frozen=True, slots=True)
class Fetched:
    image_id: str
    accounts: tuple[str, ...]
    pages: int
    error: str | None
    """The error code (or exception class) that ended the image, after the client's retries."""


@dataclass
class Tally:
    """Counts and an order-independent digest of (image, accounts): O(1) memory, checkable."""

    images: int = 0
    pages: int = 0
    shared: int = 0
    failed: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    digest: int = 0

    def add(self, fetched: Fetched) -> None:
        self.images += 1
        self.pages += fetched.pages
        if fetched.error is not None:
            self.failed += 1
            self.errors[fetched.error] += 1
            return
        self.shared += len(fetched.accounts)
        self.digest = (self.digest + image_digest(fetched.image_id, fetched.accounts)) % 2**256


def image_digest(image_id: str, accounts: tuple[str, ...]) -> int:
    """A summand of ``Tally.digest``; the suite adds the emulator's truth the same way."""
    line = f"{image_id}:{','.join(accounts)}".encode()
    return int.from_bytes(hashlib.sha256(line).digest())


class Timer:
    """Wall and CPU time (all threads of the process) spent inside the ``with`` block."""

    wall_secs = 0.0
    cpu_secs = 0.0

    def __enter__(self) -> None:
        self._wall = time.perf_counter()
        self._cpu = time.process_time()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.wall_secs = time.perf_counter() - self._wall
        self.cpu_secs = time.process_time() - self._cpu


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


Driver = Callable[[Job, Tally, Timer], None]


def run_async(job: Job, work: Coroutine[Any, Any, None]) -> None:
    if job.uvloop:
        import uvloop

        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            runner.run(work)
    else:
        asyncio.run(work)


def error_code(error: BaseException) -> str:
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code", type(error).__name__))
    return type(error).__name__


Page = dict[str, Any]


async def fetch_pages(call: Callable[[Page], Awaitable[Page]], image_id: str) -> Fetched:
    """Hand-rolled pagination, as an aiobotocore user writes it."""
    params: Page = {"ImageId": image_id}
    accounts: list[str] = []
    pages = 0
    try:
        while True:
            page = await call(params)
            pages += 1
            accounts.extend(entry["SharedAccountId"] for entry in page.get("ImagePermissions", ()))
            if not (token := page.get("NextToken")):
                return Fetched(image_id, tuple(accounts), pages, None)
            params = {"ImageId": image_id, "NextToken": token}
    except Exception as error:
        return Fetched(image_id, tuple(accounts), pages, error_code(error))


def fetch_pages_sync(call: Callable[..., Page], image_id: str) -> Fetched:
    """The same loop for boto3."""
    params: Page = {"ImageId": image_id}
    accounts: list[str] = []
    pages = 0
    try:
        while True:
            page = call(**params)
            pages += 1
            accounts.extend(entry["SharedAccountId"] for entry in page.get("ImagePermissions", ()))
            if not (token := page.get("NextToken")):
                return Fetched(image_id, tuple(accounts), pages, None)
            params = {"ImageId": image_id, "NextToken": token}
    except Exception as error:
        return Fetched(image_id, tuple(accounts), pages, error_code(error))


def imgperms_async(job: Job, tally: Tally, timer: Timer) -> None:
    from imgperms_async import ClientConfig, ImagePermissionsClient

    async def work() -> None:
        config = ClientConfig(
            max_connections=job.concurrency,
            retry_mode=None if job.retry_mode is None else _mode(job.retry_mode),
        )
        async with ImagePermissionsClient(
            region_name=job.region,
            endpoint_url=job.endpoint_url,
            aws_access_key_id=job.access_key,
            aws_secret_access_key=job.secret_key,
            config=config,
        ) as client:
            with timer:
                async for result in client.fan_out(job.ids(), concurrency=job.concurrency):
                    error = None if result.error is None else error_code(result.error)
                    tally.add(
                        Fetched(result.image_id, result.shared_account_ids, result.pages, error)
                    )

    run_async(job, work())


def _mode(name: str) -> Any:
    """``ClientConfig.retry_mode`` is a ``Literal``; the JSON job carries a plain string."""
    if name not in ("standard", "adaptive"):
        raise ValueError(f"unknown retry mode {name!r}")
    return name


def _botocore_config_args(job: Job) -> dict[str, Any]:
    args: dict[str, Any] = {"max_pool_connections": job.concurrency}
    if job.retry_mode is not None:
        args["retries"] = {"mode": job.retry_mode}
    return args


def aiobotocore(job: Job, tally: Tally, timer: Timer) -> None:
    from aiobotocore.config import AioConfig
    from aiobotocore.session import get_session

    async def work() -> None:
        async with get_session().create_client(
            "workspaces",
            region_name=job.region,
            endpoint_url=job.endpoint_url,
            aws_access_key_id=job.access_key,
            aws_secret_access_key=job.secret_key,
            config=AioConfig(**_botocore_config_args(job)),
        ) as client:
            # One client shared by every task, as aiobotocore's maintainers advise, fanned out
            # the same way as the floors.
            with timer:
                await _worker_pool(
                    job, tally, lambda params: client.describe_workspace_image_permissions(**params)
                )

    run_async(job, work())


def boto3(job: Job, tally: Tally, timer: Timer) -> None:
    import boto3
    from botocore.config import Config

    client = boto3.session.Session().client(
        "workspaces",
        region_name=job.region,
        endpoint_url=job.endpoint_url,
        aws_access_key_id=job.access_key,
        aws_secret_access_key=job.secret_key,
        config=Config(**_botocore_config_args(job)),
    )
    # boto3 clients are thread-safe: one client shared by every thread, its pool sized to them.
    call = client.describe_workspace_image_permissions
    with ThreadPoolExecutor(job.concurrency) as pool, timer:
        for fetched in pool.map(lambda image_id: fetch_pages_sync(call, image_id), job.ids()):
            tally.add(fetched)
    client.close()


async def _worker_pool(job: Job, tally: Tally, call: Callable[[Page], Awaitable[Page]]) -> None:
    """``concurrency`` coroutines draining one shared iterator: the cheapest fan-out there is."""
    ids = job.ids()

    async def worker() -> None:
        for image_id in ids:
            tally.add(await fetch_pages(call, image_id))

    await asyncio.gather(*(worker() for _ in range(job.concurrency)))


async def _post(session: aiohttp.ClientSession, url: str, headers: Any, body: bytes) -> Page:
    async with session.post(url, data=body, headers=headers) as response:
        payload: Page = json.loads(await response.read())
        if response.status != 200:
            raise ClientError({"Error": {"Code": payload.get("__type", "")}}, OPERATION)
    return payload


def raw_floor(job: Job, tally: Tally, timer: Timer) -> None:
    import aiohttp
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    signer = SigV4Auth(Credentials(job.access_key, job.secret_key), "workspaces", job.region)
    url = job.endpoint_url + "/"

    async def work() -> None:
        connector = aiohttp.TCPConnector(limit=job.concurrency)
        async with aiohttp.ClientSession(connector=connector) as session:

            async def call(params: Page) -> Page:
                body = json.dumps(params).encode()
                request = AWSRequest(method="POST", url=url, data=body, headers=JSON_HEADERS)
                signer.add_auth(request)
                return await _post(session, url, dict(request.headers.items()), body)

            with timer:
                await _worker_pool(job, tally, call)

    run_async(job, work())


def bare_floor(job: Job, tally: Tally, timer: Timer) -> None:
    import aiohttp

    url = job.endpoint_url + "/"

    async def work() -> None:
        connector = aiohttp.TCPConnector(limit=job.concurrency)
        async with aiohttp.ClientSession(connector=connector) as session:

            async def call(params: Page) -> Page:
                return await _post(session, url, JSON_HEADERS, json.dumps(params).encode())

            with timer:
                await _worker_pool(job, tally, call)

    run_async(job, work())


DRIVERS: Final[dict[str, Driver]] = {
    "imgperms_async": imgperms_async,
    "aiobotocore": aiobotocore,
    "boto3": boto3,
    "raw_floor": raw_floor,
    "bare_floor": bare_floor,
}
