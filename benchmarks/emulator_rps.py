"""How many requests/s the emulator serves on one core, with SigV4 verification on and off.

The emulator runs in a subprocess pinned to one CPU; this process (pinned to another CPU where
there is one) replays requests pre-signed with botocore, so signing cost stays out of the figure.
One client process rarely saturates an aiohttp server, and a shared machine skews wall time, so
besides the wall-clock rate it reports capacity: requests per second of emulator CPU time (Linux
/proc), i.e. what one fully busy core would serve.

    .venv/bin/python benchmarks/emulator_rps.py [--duration 5] [--concurrency 64]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import subprocess
import sys
import time

import aiohttp
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

EMULATOR_CPU = 0
DRIVER_CPU = 1


def pin(cpu: int) -> None:
    cpus = os.sched_getaffinity(0)
    if cpu in cpus:
        os.sched_setaffinity(0, {cpu})


def start_emulator(images: int, verify: bool) -> tuple[subprocess.Popen[str], dict[str, str]]:
    command = [sys.executable, "-m", "imgperms_async.emulator", "--images", str(images)]
    process = subprocess.Popen(
        command + ([] if verify else ["--no-verify"]),
        stdout=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: pin(EMULATOR_CPU),
    )
    assert process.stdout is not None
    settings = {"endpoint": process.stdout.readline().strip()}
    for _ in range(4):
        name, _, value = process.stdout.readline().strip().removeprefix("export ").partition("=")
        settings[name] = value
    return process, settings


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def presign(settings: dict[str, str], image_ids: list[str]) -> list[tuple[dict[str, str], bytes]]:
    credentials = Credentials(settings["AWS_ACCESS_KEY_ID"], settings["AWS_SECRET_ACCESS_KEY"])
    signer = SigV4Auth(credentials, "workspaces", settings["AWS_DEFAULT_REGION"])
    signed = []
    for image_id in image_ids:
        body = json.dumps({"ImageId": image_id}).encode()
        request = AWSRequest(
            method="POST",
            url=settings["endpoint"] + "/",
            data=body,
            headers={
                "Content-Type": "application/x-amz-json-1.1",
                "X-Amz-Target": "WorkspacesService.DescribeWorkspaceImagePermissions",
            },
        )
        signer.add_auth(request)
        signed.append((dict(request.headers.items()), body))
    return signed


async def owned_image_ids(session: aiohttp.ClientSession, settings: dict[str, str]) -> list[str]:
    """First page of the emulator's own listing, so the benchmark needs no knowledge of the seed."""
    credentials = Credentials(settings["AWS_ACCESS_KEY_ID"], settings["AWS_SECRET_ACCESS_KEY"])
    url = settings["endpoint"] + "/"
    request = AWSRequest(
        method="POST",
        url=url,
        data=b"{}",
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "WorkspacesService.DescribeWorkspaceImages",
        },
    )
    SigV4Auth(credentials, "workspaces", settings["AWS_DEFAULT_REGION"]).add_auth(request)
    async with session.post(
        url, headers=dict(request.headers.items()), data=request.body
    ) as response:
        page = await response.json(content_type=None)
    return [image["ImageId"] for image in page["Images"]]


async def drive(
    settings: dict[str, str], pid: int, duration: float, concurrency: int
) -> tuple[int, int, float]:
    """Return (answered 200, other answers, emulator CPU seconds spent on them)."""
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        requests = presign(settings, await owned_image_ids(session, settings))
        pool = itertools.cycle(requests)
        deadline = time.perf_counter() + duration
        counts = [0, 0]
        cpu_before = cpu_seconds(pid)

        async def worker() -> None:
            while time.perf_counter() < deadline:
                headers, body = next(pool)
                async with session.post(settings["endpoint"], headers=headers, data=body) as r:
                    await r.read()
                    counts[r.status != 200] += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return counts[0], counts[1], cpu_seconds(pid) - cpu_before


def measure(verify: bool, args: argparse.Namespace) -> tuple[float, float]:
    """Return (wall-clock req/s, req/s per emulator CPU second)."""
    process, settings = start_emulator(args.images, verify)
    try:
        ok, failed, cpu = asyncio.run(drive(settings, process.pid, args.duration, args.concurrency))
    finally:
        process.terminate()
        process.communicate()
    if failed:
        raise SystemExit(f"{failed} requests failed; the figure would be meaningless")
    return ok / args.duration, ok / cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per measurement")
    parser.add_argument("--concurrency", type=int, default=64, help="connections in flight")
    parser.add_argument("--images", type=int, default=200)
    args = parser.parse_args()
    pin(DRIVER_CPU)
    for verify in (True, False):
        wall, capacity = measure(verify, args)
        print(
            f"verify={'on ' if verify else 'off'}  {wall:7.0f} req/s wall clock,"
            f" {capacity:7.0f} req/s per emulator CPU second"
        )


if __name__ == "__main__":
    main()
