"""Command-line entry: announce the endpoint and credentials, then serve until SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Sequence
from typing import TextIO

from ._emulator import Emulator
from ._faults import Latency

__all__ = ["main", "run_emulator"]


def _announce(emulator: Emulator, out: TextIO) -> None:
    credentials = emulator.credentials
    lines = (
        emulator.endpoint_url,
        f"export AWS_ACCESS_KEY_ID={credentials.access_key}",
        f"export AWS_SECRET_ACCESS_KEY={credentials.secret_key}",
        f"export AWS_DEFAULT_REGION={emulator.region}",
        f"export AWS_ENDPOINT_URL_WORKSPACES={emulator.endpoint_url}",
    )
    out.write("\n".join(lines) + "\n")
    out.flush()


async def _serve(emulator: Emulator, out: TextIO) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with emulator:
        _announce(emulator, out)
        await stop.wait()


def run_emulator(emulator: Emulator, *, out: TextIO | None = None) -> None:
    """Serve `emulator` until SIGINT or SIGTERM; the click CLI calls this too."""
    asyncio.run(_serve(emulator, out or sys.stdout))


def _latency(text: str) -> Latency:
    low, sep, high = text.partition(",")
    return (float(low), float(high)) if sep else float(low)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m imgperms_async.emulator",
        description="Serve a local Amazon WorkSpaces emulator for image permissions.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--images", type=int, default=200, help="seeded images to generate")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rate", type=float, help="requests/s per access key (default: no limit)")
    parser.add_argument("--burst", type=float, help="token bucket size (default: max(1, rate))")
    parser.add_argument("--fault-rate", type=float, default=0.0, help="fraction answered 500/503")
    parser.add_argument("--drop-rate", type=float, default=0.0, help="fraction cut mid-response")
    parser.add_argument(
        "--malformed-rate", type=float, default=0.0, help="fraction of 200s garbled"
    )
    parser.add_argument("--latency", type=_latency, default=0.0, metavar="SECS|LOW,HIGH")
    parser.add_argument("--page-size", type=int, default=25)
    parser.add_argument("--no-verify", action="store_true", help="accept unsigned requests")
    parser.add_argument("--clock-offset", type=float, default=0.0, metavar="SECS")
    parser.add_argument("--retry-after", type=float, metavar="SECS", help="hint on throttles")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        emulator = Emulator(
            args.images,
            seed=args.seed,
            host=args.host,
            port=args.port,
            rate=args.rate,
            burst=args.burst,
            fault_rate=args.fault_rate,
            drop_rate=args.drop_rate,
            malformed_rate=args.malformed_rate,
            latency=args.latency,
            page_size=args.page_size,
            verify=not args.no_verify,
            clock_offset=args.clock_offset,
            retry_after=args.retry_after,
        )
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    run_emulator(emulator)
    return 0
