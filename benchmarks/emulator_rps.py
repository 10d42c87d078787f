"""How many requests/s the emulator serves on one core: one account with SigV4 verification on and
off, and an organization's 150 (account, region) pairs with verification on.

The emulator runs in a subprocess pinned to one CPU; this process (pinned to another CPU where
there is one) replays requests pre-signed with botocore, so signing cost stays out of the figure.
For the organization it first assumes the role in each member (STS, untimed), then spreads the
requests over every pair, each pair with its own temporary credentials. One client process rarely
saturates an aiohttp server, and a shared machine skews wall time, so besides the wall-clock rate
it reports capacity: requests per second of emulator CPU time (Linux /proc), i.e. what one fully
busy core would serve.

    .venv/bin/python benchmarks/emulator_rps.py [--duration 5] [--concurrency 64] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

import aiohttp
import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

EMULATOR_CPU = 0
DRIVER_CPU = 1
ORGANIZATION_REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2")
ORGANIZATION_PAIRS = 150
ORGANIZATION_MEMBERS = 55
"""55 members, a tenth suspended: 51 accounts to enter, 153 pairs, of which 150 are used."""
Signed = tuple[dict[str, str], bytes]


def pin(cpu: int) -> None:
    cpus = os.sched_getaffinity(0)
    if cpu in cpus:
        os.sched_setaffinity(0, {cpu})


@dataclass(frozen=True)
class Served:
    process: subprocess.Popen[str]
    endpoint: str
    exports: dict[str, str]

    def credentials(self) -> Credentials:
        return Credentials(self.exports["AWS_ACCESS_KEY_ID"], self.exports["AWS_SECRET_ACCESS_KEY"])


def start_emulator(options: Sequence[str]) -> Served:
    """`python -m imgperms_async.emulator OPTIONS`, its URL and `export` lines read."""
    command = [sys.executable, "-m", "imgperms_async.emulator", *options]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        preexec_fn=lambda: pin(EMULATOR_CPU),
    )  # fmt: skip
    assert process.stdout is not None
    endpoint = process.stdout.readline().strip()
    exports: dict[str, str] = {}
    lines = 5 if "--accounts" in options else 4
    for _ in range(lines):
        name, _, value = process.stdout.readline().strip().removeprefix("export ").partition("=")
        exports[name] = value
    return Served(process, endpoint, exports)


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def sign(
    endpoint: str, credentials: Credentials, region: str, operation: str, payload: object
) -> Signed:
    body = json.dumps(payload).encode()
    request = AWSRequest(
        method="POST",
        url=endpoint + "/",
        data=body,
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": f"WorkspacesService.{operation}",
        },
    )
    SigV4Auth(credentials, "workspaces", region).add_auth(request)
    return dict(request.headers.items()), body


async def scope_requests(
    session: aiohttp.ClientSession, endpoint: str, credentials: Credentials, region: str
) -> list[Signed]:
    """One pre-signed DescribeWorkspaceImagePermissions per image on the scope's first page."""
    headers, body = sign(endpoint, credentials, region, "DescribeWorkspaceImages", {})
    async with session.post(endpoint + "/", headers=headers, data=body) as response:
        page = await response.json(content_type=None)
    return [
        sign(endpoint, credentials, region, "DescribeWorkspaceImagePermissions", {"ImageId": i})
        for i in (image["ImageId"] for image in page["Images"])
    ]


