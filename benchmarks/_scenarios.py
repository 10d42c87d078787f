"""The four scenarios: throughput, throttled, memory and start-up, each against a fresh server.

Every measurement runs its client in a fresh process pinned to the client core (the server has
the other one), and clients take turns within each round, so a slow drift of the machine touches
every client alike instead of whichever happened to run last. The server's CPU time is read
around every measurement, so each one says how busy the server was while the client worked.
A client whose package is not installed is skipped, and the scenario says which and why.
"""

from __future__ import annotations

import json
import math
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any, Final

from benchmarks import _env, _server
from benchmarks._clients import Job, image_digest
from imgperms_async.emulator import Emulator

PAGE_SIZE: Final = 25
ACCOUNTS_PER_IMAGE: Final = 60
"""Three pages of 25, 25 and 10 accounts: every image costs exactly three requests."""
SEED: Final = 7
SERVER_BOUND: Final = 0.8
"""Above this fraction of one core the server may be what limits the client: such a run is flagged
and left out of every ratio."""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def child_env() -> dict[str, str]:
    """No AWS settings of the machine may change a client's retry mode, region or credentials."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    env.update(
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_EC2_METADATA_DISABLED="true",
    )
    return env


def tool_env(server: _server.Server) -> dict[str, str]:
    """The emulator's credentials, and its endpoint for every service (c7n also calls STS and
    the tagging API; an organization audit STS, Organizations and EC2)."""
    return {**child_env(), **server.credentials, "AWS_ENDPOINT_URL": server.endpoint_url}


def on_client_core() -> Callable[[], None] | None:
    """A child's ``preexec_fn`` that pins it to the client core, or ``None`` where it cannot be."""
    cpus = _server.pinned_to(_server.CLIENT_CPU)
    return None if cpus is None else lambda: os.sched_setaffinity(0, cpus)


