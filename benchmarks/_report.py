"""The markdown report and the throughput chart: medians, per-round ratios, and targets with pass/fail.

A ratio is taken within each round (this client's figure over the reference's in the same round)
and then the median of those ratios is reported, so a round where the whole machine was slow moves
both sides of a ratio instead of one.
"""

from __future__ import annotations

import datetime
import os
import platform
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Final

from benchmarks import _server
from benchmarks._scenarios import (
    STARTUP_FLOOR,
    Measurement,
    Memory,
    Startup,
    Throttled,
    Throughput,
)

AIOBOTOCORE: Final = "aiobotocore"
RAW_FLOOR: Final = "raw floor"
OURS: Final = "imgperms_async"
OURS_UVLOOP: Final = "imgperms_async+uvloop"
TARGET_CONCURRENCY: Final = 64

Metric = Callable[[Measurement], float]


def requests_per_sec(run: Measurement) -> float:
    return run.requests_per_sec


def cpu_per_request(run: Measurement) -> float:
    return run.cpu_us_per_request


@dataclass
class Results:
    """Whatever scenarios this run measured; absent ones are left out of the report."""

    quick: bool
    throughput: Throughput | None = None
    throttled: Throttled | None = None
    memory: Memory | None = None
    startup: Startup | None = None


def median_of(runs: Sequence[Measurement], metric: Metric) -> float:
    return statistics.median(metric(run) for run in runs)


def median_ratio(
    runs: Sequence[Measurement], bases: Sequence[Measurement], metric: Metric
) -> float:
    """Round by round, then the median: runs[i] and bases[i] come from the same round."""
    return statistics.median(
        metric(run) / metric(base) for run, base in zip(runs, bases, strict=True)
    )


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _versions() -> str:
    names = ("imgperms_async", "aiohttp", "botocore", "aiobotocore", "boto3", "uvloop")
    found = []
    for name in names:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name} (not installed)")
    return ", ".join(found)


def _header(quick: bool) -> list[str]:
    pinned = _server.pinned_to(_server.SERVER_CPU) and _server.pinned_to(_server.CLIENT_CPU)
    placement = (
        f"emulator pinned to CPU {_server.SERVER_CPU}, each client process to CPU"
        f" {_server.CLIENT_CPU}"
        if pinned
        else "not pinned (fewer than two usable cores): server CPU competes with the client"
    )
    return [
        f"# imgperms_async benchmarks ({'quick' if quick else 'full'} run)",
        "",
        f"- date: {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}",
        f"- machine: {os.cpu_count()} cores, {_cpu_model()}; {placement}",
        f"- Python {platform.python_version()}; {_versions()}",
        f"- command: `python -m benchmarks{' --quick' if quick else ''}`",
        "",
    ]


@dataclass(frozen=True)
class Target:
    name: str
    measured: str
    passed: bool


def targets(results: Results) -> list[Target]:
    found: list[Target] = []
    if (throughput := results.throughput) and TARGET_CONCURRENCY in throughput.runs:
        runs = throughput.runs[TARGET_CONCURRENCY]
        vs_aiobotocore = median_ratio(runs[OURS], runs[AIOBOTOCORE], requests_per_sec)
        vs_raw = median_ratio(runs[OURS], runs[RAW_FLOOR], requests_per_sec)
        cpu_vs_raw = median_ratio(runs[OURS], runs[RAW_FLOOR], cpu_per_request)
        found += [
            Target(
                "c=64 req/s >= 3.5x aiobotocore", f"{vs_aiobotocore:.2f}x", vs_aiobotocore >= 3.5
            ),
            Target("c=64 req/s >= raw floor", f"{vs_raw:.2f}x", vs_raw >= 1.0),
            Target("c=64 CPU/request <= 0.8x raw floor", f"{cpu_vs_raw:.2f}x", cpu_vs_raw <= 0.8),
        ]
        wrong = throughput.wrong(TARGET_CONCURRENCY, OURS)
        found.append(Target("c=64 results equal the truth", f"{wrong} wrong runs", wrong == 0))
    if throttled := results.throttled:
        ours = throttled.runs[0]
        slowdown = ours.measurement.wall_secs / throttled.ideal_secs
        share = ours.throttled / ours.requests
        found += [
            Target("throttled: <= 1.1x ideal", f"{slowdown:.2f}x", slowdown <= 1.1),
            Target(
                "throttled: 0 failed images",
                f"{ours.measurement.failed}",
                ours.measurement.failed == 0 and ours.correct,
            ),
            Target("throttled: <= 5 % requests throttled", f"{share:.1%}", share <= 0.05),
        ]
    if memory := results.memory:
        found.append(
            Target(
                f"memory: {memory.large_ids:,} ids <= {memory.small_ids:,} ids + 60 MB",
                f"+{memory.growth_mb:.1f} MB",
                memory.growth_mb <= 60
                and memory.complete(memory.small, memory.small_ids)
                and memory.complete(memory.large, memory.large_ids),
            )
        )
    if startup := results.startup:
        ratio = startup.median(OURS) / startup.median(AIOBOTOCORE)
        found.append(Target("start-up <= 0.65x aiobotocore", f"{ratio:.2f}x", ratio <= 0.65))
    return found


def _table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return [*lines, ""]