def organization_scopes(served: Served) -> list[tuple[Credentials, str]]:
    """(credentials, region) for 150 pairs: the management account's own, then assumed roles."""
    keys = {
        "aws_access_key_id": served.exports["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": served.exports["AWS_SECRET_ACCESS_KEY"],
    }
    options = {"endpoint_url": served.endpoint, "region_name": "us-east-1", **keys}
    listing = boto3.client("organizations", **options).get_paginator("list_accounts").paginate()
    accounts = [account for page in listing for account in page["Accounts"]]
    sts = boto3.client("sts", **options)
    own = sts.get_caller_identity()["Account"]
    holders = [served.credentials()]
    for account in accounts:
        if account["Id"] == own or account["Status"] != "ACTIVE":
            continue
        issued = sts.assume_role(
            RoleArn=f"arn:aws:iam::{account['Id']}:role/OrganizationAccountAccessRole",
            RoleSessionName="benchmark",
        )["Credentials"]
        holders.append(
            Credentials(issued["AccessKeyId"], issued["SecretAccessKey"], issued["SessionToken"])
        )
    pairs = [(holder, region) for holder in holders for region in ORGANIZATION_REGIONS]
    if len(pairs) < ORGANIZATION_PAIRS:
        raise SystemExit(f"only {len(pairs)} (account, region) pairs to measure")
    return pairs[:ORGANIZATION_PAIRS]


async def drive(served: Served, args: argparse.Namespace, organization: bool) -> tuple[int, float]:
    """Return (answered 200, emulator CPU seconds spent on them); any other answer is fatal."""
    connector = aiohttp.TCPConnector(limit=args.concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        scopes = (
            organization_scopes(served) if organization else [(served.credentials(), "us-east-1")]
        )
        per_scope = [
            await scope_requests(session, served.endpoint, credentials, region)
            for credentials, region in scopes
        ]
        pool = itertools.cycle(
            [r for batch in itertools.zip_longest(*per_scope) for r in batch if r]
        )
        deadline = time.perf_counter() + args.duration
        counts = [0, 0]
        cpu_before = cpu_seconds(served.process.pid)

        async def worker() -> None:
            while time.perf_counter() < deadline:
                headers, body = next(pool)
                async with session.post(served.endpoint, headers=headers, data=body) as answer:
                    await answer.read()
                    counts[answer.status != 200] += 1

        await asyncio.gather(*(worker() for _ in range(args.concurrency)))
        cpu = cpu_seconds(served.process.pid) - cpu_before
    if counts[1]:
        raise SystemExit(f"{counts[1]} requests failed; the figure would be meaningless")
    return counts[0], cpu


def measure(options: list[str], args: argparse.Namespace) -> tuple[float, float]:
    """Return (wall-clock req/s, req/s per emulator CPU second)."""
    organization = "--accounts" in options
    served = start_emulator(options)
    try:
        ok, cpu = asyncio.run(drive(served, args, organization))
    finally:
        served.process.terminate()
        served.process.communicate()
    return ok / args.duration, ok / cpu


def main() -> None:
    summary = " ".join(__doc__.split("\n\n", 1)[0].split())
    parser = argparse.ArgumentParser(
        description=summary,
        epilog="example: .venv/bin/python benchmarks/emulator_rps.py --duration 5 --rounds 3",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per measurement")
    parser.add_argument("--concurrency", type=int, default=64, help="connections in flight")
    parser.add_argument("--rounds", type=int, default=1, help="rounds; medians are reported")
    parser.add_argument(
        "--images", type=int, default=200, help="images of the one-account emulator"
    )
    args = parser.parse_args()
    pin(DRIVER_CPU)
    runs = {
        "one account, verify on ": ["--images", str(args.images)],
        "one account, verify off": ["--images", str(args.images), "--no-verify"],
        "150 pairs,   verify on ": [
            "--accounts", str(ORGANIZATION_MEMBERS), "--images", "25",
            "--regions", ",".join(ORGANIZATION_REGIONS),
        ],
    }  # fmt: skip
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in runs}
    for _ in range(args.rounds):
        for name, options in runs.items():
            results[name].append(measure(options, args))
    for name, figures in results.items():
        wall = statistics.median(f[0] for f in figures)
        capacity = statistics.median(f[1] for f in figures)
        print(
            f"{name}  {wall:7.0f} req/s wall clock, {capacity:7.0f} req/s per emulator CPU second"
        )


if __name__ == "__main__":
    main()
