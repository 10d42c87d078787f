"""The emulator in its own process: starting it from the suite, and a launcher for fixed-shape state.

The server runs in a separate process pinned to its own core, so its CPU never counts against the
client being measured. The throughput scenario wants every image to cost exactly the same number of
requests, which the seeded generator cannot promise, so ``python -m benchmarks._server`` serves an
explicit state instead (``--images N --accounts K``: ``K`` accounts per image, ``ceil(K / 25)``
pages), and ``benchmarks._lean_server`` serves the same state faster; the other scenarios use the
stock ``python -m imgperms_async.emulator``. Every server reports the CPU it used, so the report
can show that the server was never what it measured.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import IO, Any, Final

from imgperms_async.emulator import Emulator, run_emulator

SERVER_CPU: Final = 0
CLIENT_CPU: Final = 1


def pinned_to(cpu: int) -> set[int] | None:
    """The affinity for a child on ``cpu``, or ``None`` (no pinning) when that core is not ours."""
    return {cpu} if cpu in os.sched_getaffinity(0) and os.cpu_count() != 1 else None


def process_cpu_secs(pid: int) -> float:
    """utime + stime from ``/proc/<pid>/stat``: no dependency, and it counts every thread."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def fixed_state(images: int, accounts: int) -> dict[str, tuple[str, ...]]:
    """``images`` ids with ``accounts`` distinct shares each; deterministic, so truth needs no server."""
    return {
        f"wsi-bench{image:06d}": tuple(
            str(100_000_000_000 + image * 1_000 + account) for account in range(accounts)
        )
        for image in range(images)
    }


@dataclass
class Server:
    """A running emulator process and what a client needs to reach it."""

    process: subprocess.Popen[str]
    endpoint_url: str
    credentials: dict[str, str] = field(repr=False)
    log: IO[str] | None = None
    """What the server wrote to stderr (an organization's notes: one line names every opt-in
    region an account has not enabled, thousands of them for an enterprise), kept off the
    suite's progress and shown only when the server does not start."""

    def counters(self) -> dict[str, int]:
        """The emulator's own tally (requests, throttled, ...), read over its unsigned stats route."""
        with urllib.request.urlopen(f"{self.endpoint_url}/_emulator/stats", timeout=10) as answer:
            counters: dict[str, int] = json.load(answer)["counters"]
        return counters

    def scoped_truth(self) -> dict[str, Any]:
        """``GET /_emulator/truth`` as served: the organization, and ``images[account][region]``."""
        with urllib.request.urlopen(f"{self.endpoint_url}/_emulator/truth", timeout=10) as answer:
            truth: dict[str, Any] = json.load(answer)
        return truth

    def truth(self) -> dict[str, tuple[str, ...]]:
        """Image id -> shared account ids, for every account and region."""
        scopes: dict[str, dict[str, dict[str, list[str]]]] = self.scoped_truth()["images"]
        return {
            image: tuple(shares)
            for regions in scopes.values()
            for images in regions.values()
            for image, shares in images.items()
        }

    def cpu_secs(self) -> float:
        """User plus system CPU time the server process has used so far."""
        return process_cpu_secs(self.process.pid)

    def stop(self) -> None:
        self.process.terminate()
        self.process.communicate(timeout=10)
        if self.log is not None:
            self.log.close()


def start(command: Sequence[str]) -> Server:
    """Run ``command`` (a module and its flags), then read the URL and the ``export`` lines it prints."""
    cpus = pinned_to(SERVER_CPU)
    log = tempfile.TemporaryFile("w+")  # noqa: SIM115 (closed by Server.stop, outliving this call)
    process = subprocess.Popen(
        [sys.executable, "-m", *command],
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        preexec_fn=None if cpus is None else lambda: os.sched_setaffinity(0, cpus),
    )
    assert process.stdout is not None
    endpoint_url = process.stdout.readline().strip()
    if not endpoint_url.startswith("http"):
        process.kill()
        process.wait()
        log.seek(0)
        said = log.read()[-2000:]
        log.close()
        raise RuntimeError(f"emulator {command} did not start: {endpoint_url!r}\n{said}")
    credentials: dict[str, str] = {}
    for _ in range(4):
        name, _, value = process.stdout.readline().strip().removeprefix("export ").partition("=")
        credentials[name] = value
    return Server(process, endpoint_url, credentials, log)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks._server", description="Serve the emulator on fixed-shape state."
    )
    parser.add_argument("--images", type=int, required=True)
    parser.add_argument("--accounts", type=int, required=True, help="shared accounts per image")
    parser.add_argument("--seed", type=int, default=0, help="seeds the page tokens")
    parser.add_argument("--no-verify", action="store_true", help="accept unsigned requests")
    args = parser.parse_args(argv)
    state = fixed_state(args.images, args.accounts)
    run_emulator(Emulator(state, seed=args.seed, port=0, verify=not args.no_verify))


if __name__ == "__main__":
    main()
