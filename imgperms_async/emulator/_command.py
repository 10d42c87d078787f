"""The `emulator` click command: every option of the emulator, for `imgperms emulator` and
`python -m imgperms_async.emulator` alike.

Values are checked with the constructor's own requirements, and every refusal is one line on
stderr with exit status 2, naming the flag.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from ._emulator import Emulator
from ._options import (
    AT_LEAST_ONE,
    COUNT,
    FINITE,
    FRACTION,
    HOST,
    NON_NEGATIVE,
    PAGE_SIZE,
    PORT,
    POSITIVE,
    InvalidOption,
    Latency,
    Requirement,
    parse_latency,
)
from ._serve import run_emulator

__all__ = ["emulator"]

_T = TypeVar("_T")
EXIT_USAGE = 2


class OptionError(click.ClickException):
    """A refused option value: one line, exit status 2, like every usage error of the command."""

    exit_code = EXIT_USAGE


def _flag(param: click.Parameter) -> str:
    return param.opts[0] if param.opts else str(param.name)


def _require(requirement: Requirement[_T]) -> Callable[[click.Context, click.Parameter, Any], Any]:
    """An option callback holding the converted value to a requirement of the constructor."""

    def check(ctx: click.Context, param: click.Parameter, value: _T | None) -> _T | None:
        if value is None:
            return None
        try:
            return requirement.check(_flag(param), value)
        except InvalidOption as error:
            raise click.BadParameter(error.reason, ctx, param) from None

    return check


def _latency(ctx: click.Context, param: click.Parameter, value: str) -> Latency:
    try:
        return parse_latency(value)
    except InvalidOption as error:
        raise click.BadParameter(error.reason, ctx, param) from None


class _Command(click.Command):
    """A click command whose bad option values are one line, without the usage text."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.BadParameter as error:
            raise OptionError(error.format_message()) from None


@click.command("emulator", cls=_Command)
@click.option(
    "--host",
    callback=_require(HOST),
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; ::1 serves IPv6 and announces http://[::1]:PORT.",
)
@click.option(
    "--port",
    type=int,
    callback=_require(PORT),
    default=0,
    help="Port to listen on; 0 (the default) picks a free one.",
)
@click.option(
    "--images",
    type=int,
    callback=_require(COUNT),
    default=200,
    show_default=True,
    help="How many seeded images to generate.",
)
@click.option(
    "--seed", type=int, default=0, show_default=True, help="Same seed, same images and shares."
)
@click.option(
    "--rate",
    type=float,
    callback=_require(POSITIVE),
    help="Requests per second allowed per access key (default: no limit).",
)
@click.option(
    "--burst",
    type=float,
    callback=_require(AT_LEAST_ONE),
    help="Requests allowed at once above the rate (default: the rate, at least 1).",
)
@click.option(
    "--fault-rate",
    type=float,
    callback=_require(FRACTION),
    default=0.0,
    show_default=True,
    help="Fraction of requests answered 500 InternalFailure or 503 ServiceUnavailable.",
)
@click.option(
    "--drop-rate",
    type=float,
    callback=_require(FRACTION),
    default=0.0,
    show_default=True,
    help="Fraction of responses cut off after the headers.",
)
@click.option(
    "--malformed-rate",
    type=float,
    callback=_require(FRACTION),
    default=0.0,
    show_default=True,
    help="Fraction of successful responses truncated to invalid JSON.",
)
@click.option(
    "--latency",
    default="0",
    callback=_latency,
    metavar="SECS|LOW,HIGH",
    help="Delay added to every response: fixed, or uniform between LOW and HIGH.",
)
@click.option(
    "--page-size",
    type=int,
    callback=_require(PAGE_SIZE),
    default=25,
    show_default=True,
    help="Most shares one page returns, whatever MaxResults (1 to 25) asks for.",
)
@click.option(
    "--deny-image",
    "deny_images",
    multiple=True,
    metavar="IMAGE_ID",
    help="Answer AccessDeniedException for every call on this image (repeatable).",
)
@click.option("--no-verify", is_flag=True, help="Accept unsigned or wrongly signed requests.")
@click.option(
    "--clock-offset",
    type=float,
    callback=_require(FINITE),
    default=0.0,
    metavar="SECS",
    help="Run the server clock SECS ahead (negative: behind), to test clock-skew handling.",
)
@click.option(
    "--retry-after",
    type=float,
    callback=_require(NON_NEGATIVE),
    metavar="SECS",
    help="Send x-amz-retry-after with every throttle.",
)
@click.pass_context
def emulator(
    ctx: click.Context,
    host: str,
    port: int,
    images: int,
    seed: int,
    rate: float | None,
    burst: float | None,
    fault_rate: float,
    drop_rate: float,
    malformed_rate: float,
    latency: Latency,
    page_size: int,
    deny_images: tuple[str, ...],
    no_verify: bool,
    clock_offset: float,
    retry_after: float | None,
) -> None:
    """Serve a local Amazon WorkSpaces endpoint with seeded images, until Ctrl-C or SIGTERM.

    The first line printed is the endpoint URL, then `export AWS_...=...` lines with the
    credentials it accepts: `eval` them in a shell and boto3, the AWS CLI or `imgperms audit`
    talk to it.
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
            latency=latency,
            page_size=page_size,
            deny_images=deny_images,
            verify=not no_verify,
            clock_offset=clock_offset,
            retry_after=retry_after,
        )
    except InvalidOption as error:
        flags = {param.name: _flag(param) for param in ctx.command.params}
        flag = flags.get(error.argument, error.argument)
        raise OptionError(f"Invalid value for '{flag}': {error.reason}") from None
    try:
        run_emulator(served)
    except OSError as error:
        raise click.ClickException(
            f"cannot serve on {host}:{port}: {error.strerror or error}"
        ) from None
