"""``python -m benchmarks.profile``: a client's hot path under cProfile, against the lean server.

The throughput scenario says how far imgperms_async is from the floors; this says where the time
goes. It runs one driver in this process (pinned to the client core) with the profiler on only
inside the driver's timed window, against the lean server in its own process on the other core,
then prints the top functions by own time and by cumulative time. Profiling roughly doubles the
cost of every Python call, so read shares, not absolute times; profile ``raw_floor`` or
``bare_floor`` the same way to see what the floors spend on the same work.

    python -m benchmarks.profile [--client imgperms_async] [--concurrency 64] [--images 1000]
                                 [--uvloop] [--top 25] [--save FILE]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sysconfig
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from benchmarks import _server
from benchmarks._clients import DRIVERS, Job, Tally, Timer
from benchmarks._scenarios import ACCOUNTS_PER_IMAGE, Truth, lean_server_command, serving


class ProfilingTimer(Timer):
    """Times the driver's work as ``Timer`` does, with the profiler on for exactly that window."""

    def __init__(self, profiler: cProfile.Profile) -> None:
        self._profiler = profiler

    def __enter__(self) -> None:
        super().__enter__()
        self._profiler.enable()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._profiler.disable()
        super().__exit__(exc_type, exc, tb)


def _owner(filename: str) -> str:
    """Who a profiled function belongs to: a package, a stdlib module, or C code."""
    if filename.startswith("~") or filename.startswith("<"):
        return "C builtins"
    path = Path(filename)
    for anchor in ("site-packages", "imgperms_async", "benchmarks"):
        if anchor in path.parts:
            index = path.parts.index(anchor)
            return anchor if anchor != "site-packages" else path.parts[index + 1]
    return f"stdlib {path.stem if path.parent.name.startswith('python') else path.parent.name}"


def by_owner(profiler: cProfile.Profile, requests: int) -> list[tuple[str, float]]:
    """Own time per request (µs, under the profiler) summed by owner, largest first."""
    totals: dict[str, float] = {}
    stats: dict[tuple[str, int, str], tuple[Any, ...]] = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    for (filename, _, _), (_, _, own, _, _) in stats.items():
        owner = _owner(filename)
        totals[owner] = totals.get(owner, 0.0) + own
    ranked = sorted(totals.items(), key=lambda item: -item[1])
    return [(owner, own / requests * 1e6) for owner, own in ranked]


def _top(profiler: cProfile.Profile, sort: str, count: int) -> str:
    """pstats' table, with the site-packages, stdlib and checkout prefixes cut from each path."""
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats(sort).print_stats(count)
    table = out.getvalue()
    paths = sysconfig.get_paths()
    for prefix in (paths["purelib"], paths["platlib"], paths["stdlib"], os.getcwd()):
        table = table.replace(prefix + os.sep, "")
    return table


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile", description=__doc__)
    parser.add_argument("--client", choices=sorted(DRIVERS), default="imgperms_async")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--images", type=int, default=1_000)
    parser.add_argument("--uvloop", action="store_true", help="run the client on uvloop")
    parser.add_argument("--top", type=int, default=25, help="functions to list per table")
    parser.add_argument("--save", metavar="FILE", help="also write the raw stats, for pstats")
    args = parser.parse_args(argv)
    if (cpus := _server.pinned_to(_server.CLIENT_CPU)) is not None:
        os.sched_setaffinity(0, cpus)
    state = _server.fixed_state(args.images, ACCOUNTS_PER_IMAGE)
    profiler = cProfile.Profile()
    tally, timer = Tally(), ProfilingTimer(profiler)
    with serving(lean_server_command(args.images)) as server:
        job = Job(
            endpoint_url=server.endpoint_url,
            region=server.credentials["AWS_DEFAULT_REGION"],
            access_key=server.credentials["AWS_ACCESS_KEY_ID"],
            secret_key=server.credentials["AWS_SECRET_ACCESS_KEY"],
            concurrency=args.concurrency,
            image_ids=tuple(state),
            uvloop=args.uvloop,
        )
        server_before = server.cpu_secs()
        DRIVERS[args.client](job, tally, timer)
        server_share = (server.cpu_secs() - server_before) / timer.wall_secs
    truth = Truth.of(state)
    correct = (tally.images, tally.pages, tally.shared, tally.failed) == (
        truth.images,
        truth.pages,
        truth.shared,
        0,
    )
    print(
        f"{args.client} c={args.concurrency}{' uvloop' if args.uvloop else ''}:"
        f" {tally.pages} requests in {timer.wall_secs:.2f} s under the profiler,"
        f" {timer.cpu_secs / tally.pages * 1e6:.0f} µs CPU/request,"
        f" server {server_share:.2f} of a core, {'correct' if correct else 'WRONG RESULT'}"
    )
    print("\n## Own time by owner, µs per request under the profiler\n")
    for owner, micros in by_owner(profiler, tally.pages):
        if micros >= 0.5:
            print(f"{micros:8.1f}  {owner}")
    print(f"\n## Top {args.top} by own time\n")
    print(_top(profiler, "tottime", args.top))
    print(f"## Top {args.top} by cumulative time\n")
    print(_top(profiler, "cumulative", args.top))
    if args.save:
        profiler.dump_stats(args.save)
    return 0 if correct else 1


if __name__ == "__main__":
    raise SystemExit(main())
