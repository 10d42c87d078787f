"""The `emulator` click command: every option of the emulator, for `imgperms emulator` and
`python -m imgperms_async.emulator` alike.

Values are checked by the constructor, once, and every refusal is one line on stderr with exit
status 2, naming the flag.
"""

from __future__ import annotations

import click

from ._configuration import AWS_LIMITS, DEFAULT_REGION, ORGANIZATION_IMAGES, STANDALONE_IMAGES
from ._options import MAX_PAGE_SIZE, InvalidOption, Latency, parse_latency
from ._regions import DEFAULT_ORGANIZATION_REGIONS

__all__ = ["emulator"]

EXIT_USAGE = 2


class OptionError(click.ClickException):
    """A refused option value: one line, exit status 2, like every usage error of the command."""

    exit_code = EXIT_USAGE


def _flag(param: click.Parameter) -> str:
    return param.opts[0] if param.opts else str(param.name)


def _latency(ctx: click.Context, param: click.Parameter, value: str) -> Latency:
    try:
        return parse_latency(value)
    except InvalidOption as error:
        raise click.BadParameter(error.reason, ctx, param) from None


def _regions(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> tuple[str, ...] | None:
    return None if value is None else tuple(region.strip() for region in value.split(","))


def _account_regions(
    ctx: click.Context, param: click.Parameter, value: tuple[str, ...]
) -> tuple[tuple[str, str], ...]:
    pairs = []
    for text in value:
        account, colon, region = text.partition(":")
        if not colon or not account or not region:
            raise click.BadParameter(f"must be ACCOUNT:REGION, got {text!r}", ctx, param)
        pairs.append((account, region))
    return tuple(pairs)


def _account_names(
    ctx: click.Context, param: click.Parameter, value: tuple[str, ...]
) -> dict[str, str] | None:
    names: dict[str, str] = {}
    for text in value:
        account, equals, name = text.partition("=")
        if not equals or not account:
            raise click.BadParameter(f"must be ACCOUNT=NAME, got {text!r}", ctx, param)
        if account in names:
            raise click.BadParameter(f"names {account} twice", ctx, param)
        names[account] = name
    return names or None


class _Command(click.Command):
    """A click command whose bad option values are one line, without the usage text."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.BadParameter as error:
            raise OptionError(error.format_message()) from None


EXAMPLES = (
    "\b\nExamples:\n"
    "  imgperms emulator --images 20 --seed 1             # one account\n"
    "  imgperms emulator --accounts 6 --aws-limits        # an organization\n"
    "  imgperms emulator --fault-rate 0.05 --latency 0.2  # unreliable, slow\n"
    "  imgperms emulator --seed 1 > emulator.env &        # then, once started:\n"
    "  eval \"$(grep '^export' emulator.env)\"              # AWS calls go there"
)


# -h as well as --help, as under `imgperms`, also for `python -m imgperms_async.emulator`: click keeps
# the first help option it makes for a command, whichever way the command was first run.
@click.command(
    "emulator",
    cls=_Command,
    epilog=EXAMPLES,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; ::1 serves IPv6 and announces http://[::1]:PORT.",
)
@click.option(
    "--port",
    type=int,
    default=0,
    help="Port to listen on; 0 (the default) picks a free one.",
)
@click.option(
    "--images",
    type=int,
    help="Seeded images in each account and region  [default: "
    f"{STANDALONE_IMAGES}; for an organization {ORGANIZATION_IMAGES}].",
)
@click.option(
    "--seed", type=int, default=0, show_default=True, help="Same seed, same images and shares."
)
@click.option(
    "--accounts",
    type=int,
    metavar="N",
    help="Serve an AWS organization: a management account and N members (without it, one"
    " standalone account).",
)
@click.option(
    "--regions",
    callback=_regions,
    metavar="R,...",
    help=f"WorkSpaces regions served  [default: {DEFAULT_REGION}; for an organization"
    f" {','.join(DEFAULT_ORGANIZATION_REGIONS)}].",
)
@click.option(
    "--opt-in-disabled",
    multiple=True,
    callback=_account_regions,
    metavar="ACCOUNT:REGION",
    help="That account has not enabled that opt-in region (repeatable).",
)
@click.option(
    "--deny-role",
    multiple=True,
    metavar="ACCOUNT",
    help="The organization's role in that member denies AssumeRole (repeatable).",
)
@click.option(
    "--external-id-role",
    multiple=True,
    metavar="ACCOUNT",
    help="The role in that member requires the ExternalId (repeatable).",
)
@click.option(
    "--external-id",
    help="The ExternalId those roles require  [default: derived from the seed, printed].",
)
@click.option(
    "--role-name",
    metavar="NAME",
    help="The role in every member  [default: OrganizationAccountAccessRole].",
)
@click.option(
    "--delegated-admin",
    "delegated_admins",
    multiple=True,
    metavar="ACCOUNT",
    help="That member may list the organization's accounts (repeatable).",
)
@click.option(
    "--account-name",
    "account_names",
    multiple=True,
    callback=_account_names,
    metavar="ACCOUNT=NAME",
    help="ListAccounts names that account NAME, whatever text it is (repeatable).",
)
@click.option(
    "--inbound-outside",
    type=int,
    default=0,
    show_default=True,
    metavar="N",
    help="Images of accounts outside the emulator shared into every account and region.",
)
@click.option(
    "--credential-duration",
    type=float,
    metavar="SECS",
    help="Sessions AssumeRole issues expire after SECS, whatever DurationSeconds asked.",
)
@click.option(
    "--rate",
    type=float,
    help="WorkSpaces requests per second allowed per account and region (default: no limit).",
)
@click.option(
    "--burst",
    type=float,
    help="Requests allowed at once above the rate (default: the rate, at least 1).",
)
@click.option(
    "--aws-limits",
    is_flag=True,
    help=f"Throttle as AWS documents for WorkSpaces: {AWS_LIMITS[0]:g} requests/s, burst"
    f" {AWS_LIMITS[1]:g}, per account and region.",
)
@click.option(
    "--securityhub-limits",
    is_flag=True,
    help="Throttle Security Hub BatchImportFindings as AWS documents: 10 requests/s, burst 30,"
    " per account and region (--aws-limits does too).",
)
@click.option(
    "--securityhub-disabled",
    multiple=True,
    callback=_account_regions,
    metavar="ACCOUNT:REGION",
    help="That account has not enabled Security Hub in that region (repeatable).",
)
@click.option(
    "--caller-policy",
    metavar="FILE",
    help="IAM policy (JSON) of the emulator's own keys: calls it does not allow are denied.",
)
@click.option(
    "--member-policy",
    metavar="FILE",
    help="IAM policy (JSON) of the organization's role in every member.",
)
@click.option(
    "--member-trust-policy",
    metavar="FILE",
    help="Trust policy (JSON) of the organization's role in every member: who may assume it.",
)
@click.option(
    "--fault-rate",
    type=float,
    default=0.0,
    show_default=True,
    help="Fraction of requests answered 500 InternalFailure or 503 ServiceUnavailable.",
)
@click.option(
    "--drop-rate",
    type=float,
    default=0.0,
    show_default=True,
    help="Fraction of responses cut off after the headers.",
)
@click.option(
    "--malformed-rate",
    type=float,
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
    default=MAX_PAGE_SIZE,
    show_default=True,
    help=f"Most shares one page returns, whatever MaxResults (1 to {MAX_PAGE_SIZE}) asks for.",
)
@click.option(
    "--deny-image",
    "deny_images",
    multiple=True,
    metavar="IMAGE_ID",
    help="Answer AccessDeniedException for every call on this image (repeatable).",
)
@click.option(
    "--deny-writes",
    multiple=True,
    metavar="ACCOUNT",
    help="UpdateWorkspaceImagePermission in that account answers AccessDenied (repeatable).",
)
@click.option("--no-verify", is_flag=True, help="Accept unsigned or wrongly signed requests.")
@click.option(
    "--clock-offset",
    type=float,
    default=0.0,
    metavar="SECS",
    help="Run the server clock SECS ahead (negative: behind), to test clock-skew handling.",
)
@click.option(
    "--retry-after",
    type=float,
    metavar="SECS",
    help="Send x-amz-retry-after with every throttle.",
)
@click.pass_context
def emulator(
    ctx: click.Context,
    host: str,
    port: int,
    images: int | None,
    seed: int,
    accounts: int | None,
    regions: tuple[str, ...] | None,
    opt_in_disabled: tuple[tuple[str, str], ...],
    deny_role: tuple[str, ...],
    external_id_role: tuple[str, ...],
    external_id: str | None,
    role_name: str | None,
    delegated_admins: tuple[str, ...],
    account_names: dict[str, str] | None,
    inbound_outside: int,
    credential_duration: float | None,
    rate: float | None,
    burst: float | None,
    aws_limits: bool,
    securityhub_limits: bool,
    securityhub_disabled: tuple[tuple[str, str], ...],
    caller_policy: str | None,
    member_policy: str | None,
    member_trust_policy: str | None,
    fault_rate: float,
    drop_rate: float,
    malformed_rate: float,
    latency: Latency,
    page_size: int,
    deny_images: tuple[str, ...],
    deny_writes: tuple[str, ...],
    no_verify: bool,
    clock_offset: float,
    retry_after: float | None,
) -> None:
    """Serve a local Amazon WorkSpaces endpoint with seeded images, until Ctrl-C or SIGTERM.

    The first line printed is the endpoint URL, then `export AWS_...=...` lines with the
    credentials it accepts and an endpoint for every service it serves: `eval` them in a shell
    and boto3, the AWS CLI or `imgperms audit` talk to it and nothing else. With --accounts it
    serves an organization, and the credentials are the management account's; what else you
    need to know about it is printed on stderr.
    """
    # Imported here, when the command runs: registering the command must not load a server.
    from ._emulator import Emulator
    from ._serve import run_emulator

    try:
        served = Emulator(
            images,
            seed=seed,
            host=host,
            port=port,
            accounts=accounts,
            regions=regions,
            opt_in_disabled=opt_in_disabled,
            deny_role=deny_role,
            external_id_role=external_id_role,
            external_id=external_id,
            role_name=role_name,
            delegated_admins=delegated_admins,
            account_names=account_names,
            inbound_outside=inbound_outside,
            credential_duration=credential_duration,
            rate=rate,
            burst=burst,
            aws_limits=aws_limits,
            securityhub_limits=securityhub_limits,
            securityhub_disabled=securityhub_disabled,
            caller_policy=caller_policy,
            member_policy=member_policy,
            member_trust_policy=member_trust_policy,
            fault_rate=fault_rate,
            drop_rate=drop_rate,
            malformed_rate=malformed_rate,
            latency=latency,
            page_size=page_size,
            deny_images=deny_images,
            deny_writes=deny_writes,
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
