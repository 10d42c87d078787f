"""The four scenarios: throughput, throttled, memory and start-up, each against a fresh emulator.

Every measurement runs its client in a fresh process pinned to the client core (the emulator has
the other one), and clients take turns within each round, so a slow drift of the machine touches
every client alike instead of whichever happened to run last.
"""

from __future__ import annotations

import json
import math
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any, Final

from benchmarks import _server
from benchmarks._clients import Job, image_digest
from imgperms_async.emulator import Emulator

PAGE_SIZE: Final = 25
ACCOUNTS_PER_IMAGE: Final = 60
"""Three pages of 25, 25 and 10 accounts: every image costs exactly three requests."""
SEED: Final = 7


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _child_env() -> dict[str, str]:
    """No AWS settings of the machine may change a client's retry mode, region or credentials."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    env.update(
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_EC2_METADATA_DISABLED="true",
    )
    return env


def _run_pinned(command: Sequence[str]) -> subprocess.CompletedProcess[str]:
    cpus = _server.pinned_to(_server.CLIENT_CPU)
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        check=True,
        env=_child_env(),
        preexec_fn=None if cpus is None else lambda: os.sched_setaffinity(0, cpus),
    )


@dataclass(frozen=True)
class Truth:
    """What a correct client ends with: its images, pages, shares and their digest."""

    images: int
    pages: int
    shared: int
    digest: str

    @classmethod
    def of(cls, state: Mapping[str, Sequence[str]]) -> Truth:
        digest = sum(image_digest(image, tuple(accounts)) for image, accounts in state.items())
        return cls(
            images=len(state),
            pages=sum(max(1, math.ceil(len(accounts) / PAGE_SIZE)) for accounts in state.values()),
            shared=sum(len(accounts) for accounts in state.values()),
            digest=f"{digest % 2**256:064x}",
        )


@dataclass(frozen=True)
class Measurement:
    """One driver run, as ``benchmarks._drive`` printed it."""

    wall_secs: float
    cpu_secs: float
    peak_rss_mb: float
    images: int
    pages: int
    shared: int
    failed: int
    errors: dict[str, int]
    digest: str

    @property
    def requests_per_sec(self) -> float:
        return self.pages / self.wall_secs

    @property
    def cpu_us_per_request(self) -> float:
        return self.cpu_secs / self.pages * 1e6

    def matches(self, truth: Truth) -> bool:
        return (self.images, self.shared, self.failed, self.digest) == (
            truth.images,
            truth.shared,
            0,
            truth.digest,
        )


def drive(client: str, job: Job) -> Measurement:
    command = [sys.executable, "-m", "benchmarks._drive", client, json.dumps(asdict(job))]
    try:
        completed = _run_pinned(command)
    except subprocess.CalledProcessError as error:
        raise RuntimeError(f"{client} driver failed:\n{error.stderr}") from error
    return Measurement(**json.loads(completed.stdout.splitlines()[-1]))


def _job(server: _server.Server, **fields: Any) -> Job:
    return Job(
        endpoint_url=server.endpoint_url,
        region=server.credentials["AWS_DEFAULT_REGION"],
        access_key=server.credentials["AWS_ACCESS_KEY_ID"],
        secret_key=server.credentials["AWS_SECRET_ACCESS_KEY"],
        **fields,
    )


@contextmanager
def serving(command: Sequence[str]) -> Iterator[_server.Server]:
    server = _server.start(command)
    try:
        yield server
    finally:
        server.stop()


@dataclass(frozen=True)
class Variant:
    """A client as the report names it: a driver plus how it is configured."""

    label: str
    driver: str
    uvloop: bool = False
    retry_mode: str | None = None
    unsigned: bool = False
    """Talks to the emulator that skips signature checks (the bare floor sends no signature)."""


THROUGHPUT_VARIANTS: Final = (
    Variant("imgperms_async", "imgperms_async"),
    Variant("imgperms_async+uvloop", "imgperms_async", uvloop=True),
    Variant("aiobotocore", "aiobotocore"),
    Variant("boto3 (threads)", "boto3"),
    Variant("raw floor", "raw_floor"),
    Variant("bare floor", "bare_floor", unsigned=True),
)
THROTTLED_VARIANTS: Final = (
    Variant("imgperms_async (default: adaptive)", "imgperms_async"),
    Variant("imgperms_async standard", "imgperms_async", retry_mode="standard"),
    Variant("aiobotocore standard", "aiobotocore", retry_mode="standard"),
    Variant("aiobotocore adaptive", "aiobotocore", retry_mode="adaptive"),
    Variant("boto3 standard", "boto3", retry_mode="standard"),
    Variant("boto3 adaptive", "boto3", retry_mode="adaptive"),
)


@dataclass
class Throughput:
    """``runs[concurrency][label]``: one measurement per round, in round order."""

    images: int
    truth: Truth
    runs: dict[int, dict[str, list[Measurement]]] = field(default_factory=dict)

    def wrong(self, concurrency: int, label: str) -> int:
        return sum(not run.matches(self.truth) for run in self.runs[concurrency][label])


def throughput(images: int, concurrencies: Sequence[int], rounds: int) -> Throughput:
    state = _server.fixed_state(images, ACCOUNTS_PER_IMAGE)
    result = Throughput(images, Truth.of(state))
    launcher = ["benchmarks._server", "--images", str(images)]
    launcher += ["--accounts", str(ACCOUNTS_PER_IMAGE), "--seed", str(SEED)]
    with serving(launcher) as signed, serving([*launcher, "--no-verify"]) as unsigned:
        for round_number in range(rounds):
            # Rotate who goes first so no client always follows the same neighbour.
            shift = round_number % len(THROUGHPUT_VARIANTS)
            order = THROUGHPUT_VARIANTS[shift:] + THROUGHPUT_VARIANTS[:shift]
            for concurrency in concurrencies:
                for variant in order:
                    job = _job(
                        unsigned if variant.unsigned else signed,
                        concurrency=concurrency,
                        image_ids=tuple(state),
                        uvloop=variant.uvloop,
                    )
                    run = drive(variant.driver, job)
                    result.runs.setdefault(concurrency, {}).setdefault(variant.label, [])
                    result.runs[concurrency][variant.label].append(run)
                    log(
                        f"throughput round {round_number + 1}/{rounds} c={concurrency:<3}"
                        f" {variant.label:<22} {run.requests_per_sec:7.0f} req/s"
                        f" {run.cpu_us_per_request:6.0f} µs CPU/req"
                        f"{'' if run.matches(result.truth) else '  WRONG RESULT'}"
                    )
    return result


@dataclass(frozen=True)
class ThrottledRun:
    label: str
    measurement: Measurement
    requests: int
    throttled: int
    correct: bool


@dataclass
class Throttled:
    images: int
    rate: float
    burst: float
    concurrency: int
    truth: Truth
    runs: list[ThrottledRun] = field(default_factory=list)

    @property
    def ideal_secs(self) -> float:
        """Every needed request at exactly the allowed rate."""
        return self.truth.pages / self.rate


def throttled(images: int, rate: float, burst: float, concurrency: int) -> Throttled:
    state = Emulator(images, seed=SEED).truth
    result = Throttled(images, rate, burst, concurrency, Truth.of(state))
    command = ["imgperms_async.emulator", "--images", str(images), "--seed", str(SEED)]
    command += ["--rate", str(rate), "--burst", str(burst)]
    for variant in THROTTLED_VARIANTS:
        # A fresh emulator each time: a full token bucket and counters that are this client's.
        with serving(command) as server:
            job = _job(
                server,
                concurrency=concurrency,
                image_ids=tuple(state),
                retry_mode=variant.retry_mode,
            )
            run = drive(variant.driver, job)
            counters = server.counters()
        correct = run.matches(result.truth)
        result.runs.append(
            ThrottledRun(
                variant.label, run, counters["requests"], counters.get("throttled", 0), correct
            )
        )
        log(
            f"throttled {variant.label:<36} {run.wall_secs / result.ideal_secs:5.2f}x ideal,"
            f" {counters.get('throttled', 0)}/{counters['requests']} throttled,"
            f" {run.failed} failed"
        )
    return result


@dataclass(frozen=True)
class Memory:
    """Peak RSS of imgperms_async's ``fan_out`` over a small and a large lazily generated input."""

    concurrency: int
    small_ids: int
    large_ids: int
    small: Measurement
    large: Measurement

    @property
    def growth_mb(self) -> float:
        return self.large.peak_rss_mb - self.small.peak_rss_mb

    def complete(self, run: Measurement, ids: int) -> bool:
        """Unknown ids: every one must come back, each as ResourceNotFoundException."""
        return run.images == ids and run.errors == {"ResourceNotFoundException": ids}