def _throughput_section(throughput: Throughput) -> list[str]:
    rounds = len(next(iter(next(iter(throughput.runs.values())).values())))
    rows = []
    for concurrency, by_label in throughput.runs.items():
        for label, runs in by_label.items():
            rows.append(
                [
                    str(concurrency),
                    label,
                    f"{median_of(runs, requests_per_sec):,.0f}",
                    f"{median_of(runs, cpu_per_request):,.0f}",
                    f"{statistics.median(run.peak_rss_mb for run in runs):.0f}",
                    f"{median_ratio(runs, by_label[AIOBOTOCORE], requests_per_sec):.2f}x",
                    f"{median_ratio(runs, by_label[RAW_FLOOR], requests_per_sec):.2f}x",
                    f"{median_ratio(runs, by_label[RAW_FLOOR], cpu_per_request):.2f}x",
                    f"{len(runs) - throughput.wrong(concurrency, label)}/{len(runs)}",
                ]
            )
    lines = [
        f"## Throughput: {throughput.images:,} images x 3 pages, medians of {rounds} rounds",
        "",
        *_table(
            (
                "c",
                "client",
                "req/s",
                "CPU µs/req",
                "peak RSS MB",
                "req/s vs aiobotocore",
                "req/s vs raw floor",
                "CPU/req vs raw floor",
                "correct runs",
            ),
            rows,
        ),
    ]
    lines += _uvloop_verdict(throughput)
    return lines


def _uvloop_verdict(throughput: Throughput) -> list[str]:
    parts = []
    for concurrency, by_label in throughput.runs.items():
        speed = median_ratio(by_label[OURS_UVLOOP], by_label[OURS], requests_per_sec)
        cpu = median_ratio(by_label[OURS_UVLOOP], by_label[OURS], cpu_per_request)
        parts.append(f"c={concurrency}: {speed - 1:+.0%} req/s, {cpu - 1:+.0%} CPU/req")
    return [f"uvloop vs asyncio for imgperms_async (per-round ratios): {'; '.join(parts)}.", ""]


def _throttled_section(throttled: Throttled) -> list[str]:
    rows = [
        [
            run.label,
            f"{run.measurement.wall_secs:.1f}",
            f"{run.measurement.wall_secs / throttled.ideal_secs:.2f}x",
            f"{run.requests:,}",
            f"{run.throttled / run.requests:.1%}",
            str(run.measurement.failed),
            "yes" if run.correct else "no",
        ]
        for run in throttled.runs
    ]
    return [
        f"## Throttled: emulator at {throttled.rate:g} req/s, burst {throttled.burst:g};"
        f" {throttled.images} images ({throttled.truth.pages} requests needed);"
        f" concurrency {throttled.concurrency}; ideal {throttled.ideal_secs:.1f} s",
        "",
        *_table(
            ("client", "wall s", "vs ideal", "requests", "throttled", "failed images", "correct"),
            rows,
        ),
    ]


def _memory_section(memory: Memory) -> list[str]:
    rows = [
        [
            f"{ids:,}",
            f"{run.peak_rss_mb:.1f}",
            f"{run.wall_secs:.1f}",
            f"{run.images / run.wall_secs:,.0f}",
            "yes" if memory.complete(run, ids) else "no",
        ]
        for ids, run in ((memory.small_ids, memory.small), (memory.large_ids, memory.large))
    ]
    return [
        f"## Memory: ids streamed through imgperms_async fan_out (concurrency {memory.concurrency},"
        " unknown ids answered ResourceNotFoundException)",
        "",
        *_table(("ids", "peak RSS MB", "wall s", "images/s", "all answered"), rows),
        f"Growth: +{memory.growth_mb:.1f} MB.",
        "",
    ]


def _startup_section(startup: Startup) -> list[str]:
    base = startup.median(AIOBOTOCORE)
    rows = [
        [label, f"{startup.median(label) * 1000:.0f}", f"{startup.median(label) / base:.2f}x"]
        for label in startup.runs
    ]
    repeats = len(next(iter(startup.runs.values())))
    return [
        f"## Start-up: fresh `python -c` (import, client, first call), median of {repeats}",
        "",
        *_table(("program", "wall ms", "vs aiobotocore"), rows),
        f"The floor imports only what the client needs at minimum: `{STARTUP_FLOOR}`.",
        "",
    ]


def render(results: Results) -> str:
    lines = _header(results.quick)
    if found := targets(results):
        lines += [
            "## Targets",
            "",
            *_table(
                ("target", "measured", "result"),
                [(t.name, t.measured, "PASS" if t.passed else "FAIL") for t in found],
            ),
        ]
    if results.throughput:
        lines += _throughput_section(results.throughput)
    if results.throttled:
        lines += _throttled_section(results.throttled)
    if results.memory:
        lines += _memory_section(results.memory)
    if results.startup:
        lines += _startup_section(results.startup)
    return "\n".join(lines)


def chart(throughput: Throughput, path: Path) -> bool:
    """Median req/s by concurrency, one line per client; ``False`` when matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    concurrencies = sorted(throughput.runs)
    figure, axes = plt.subplots(figsize=(8, 5))
    for label in throughput.runs[concurrencies[0]]:
        medians = [median_of(throughput.runs[c][label], requests_per_sec) for c in concurrencies]
        axes.plot(concurrencies, medians, marker="o", label=label)
    axes.set_xscale("log", base=2)
    axes.set_xticks(concurrencies, [str(c) for c in concurrencies])
    axes.set_xlabel("concurrency")
    axes.set_ylabel("requests/s (median)")
    axes.set_title(f"Throughput, {throughput.images:,} images x 3 pages")
    axes.grid(True, alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return True
