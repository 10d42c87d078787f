"""``imgperms demo``: the main job on the bundled emulator, with no AWS account or configuration."""

from __future__ import annotations

import random
import sys
from collections.abc import Mapping
from typing import Final

import click

from imgperms_async import Audit, ClientConfig, Identity
from imgperms_async.cli import _options as options
from imgperms_async.cli._logs import configure_logging
from imgperms_async.cli._output import stdout_sink
from imgperms_async.cli._run import Recorder, run_audit
from imgperms_async.cli._status import INCOMPLETE, OK
from imgperms_async.cli._writers import table_writer

DEMO_UNEXPECTED_ACCOUNTS: Final = 6
"""How many of the emulator's accounts the demo leaves out of its allowlist, to be flagged."""
DEMO_IMAGES: Final = 300
DEMO_ACCOUNTS: Final = 6
DEMO_IMAGES_PER_SCOPE: Final = 8
NEXT_STEPS: Final = (
    "next: audit your own account with `imgperms audit --all --allowlist allowed.txt` (AWS "
    "credentials and region as for the AWS CLI); an organization with `imgperms audit "
    "--organization --all-regions`; see docs/first-audit.md"
)


def demo_allowlist(truth: Mapping[str, tuple[str, ...]], seed: int) -> frozenset[str]:
    """Every account the emulator shares with except a few, picked from the seed, to flag."""
    accounts = sorted({account for shared in truth.values() for account in shared})
    left_out = random.Random(seed).sample(accounts, min(DEMO_UNEXPECTED_ACCOUNTS, len(accounts)))
    return frozenset(accounts) - set(left_out)


@click.command(
    epilog="\b\nExamples:\n"
    "  imgperms demo                       # one account, 300 images, a few flagged\n"
    "  imgperms demo --organization        # an organization of 7 accounts\n"
    "  imgperms demo --rate 20 --seed 3    # a tighter rate limit, other data"
)
@click.option(
    "--images",
    type=click.IntRange(min=1),
    default=None,
    help=f"Images in the emulator ({DEMO_IMAGES}), or in each account and region with "
    f"--organization ({DEMO_IMAGES_PER_SCOPE}).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the emulator's data.")
@click.option(
    "--rate",
    type=float,
    callback=options.positive,
    default=100.0,
    show_default=True,
    help="The emulator's rate limit in requests per second (per account and region).",
)
@click.option(
    "--organization",
    is_flag=True,
    help="Audit an emulated organization: its accounts, their regions, each share classed.",
)
@options.PROGRESS
@options.DEBUG
def demo(
    images: int | None,
    seed: int,
    rate: float,
    organization: bool,
    progress: bool | None,
    debug: bool,
) -> None:
    """Audit a local emulator end to end: no AWS account or configuration needed.

    Starts the emulator with seeded images and a rate limit (the client's adaptive limiter
    slows down when throttled), audits every image, and prints the flagged ones: against an
    allowlist that leaves out a few accounts, or, with --organization, every share outside the
    emulated organization. Exit status 0 when every image was audited (the flags are the point
    of the demo), 3 if some could not be, 130 if interrupted.
    """
    from imgperms_async.emulator import Emulator

    burst = max(1.0, rate / 4)
    served = (
        Emulator(
            images or DEMO_IMAGES_PER_SCOPE,
            accounts=DEMO_ACCOUNTS,
            seed=seed,
            rate=rate,
            burst=burst,
        )
        if organization
        else Emulator(images or DEMO_IMAGES, seed=seed, rate=rate, burst=burst)
    )
    with served:
        configure_logging(debug=debug)
        keys = served.credentials
        identity = Identity(
            region_name=served.region,
            endpoint_url=served.endpoint_url,
            aws_access_key_id=keys.access_key,
            aws_secret_access_key=keys.secret_key,
        )
        audit = (
            Audit(
                accounts="organization",
                regions=served.regions,
                identity=identity,
                config=ClientConfig(max_rate=rate),
            )
            if organization
            else Audit(
                accounts="caller",
                identity=identity,
                allowlist=demo_allowlist(served.truth, seed),
            )
        )
        writer = table_writer(
            stdout_sink(),
            to_terminal=sys.stdout.isatty(),
            per_account=organization,
            flagged_only=True,
        )
        code = run_audit(audit, Recorder(writer), progress=progress, profile=None, fail_on="never")
    if code in (OK, INCOMPLETE):
        click.echo(NEXT_STEPS, err=True)
    sys.exit(code)