def memory(small_ids: int, large_ids: int, concurrency: int) -> Memory:
    command = ["imgperms_async.emulator", "--images", "20", "--seed", str(SEED), "--no-verify"]
    with serving(command) as server:
        runs = []
        for count in (small_ids, large_ids):
            run = drive(
                "imgperms_async", _job(server, concurrency=concurrency, synthetic_ids=count)
            )
            log(
                f"memory {count:>7} ids: peak RSS {run.peak_rss_mb:.1f} MB in {run.wall_secs:.1f} s"
            )
            runs.append(run)
    return Memory(concurrency, small_ids, large_ids, *runs)


STARTUP_FLOOR: Final = "import aiohttp, botocore.auth"
_STARTUP_IMGPERMS: Final = """
import asyncio
from imgperms_async import ImagePermissionsClient

async def main():
    async with ImagePermissionsClient({client_args}) as client:
        await client.describe_workspace_image_permissions(ImageId={image_id!r})

asyncio.run(main())
"""
_STARTUP_AIOBOTOCORE: Final = """
import asyncio
from aiobotocore.session import get_session

async def main():
    async with get_session().create_client("workspaces", {client_args}) as client:
        await client.describe_workspace_image_permissions(ImageId={image_id!r})

asyncio.run(main())
"""


@dataclass(frozen=True)
class Startup:
    """Wall seconds of each fresh ``python -c`` process, by label, in round order."""

    runs: dict[str, list[float]]

    def median(self, label: str) -> float:
        return statistics.median(self.runs[label])