def run_pinned(
    command: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run ``command`` on the client core, in ``child_env()`` unless ``env`` is given."""
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        check=check,
        cwd=cwd,
        env=child_env() if env is None else env,
        preexec_fn=on_client_core(),
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
    server_cpu_secs: float = 0.0
    """CPU the server used while the driver process ran."""

    @property
    def server_share(self) -> float:
        """The server's CPU over the client's timed wall time, as a fraction of one core."""
        return self.server_cpu_secs / self.wall_secs

    @property
    def server_bound(self) -> bool:
        return self.server_share > SERVER_BOUND

    @property
    def requests_per_sec(self) -> float:
        return self.pages / self.wall_secs

    @property
    def cpu_us_per_request(self) -> float:
        """Over at least one request, so a driver that fetched nothing still gets a report."""
        return self.cpu_secs / max(self.pages, 1) * 1e6

    def matches(self, truth: Truth) -> bool:
        return (self.images, self.shared, self.failed, self.digest) == (
            truth.images,
            truth.shared,
            0,
            truth.digest,
        )


def drive(client: str, job: Job, server: _server.Server | None = None) -> Measurement:
    """One driver run in a fresh pinned process; with ``server``, the CPU it spent meanwhile."""
    command = [sys.executable, "-m", "benchmarks._drive", client, json.dumps(asdict(job))]
    server_before = 0.0 if server is None else server.cpu_secs()
    try:
        completed = run_pinned(command)
    except subprocess.CalledProcessError as error:
        raise RuntimeError(f"{client} driver failed:\n{error.stderr}") from error
    server_cpu = 0.0 if server is None else server.cpu_secs() - server_before
    fields = json.loads(completed.stdout.splitlines()[-1])
    return Measurement(**fields, server_cpu_secs=server_cpu)


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
    needs: tuple[str, ...] = ()
    """Optional modules this client cannot run without."""


THROUGHPUT_VARIANTS: Final = (
    Variant("imgperms_async", "imgperms_async"),
    Variant("imgperms_async+uvloop", "imgperms_async", uvloop=True, needs=("uvloop",)),
    Variant("aiobotocore", "aiobotocore", needs=("aiobotocore",)),
    Variant("boto3 (threads)", "boto3", needs=("boto3",)),
    Variant("raw floor", "raw_floor"),
    Variant("bare floor", "bare_floor"),
)
THROTTLED_VARIANTS: Final = (
    Variant("imgperms_async (default: adaptive)", "imgperms_async"),
    Variant("imgperms_async standard", "imgperms_async", retry_mode="standard"),
    Variant("aiobotocore standard", "aiobotocore", retry_mode="standard", needs=("aiobotocore",)),
    Variant("aiobotocore adaptive", "aiobotocore", retry_mode="adaptive", needs=("aiobotocore",)),
    Variant("boto3 standard", "boto3", retry_mode="standard", needs=("boto3",)),
    Variant("boto3 adaptive", "boto3", retry_mode="adaptive", needs=("boto3",)),
)

Skipped = dict[str, str]
"""Label -> why it was not measured."""


def runnable(
    variants: Sequence[Variant], has: _env.HasModule = _env.has_module
) -> tuple[tuple[Variant, ...], Skipped]:
    """The variants this environment can run, and the others with the modules they lack."""
    ready, skipped = [], {}
    for variant in variants:
        if lacking := _env.missing(variant.needs, has):
            skipped[variant.label] = f"{', '.join(lacking)} not installed"
        else:
            ready.append(variant)
    return tuple(ready), skipped


@dataclass
class Throughput:
    """``runs[concurrency][label]``: one measurement per round, in round order."""

    images: int
    truth: Truth
    runs: dict[int, dict[str, list[Measurement]]] = field(default_factory=dict)
    skipped: Skipped = field(default_factory=dict)

    def wrong(self, concurrency: int, label: str) -> int:
        return sum(not run.matches(self.truth) for run in self.runs[concurrency][label])


def lean_server_command(images: int) -> list[str]:
    """The lean server on the throughput state: the emulator's answers, without its cost."""
    command = ["benchmarks._lean_server", "--images", str(images)]
    return [*command, "--accounts", str(ACCOUNTS_PER_IMAGE), "--seed", str(SEED)]


def _log_run(prefix: str, label: str, run: Measurement, correct: bool) -> None:
    log(
        f"{prefix} {label:<22} {run.requests_per_sec:7.0f} req/s"
        f" {run.cpu_us_per_request:6.0f} µs CPU/req, server {run.server_share:.2f} core"
        f"{'  SERVER-BOUND' if run.server_bound else ''}{'' if correct else '  WRONG RESULT'}"
    )


def throughput(images: int, concurrencies: Sequence[int], rounds: int) -> Throughput:
    state = _server.fixed_state(images, ACCOUNTS_PER_IMAGE)
    variants, skipped = runnable(THROUGHPUT_VARIANTS)
    result = Throughput(images, Truth.of(state), skipped=skipped)
    for label, why in skipped.items():
        log(f"throughput: {label} skipped ({why})")
    with serving(lean_server_command(images)) as server:
        for round_number in range(rounds):
            # Rotate who goes first so no client always follows the same neighbour.
            shift = round_number % len(variants)
            order = variants[shift:] + variants[:shift]
            for concurrency in concurrencies:
                for variant in order:
                    job = _job(
                        server,
                        concurrency=concurrency,
                        image_ids=tuple(state),
                        uvloop=variant.uvloop,
                    )
                    run = drive(variant.driver, job, server)
                    result.runs.setdefault(concurrency, {}).setdefault(variant.label, [])
                    result.runs[concurrency][variant.label].append(run)
                    prefix = f"throughput round {round_number + 1}/{rounds} c={concurrency:<3}"
                    _log_run(prefix, variant.label, run, run.matches(result.truth))
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
    skipped: Skipped = field(default_factory=dict)

    @property
    def ideal_secs(self) -> float:
        """Every needed request at exactly the allowed rate."""
        return self.truth.pages / self.rate


def throttled(images: int, rate: float, burst: float, concurrency: int) -> Throttled:
    state = Emulator(images, seed=SEED).truth
    variants, skipped = runnable(THROTTLED_VARIANTS)
    result = Throttled(images, rate, burst, concurrency, Truth.of(state), skipped=skipped)
    for label, why in skipped.items():
        log(f"throttled: {label} skipped ({why})")
    command = ["imgperms_async.emulator", "--images", str(images), "--seed", str(SEED)]
    command += ["--rate", str(rate), "--burst", str(burst)]
    for variant in variants:
        # A fresh emulator each time: a full token bucket and counters that are this client's.
        with serving(command) as server:
            job = _job(
                server,
                concurrency=concurrency,
                image_ids=tuple(state),
                retry_mode=variant.retry_mode,
            )
            run = drive(variant.driver, job, server)
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
            f" {run.failed} failed, server {run.server_share:.2f} core"
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
            job = _job(server, concurrency=concurrency, synthetic_ids=count)
            run = drive("imgperms_async", job, server)
            log(
                f"memory {count:>7} ids: peak RSS {run.peak_rss_mb:.1f} MB in {run.wall_secs:.1f} s,"
                f" server {run.server_share:.2f} core"
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
    server_share: float
    """The server's CPU over the wall time of all the programs, as a fraction of one core."""
    skipped: Skipped = field(default_factory=dict)

    def median(self, label: str) -> float:
        return statistics.median(self.runs[label])


def byte_compile_imgperms() -> None:
    """Let every process import byte-compiled code: pip compiles site-packages at install time,
    but an editable checkout under ``PYTHONDONTWRITEBYTECODE`` would recompile imgperms_async
    from source in each process (about 40 ms here), which no installed copy ever does."""
    import imgperms_async

    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", os.path.dirname(imgperms_async.__file__)],
        check=True,
    )


def startup(repeats: int) -> Startup:
    byte_compile_imgperms()
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
        skipped: Skipped = {}
        peer: dict[str, str] = {}
        if lacking := _env.missing(("aiobotocore",)):
            skipped["aiobotocore"] = f"{', '.join(lacking)} not installed"
            log(f"start-up: aiobotocore skipped ({skipped['aiobotocore']})")
        else:
            peer["aiobotocore"] = _STARTUP_AIOBOTOCORE.format(
                client_args=client_args, image_id=image_id
            )
        programs = {
            "imgperms_async": _STARTUP_IMGPERMS.format(client_args=client_args, image_id=image_id),
            **peer,
            f"`{STARTUP_FLOOR}` only": STARTUP_FLOOR,
            "`python -c pass`": "pass",
        }
        runs: dict[str, list[float]] = {label: [] for label in programs}
        server_before, wall = server.cpu_secs(), 0.0
        for _ in range(repeats):
            for label, program in programs.items():
                started = time.perf_counter()
                run_pinned([sys.executable, "-c", program])
                runs[label].append(time.perf_counter() - started)
                wall += runs[label][-1]
        server_share = (server.cpu_secs() - server_before) / wall
    for label, times in runs.items():
        log(f"start-up {label:<40} median {statistics.median(times) * 1000:.0f} ms")
    return Startup(runs, server_share, skipped)
