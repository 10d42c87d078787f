"""``imgperms emulator``: serve the bundled WorkSpaces emulator until interrupted."""

from __future__ import annotations

import click

from imgperms_async.emulator import Emulator, run_emulator


def _latency(text: str) -> float | tuple[float, float]:
    low, comma, high = text.partition(",")
    try:
        return (float(low), float(high)) if comma else float(low)
    except ValueError:
        raise click.BadParameter(f"{text!r}: give SECS or LOW,HIGH in seconds") from None


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", type=int, default=0, help="Port to listen on; 0 (default) picks a free one."
)
@click.option(
    "--images",
    type=click.IntRange(min=0),
    default=200,
    show_default=True,
    help="How many seeded images to generate.",
)
@click.option(
    "--seed", type=int, default=0, show_default=True, help="Same seed, same images and shares."
)
@click.option(
    "--rate", type=float, help="Requests per second allowed per access key (default: no limit)."
)
@click.option(
    "--burst", type=float, help="Requests allowed at once above the rate (default: the rate)."
)
@click.option(
    "--fault-rate",
    type=float,
    default=0.0,
    show_default=True,
    help="Fraction of requests answered with a 500/503.",
)
@click.option(
    "--drop-rate",
    type=float,
    default=0.0,
    show_default=True,
    help="Fraction of responses cut off mid-way.",
)
@click.option(
    "--malformed-rate",
    type=float,
    default=0.0,
    show_default=True,
    help="Fraction of successful responses garbled.",
)
@click.option(
    "--latency",
    default="0",
    metavar="SECS|LOW,HIGH",
    help="Delay added to every response, fixed or uniform in a range.",
)
@click.option(
    "--page-size",
    type=click.IntRange(min=1),
    default=25,
    show_default=True,
    help="Largest page the emulator returns.",
)
@click.option("--no-verify", is_flag=True, help="Accept unsigned or wrongly signed requests.")
@click.option(
    "--clock-offset",
    type=float,
    default=0.0,
    metavar="SECS",
    help="Pretend the server clock is off by SECS (tests clock-skew handling).",
)
@click.option(
    "--retry-after", type=float, metavar="SECS", help="Retry-After hint sent with throttles."
)
def emulator(
    host: str,
    port: int,
    images: int,
    seed: int,
    rate: float | None,
    burst: float | None,
    fault_rate: float,
    drop_rate: float,
    malformed_rate: float,
    latency: str,
    page_size: int,
    no_verify: bool,
    clock_offset: float,
    retry_after: float | None,
) -> None:
    """Serve a local WorkSpaces endpoint with seeded images, until Ctrl-C.

    The first line printed is the endpoint URL, then `export AWS_...=...` lines with the
    credentials it accepts: `eval` them in a shell and `imgperms audit --all` talks to it.
    """
    try:
        served = Emulator(
            images,
            seed=seed,
            host=host,
            port=port,
            rate=rate,
            burst=burst,
            fault_rate=fault_rate,
            drop_rate=drop_rate,
            malformed_rate=malformed_rate,
            latency=_latency(latency),
            page_size=page_size,
            verify=not no_verify,
            clock_offset=clock_offset,
            retry_after=retry_after,
        )
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    try:
        run_emulator(served)
    except OSError as error:
        raise click.ClickException(
            f"cannot serve on {host}:{port}: {error.strerror or error}"
        ) from None