def startup(repeats: int) -> Startup:
    """Every program imports byte-compiled code: pip compiles site-packages at install time, but
    an editable checkout under ``PYTHONDONTWRITEBYTECODE`` would recompile imgperms_async from
    source in each process (about 40 ms here), which no installed copy ever does."""
    import imgperms_async

    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", os.path.dirname(imgperms_async.__file__)],
        check=True,
    )
    state = _server.fixed_state(1, ACCOUNTS_PER_IMAGE)
    launcher = ["benchmarks._server", "--images", "1", "--accounts", str(ACCOUNTS_PER_IMAGE)]
    with serving(launcher) as server:
        client_args = (
            f"region_name={server.credentials['AWS_DEFAULT_REGION']!r},"
            f" endpoint_url={server.endpoint_url!r},"
            f" aws_access_key_id={server.credentials['AWS_ACCESS_KEY_ID']!r},"
            f" aws_secret_access_key={server.credentials['AWS_SECRET_ACCESS_KEY']!r}"
        )
        image_id = next(iter(state))
        programs = {
            "imgperms_async": _STARTUP_IMGPERMS.format(client_args=client_args, image_id=image_id),
            "aiobotocore": _STARTUP_AIOBOTOCORE.format(client_args=client_args, image_id=image_id),
            f"`{STARTUP_FLOOR}` only": STARTUP_FLOOR,
            "`python -c pass`": "pass",
        }
        runs: dict[str, list[float]] = {label: [] for label in programs}
        for _ in range(repeats):
            for label, program in programs.items():
                started = time.perf_counter()
                _run_pinned([sys.executable, "-c", program])
                runs[label].append(time.perf_counter() - started)
    for label, times in runs.items():
        log(f"start-up {label:<40} median {statistics.median(times) * 1000:.0f} ms")
    return Startup(runs)
