"""Serving from the command line: announce the endpoint and credentials, then wait for a signal."""

from __future__ import annotations

import asyncio
import signal
import sys
from typing import TextIO

from ._emulator import Emulator

__all__ = ["announcement", "run_emulator"]


def announcement(emulator: Emulator) -> str:
    """The endpoint, then the credentials it accepts as shell `export` lines."""
    credentials = emulator.credentials
    lines = (
        emulator.endpoint_url,
        f"export AWS_ACCESS_KEY_ID={credentials.access_key}",
        f"export AWS_SECRET_ACCESS_KEY={credentials.secret_key}",
        f"export AWS_DEFAULT_REGION={emulator.region}",
        f"export AWS_ENDPOINT_URL_WORKSPACES={emulator.endpoint_url}",
    )
    return "\n".join(lines) + "\n"


async def _serve(emulator: Emulator, out: TextIO) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with emulator:
        out.write(announcement(emulator))
        out.flush()
        await stop.wait()


def run_emulator(emulator: Emulator, *, out: TextIO | None = None) -> None:
    """Serve `emulator` until SIGINT or SIGTERM, announcing it on `out` (stdout by default)."""
    asyncio.run(_serve(emulator, out or sys.stdout))
