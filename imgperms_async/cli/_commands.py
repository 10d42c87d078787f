"""The ``imgperms`` commands: audit who images are shared with, serve the emulator, run a demo.

Everything the user asked for is checked before the first request (inputs, allowlist, regions,
endpoint, settings, the output), so a usage problem never costs a half-finished run. The emulator
command is imported only when it runs: ``imgperms audit`` never loads the emulator or
``aiohttp.web``.
"""

from __future__ import annotations

import functools
import importlib
import math
import random
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any, Final, get_args

import click

from imgperms_async import Account, ClientConfig, InvalidSettingError, __version__
from imgperms_async._botocore_settings import (
    BotocoreSession,
    check_endpoint_url,
    check_region_name,
)
from imgperms_async._client_config import RETRY_MODES, RetryMode
from imgperms_async._control_plane import DEFAULT_ROLE_NAME, caller_account
from imgperms_async._scopes import Roles
from imgperms_async.cli._audit import Audit, AuditPlan, AuditRun
from imgperms_async.cli._baseline import Baseline
from imgperms_async.cli._errors import SetupError, SetupFailed, setup_error_message
from imgperms_async.cli._execute import Interrupted, execute
from imgperms_async.cli._inputs import (
    accounts_to_audit,
    allowlist,
    check_account_ids,
    image_ids_from,
    read_text,
    refuse_overwriting_inputs,
)
from imgperms_async.cli._logs import configure_logging
from imgperms_async.cli._organization_audit import OrganizationPlan, OrganizationRun
from imgperms_async.cli._output import stdout_sink
from imgperms_async.cli._records import EXIT_INCOMPLETE, EXIT_OK, FailOn
from imgperms_async.cli._reports import read_report
from imgperms_async.cli._unshare import (
    PlanFormat,
    open_action_log,
    plan_from,
    render_plan,
    run_unshare,
)
from imgperms_async.cli._writers import STREAMED, Format, table_writer, writer_for

DEMO_UNEXPECTED_ACCOUNTS: Final = 6
"""How many of the emulator's accounts the demo leaves out of its allowlist, to be flagged."""
DEMO_IMAGES: Final = 300
DEMO_ACCOUNTS: Final = 6
DEMO_IMAGES_PER_SCOPE: Final = 8


class _LazyGroup(click.Group):
    """Subcommands imported when they are used (click's documented lazy-loading pattern)."""

    def __init__(self, *args: Any, lazy: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._lazy = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self._lazy])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        where = self._lazy.get(cmd_name)
        if where is None:
            return super().get_command(ctx, cmd_name)
        module, _, name = where.partition(":")
        command: click.Command = getattr(importlib.import_module(module), name)
        return command


@click.group(
    cls=_LazyGroup,
    lazy={"emulator": "imgperms_async.emulator._command:emulator"},
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, prog_name="imgperms")
def main() -> None:
    """Find out which AWS accounts your Amazon WorkSpaces images are shared with.

    Start with `imgperms demo`: it needs no AWS account. Then `imgperms audit --all` audits
    every image you own, with credentials and region from the usual AWS configuration.
    """


def _positive(ctx: click.Context, param: click.Parameter, value: float | None) -> Any:
    """A finite number above zero: ``nan`` and ``inf`` pass click's FloatRange, and then fail
    deep inside a run."""
    if value is not None and not (math.isfinite(value) and value > 0):
        raise click.BadParameter(f"{value!r} is not a finite number above 0")
    return value


def _checked_regions(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> Any:
    for region in values:
        try:
            check_region_name(region, source="--region")
        except InvalidSettingError as error:
            raise click.BadParameter(str(error)) from None
    return tuple(dict.fromkeys(values))


def _checked_region(ctx: click.Context, param: click.Parameter, value: str | None) -> Any:
    if value is not None:
        _checked_regions(ctx, param, (value,))
    return value


def _checked_endpoint(ctx: click.Context, param: click.Parameter, value: str | None) -> Any:
    if value is not None:
        try:
            check_endpoint_url(value, source="--endpoint-url")
        except InvalidSettingError as error:
            raise click.BadParameter(str(error)) from None
    return value


_ROLE_NAME: Final = click.option(
    "--role-name",
    default=None,
    help=f"Role to assume in each account (default {DEFAULT_ROLE_NAME}).",
)
_ROLE_ARN: Final = click.option(
    "--role-arn",
    "role_arn_template",
    metavar="TEMPLATE",
    help="Role ARN to assume in each account, with {account_id} (and {partition}) filled in.",
)
_EXTERNAL_ID: Final = click.option("--external-id", help="ExternalId to assume the roles with.")
_PROFILE: Final = click.option(
    "--profile", help="Named profile from your AWS config and credentials files."
)
_ENDPOINT_URL: Final = click.option(
    "--endpoint-url",
    callback=_checked_endpoint,
    help="Talk to this endpoint instead of AWS (e.g. the emulator), for every service called.",
)
_DEBUG: Final = click.option(
    "--debug", is_flag=True, help="Log what happens to stderr (secrets are masked)."
)
_PROGRESS: Final = click.option(
    "--progress/--no-progress",
    default=None,
    help="Show a progress bar on stderr. Default: only when stderr is a terminal.",
)
"""Options every command that calls AWS takes, in the same words."""


_TUNING_OPTIONS: Final = (
    click.option(
        "--max-attempts",
        type=click.IntRange(min=1),
        help="Attempts per request, the first included. Default: AWS_MAX_ATTEMPTS or 5.",
    ),
    click.option(
        "--retry-mode",
        type=click.Choice(RETRY_MODES),
        help="adaptive (default) slows down when throttled; standard only retries.",
    ),
    click.option(
        "--max-rate",
        type=float,
        callback=_positive,
        help="Never send more than this many requests per second, per region (per account and "
        "region across an organization, where AWS's documented 2 is the default).",
    ),
    click.option(
        "--connect-timeout",
        "--cli-connect-timeout",
        "connect_timeout",
        type=float,
        callback=_positive,
        metavar="SECS",
        help="Seconds to wait for a connection (default 10).",
    ),
    click.option(
        "--read-timeout",
        "--cli-read-timeout",
        "read_timeout",
        type=float,
        callback=_positive,
        metavar="SECS",
        help="Seconds to wait for an answer once connected (default 60).",
    ),
    click.option(
        "--ca-bundle",
        type=click.Path(exists=True, dir_okay=False),
        help="CA bundle to verify TLS certificates with. Default: AWS_CA_BUNDLE / your profile.",
    ),
    click.option(
        "--no-verify-ssl",
        is_flag=True,
        help="Do not verify TLS certificates (as the AWS CLI's flag).",
    ),
)


def _client_tuning(command: Callable[..., None]) -> Callable[..., None]:
    """The client settings every command that calls AWS takes, given to it as one ``tuning``
    (``ClientConfig`` keywords; unset ones left out, so the environment and config decide)."""

    @functools.wraps(command)
    def tuned(
        *,
        max_attempts: int | None,
        retry_mode: RetryMode | None,
        max_rate: float | None,
        connect_timeout: float | None,
        read_timeout: float | None,
        ca_bundle: str | None,
        no_verify_ssl: bool,
        **options: Any,
    ) -> None:
        given = {
            "max_attempts": max_attempts,
            "retry_mode": retry_mode,
            "max_rate": max_rate,
            "connect_timeout_secs": connect_timeout,
            "read_timeout_secs": read_timeout,
            "ca_bundle": ca_bundle,
        }
        tuning = {name: value for name, value in given.items() if value is not None}
        command(tuning={**tuning, "verify_tls": not no_verify_ssl}, **options)

    for option in reversed(_TUNING_OPTIONS):
        tuned = option(tuned)
    return tuned


@main.command()
@click.argument("image_ids", nargs=-1, metavar="[IMAGE_ID]...")
@click.option(
    "--images-file",
    type=click.File("r", encoding="utf-8", lazy=False),
    help="Read image ids from FILE, one a line ('-' for stdin; blank lines and # comments ignored).",
)
@click.option("--all", "every_image", is_flag=True, help="Audit every image the account owns.")
@click.option(
    "--allow-empty",
    is_flag=True,
    help="Ids or accounts given that turn out to be none (an empty file) are a clean audit.",
)
@click.option(
    "--organization",
    is_flag=True,
    help="Audit every image of every ACTIVE account of your AWS organization (as its "
    "management account or a delegated administrator).",
)
@click.option(
    "--accounts-file",
    type=click.File("r", encoding="utf-8", lazy=False),
    help="Audit the accounts in FILE: account ids one a line, or c7n-org's accounts.yml.",
)
@click.option(
    "--account",
    "account_ids",
    multiple=True,
    metavar="ACCOUNT_ID",
    help="Audit this account; repeatable.",
)
@_ROLE_NAME
@_ROLE_ARN
@_EXTERNAL_ID
@click.option(
    "--all-regions",
    is_flag=True,
    help="Audit every region where WorkSpaces is offered that each account has enabled.",
)
@click.option(
    "--region",
    "regions",
    multiple=True,
    callback=_checked_regions,
    help="Region to audit; repeat for several (run at once). Default: AWS_REGION / your profile.",
)
@_PROFILE
@_ENDPOINT_URL
@click.option(
    "--concurrency",
    type=click.IntRange(1, 1024),
    default=32,
    show_default=True,
    help="Images in flight at once, per region; in an organization audit, requests in flight "
    "overall.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(get_args(Format)),
    default="table",
    show_default=True,
    help="Output format; jsonl writes each image as soon as it finishes.",
)
@click.option(
    "--allow-account",
    "allowed_accounts",
    multiple=True,
    metavar="ACCOUNT_ID",
    help="An account images may be shared with; repeatable. Others are flagged (exit 1).",
)
@click.option(
    "--allowlist",
    "allowlist_file",
    type=click.File("r", encoding="utf-8", lazy=False),
    help="File of allowed account ids, one a line (# comments allowed).",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write results to FILE instead of stdout (a regular file is replaced atomically; "
    "jsonl appends).",
)
@click.option(
    "--baseline",
    "baseline_file",
    type=click.File("r", encoding="utf-8", lazy=False),
    help="An earlier report (json or jsonl): each record says what changed since.",
)
@click.option(
    "--fail-on",
    type=click.Choice(("any", "new")),
    default="any",
    show_default=True,
    help="Exit 1 for any share outside, or only for one new since --baseline.",
)
@_PROGRESS
@_client_tuning
@_DEBUG
def audit(
    image_ids: tuple[str, ...],
    images_file: IO[str] | None,
    every_image: bool,
    allow_empty: bool,
    organization: bool,
    accounts_file: IO[str] | None,
    account_ids: tuple[str, ...],
    role_name: str | None,
    role_arn_template: str | None,
    external_id: str | None,
    all_regions: bool,
    regions: tuple[str, ...],
    profile: str | None,
    endpoint_url: str | None,
    concurrency: int,
    output_format: Format,
    allowed_accounts: tuple[str, ...],
    allowlist_file: IO[str] | None,
    output: Path | None,
    baseline_file: IO[str] | None,
    fail_on: FailOn,
    progress: bool | None,
    tuning: dict[str, Any],
    debug: bool,
) -> None:
    """Show which accounts each image is shared with, and flag accounts outside an allowlist.

    Images come from IMAGE_ID arguments, --images-file, or --all; or every image of every
    account of an organization (--organization, --accounts-file, --account), where a share with
    an account outside the organization and the allowlist is flagged. Exit status: 0 all
    audited and nothing flagged, 1 some image shared outside, 2 usage error, 3 some image or
    account could not be audited (1 wins over 3), 130 interrupted (143 on SIGTERM).

    \b
    Examples:
      imgperms audit --all --allowlist allowed.txt --format csv --output shares.csv
      imgperms audit --organization --all-regions --format jsonl --output org.jsonl
    """
    configure_logging(debug=debug)
    in_organization = organization or accounts_file is not None or bool(account_ids)
    _check_choices(
        image_ids=image_ids,
        images_file=images_file,
        every_image=every_image,
        organization=organization,
        in_organization=in_organization,
        accounts_given=accounts_file is not None or bool(account_ids),
        role_options=role_name is not None or role_arn_template is not None or bool(external_id),
        all_regions=all_regions,
        regions=regions,
    )
    roles = _roles(role_name, role_arn_template, external_id)
    if fail_on == "new" and baseline_file is None:
        raise click.UsageError("--fail-on new needs a --baseline to tell what is new")
    allowed = allowlist(allowed_accounts, allowlist_file)
    replaced_later = output_format not in STREAMED
    refuse_overwriting_inputs(
        output,
        (images_file, allowlist_file, accounts_file, None if replaced_later else baseline_file),
    )
    baseline = (
        None
        if baseline_file is None
        else Baseline(
            read_report(read_text(baseline_file, baseline_file.name), source=baseline_file.name)
        )
    )
    account_id = (
        audited_account(regions, profile=profile, endpoint_url=endpoint_url)
        if output_format == "ocsf" and not in_organization
        else None
    )
    writer = writer_for(output_format, output, organization=in_organization, account_id=account_id)
    run: AuditRun
    if in_organization:
        run = OrganizationRun(
            OrganizationPlan(
                accounts=None
                if organization
                else _accounts(account_ids, accounts_file, allow_empty=allow_empty),
                regions=None if all_regions else regions,
                roles=roles,
                allowlist=allowed or frozenset(),
                concurrency=concurrency,
                config=_config(**tuning),
                endpoint_url=endpoint_url,
                profile=profile,
                baseline=baseline,
            ),
            writer,
        )
    else:
        ids = None if every_image else _image_ids(image_ids, images_file, allow_empty=allow_empty)
        run = Audit(
            AuditPlan(
                regions=regions or (None,),
                image_ids=ids,
                allowlist=allowed,
                concurrency=concurrency,
                config=_config(max_connections=concurrency, **tuning),
                endpoint_url=endpoint_url,
                profile=profile,
                baseline=baseline,
            ),
            writer,
        )
    sys.exit(execute(run, writer, progress=progress, fail_on=fail_on))


def _check_choices(
    *,
    image_ids: tuple[str, ...],
    images_file: IO[str] | None,
    every_image: bool,
    organization: bool,
    in_organization: bool,
    accounts_given: bool,
    role_options: bool,
    all_regions: bool,
    regions: tuple[str, ...],
) -> None:
    """The combinations of options that name one audit; every other is a usage error."""
    if every_image and (image_ids or images_file):
        raise click.UsageError("--all audits every image: give no IMAGE_ID or --images-file")
    if organization and accounts_given:
        raise click.UsageError(
            "--organization audits every account it lists: give no --account or --accounts-file"
        )
    if in_organization and (every_image or image_ids or images_file):
        raise click.UsageError(
            "an organization audit audits every image of each account: give no IMAGE_ID, "
            "--images-file or --all"
        )
    if not (in_organization or every_image or image_ids or images_file):
        raise click.UsageError(
            "nothing to audit: give IMAGE_ID arguments, --images-file, --all or --organization"
        )
    if role_options and not in_organization:
        raise click.UsageError(
            "--role-name, --role-arn and --external-id are for organization audits "
            "(--organization, --accounts-file or --account)"
        )
    if all_regions and regions:
        raise click.UsageError("give --all-regions or --region, not both")
    if all_regions and not in_organization:
        raise click.UsageError("--all-regions is for organization audits; give --region instead")
    if in_organization and not (all_regions or regions):
        raise click.UsageError("an organization audit needs --all-regions or --region")


def _roles(role_name: str | None, role_arn_template: str | None, external_id: str | None) -> Roles:
    """The role to assume in each account; --role-name and --role-arn each say which."""
    if role_name is not None and role_arn_template is not None:
        raise click.UsageError("give --role-name or --role-arn, not both")
    return Roles(
        role_name=role_name or DEFAULT_ROLE_NAME,
        role_arn_template=role_arn_template,
        external_id=external_id,
    )


def audited_account(
    regions: Sequence[str], *, profile: str | None, endpoint_url: str | None
) -> str:
    """The caller's account (STS GetCallerIdentity): OCSF findings name the account, which a
    one-account audit's records do not carry."""
    try:
        configured = BotocoreSession(profile_name=profile, endpoint_url=endpoint_url)
        return caller_account(configured, regions[0] if regions else configured.home_region())
    except Exception as error:
        raise SetupError(
            f"cannot tell which account is audited, for OCSF findings: "
            f"{setup_error_message(error, profile=profile)}"
        ) from None


def _image_ids(
    image_ids: tuple[str, ...], images_file: IO[str] | None, *, allow_empty: bool
) -> tuple[str, ...]:
    from_file = (
        [] if images_file is None else image_ids_from(read_text(images_file, images_file.name))
    )
    ids = (*image_ids, *from_file)
    if not ids and not allow_empty:
        raise click.UsageError(
            f"nothing to audit: {images_file.name if images_file else 'the input'} holds no "
            "image id (pass --allow-empty if that is expected)"
        )
    return ids


def _accounts(
    account_ids: tuple[str, ...], accounts_file: IO[str] | None, *, allow_empty: bool
) -> tuple[Account, ...]:
    accounts = accounts_to_audit(account_ids, accounts_file)
    if not accounts and not allow_empty:
        raise click.UsageError(
            f"nothing to audit: {accounts_file.name if accounts_file else 'the input'} names no account "
            "(pass --allow-empty if that is expected)"
        )
    return accounts


def _config(**settings: Any) -> ClientConfig:
    try:
        return ClientConfig(**settings)
    except ValueError as error:
        raise click.UsageError(str(error)) from None


def demo_allowlist(truth: dict[str, tuple[str, ...]], seed: int) -> frozenset[str]:
    """Every account the emulator shares with except a few, picked from the seed, to flag."""
    accounts = sorted({account for shared in truth.values() for account in shared})
    left_out = random.Random(seed).sample(accounts, min(DEMO_UNEXPECTED_ACCOUNTS, len(accounts)))
    return frozenset(accounts) - set(left_out)


@main.command()
@click.option(
    "--images",
    type=click.IntRange(min=1),
    default=None,
    help="Images in the emulator (300), or in each account and region with --organization (8).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the emulator's data.")
@click.option(
    "--rate",
    type=float,
    callback=_positive,
    default=100.0,
    show_default=True,
    help="The emulator's rate limit in requests per second (per account and region).",
)
@click.option(
    "--organization",
    is_flag=True,
    help="Audit an emulated organization: its accounts, their regions, each share classed.",
)
@_PROGRESS
@_DEBUG
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
    if organization:
        served = Emulator(
            images or DEMO_IMAGES_PER_SCOPE,
            accounts=DEMO_ACCOUNTS,
            seed=seed,
            rate=rate,
            burst=burst,
        )
    else:
        served = Emulator(images or DEMO_IMAGES, seed=seed, rate=rate, burst=burst)
    with served:
        credentials = served.credentials
        configure_logging(debug=debug, secrets=[credentials.secret_key])
        writer = table_writer(
            stdout_sink(),
            to_terminal=sys.stdout.isatty(),
            organization=organization,
            flagged_only=True,
        )
        run: AuditRun
        if organization:
            run = OrganizationRun(
                OrganizationPlan(
                    accounts=None,
                    regions=served.regions,
                    roles=Roles(),
                    allowlist=frozenset(),
                    concurrency=64,
                    config=ClientConfig(max_rate=rate),
                    region_name=served.region,
                    endpoint_url=served.endpoint_url,
                    access_key=credentials.access_key,
                    secret_key=credentials.secret_key,
                ),
                writer,
            )
        else:
            run = Audit(
                AuditPlan(
                    regions=(served.region,),
                    image_ids=None,
                    allowlist=demo_allowlist(dict(served.truth), seed),
                    concurrency=32,
                    config=ClientConfig(max_connections=32),
                    endpoint_url=served.endpoint_url,
                    access_key=credentials.access_key,
                    secret_key=credentials.secret_key,
                ),
                writer,
            )
        code = execute(run, writer, progress=progress, fail_on="never")
    sys.exit(code)


@main.command()
@click.argument("report", type=click.File("r", encoding="utf-8", lazy=False))
@click.option(
    "--apply", "apply_plan", is_flag=True, help="Make the changes (else only show the plan)."
)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation on a terminal.")
@click.option(
    "--image", "image_ids", multiple=True, metavar="IMAGE_ID", help="Only this image; repeatable."
)
@click.option(
    "--account",
    "account_ids",
    multiple=True,
    metavar="ACCOUNT_ID",
    help="Only unshare this account; repeatable.",
)
@click.option(
    "--allow-account",
    "allowed_accounts",
    multiple=True,
    metavar="ACCOUNT_ID",
    help="Never unshare this account; repeatable.",
)
@click.option(
    "--allowlist",
    "allowlist_file",
    type=click.File("r", encoding="utf-8", lazy=False),
    help="File of account ids never to unshare.",
)
@click.option(
    "--accounts-file",
    type=click.File("r", encoding="utf-8", lazy=False),
    help="The accounts file of the audit (its per-account roles and ExternalIds are used).",
)
@_ROLE_NAME
@_ROLE_ARN
@_EXTERNAL_ID
@click.option("--region", "home_region", callback=_checked_region, help="Region for STS calls.")
@_PROFILE
@_ENDPOINT_URL
@click.option(
    "--format",
    "output_format",
    type=click.Choice(get_args(PlanFormat)),
    default="table",
    show_default=True,
    help="How to show the plan.",
)
@click.option(
    "--action-log",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Append each action to FILE as jsonl (default: imgperms-unshare-TIME.jsonl here).",
)
@_client_tuning
@_DEBUG
def unshare(
    report: IO[str],
    apply_plan: bool,
    yes: bool,
    image_ids: tuple[str, ...],
    account_ids: tuple[str, ...],
    allowed_accounts: tuple[str, ...],
    allowlist_file: IO[str] | None,
    accounts_file: IO[str] | None,
    role_name: str | None,
    role_arn_template: str | None,
    external_id: str | None,
    home_region: str | None,
    profile: str | None,
    endpoint_url: str | None,
    output_format: PlanFormat,
    action_log: Path | None,
    tuning: dict[str, Any],
    debug: bool,
) -> None:
    """Unshare what an audit REPORT (json or jsonl) found shared outside.

    Shows the plan and changes nothing unless --apply: the external accounts of an organization
    audit, or those outside the allowlist of a one-account audit, narrowed with --image and
    --account; never the owner's account, a member of the organization or an allowlisted
    account. With --apply each image's shares are read again first, each account is unshared,
    and the shares are read again to verify; every action goes to the action log. Running it
    again after a failure does only what is left. Exit status: 0 all done and verified (or
    nothing asked: a plan, or declined at the prompt), 2 usage error, 3 something failed (each
    failure is named), 130 interrupted (143 on SIGTERM).
    """
    configure_logging(debug=debug)
    roles = _roles(role_name, role_arn_template, external_id)
    found = read_report(read_text(report, report.name), source=report.name)
    plan = plan_from(
        found,
        images=frozenset(image_ids) or None,
        accounts=check_account_ids(account_ids) or None,
        allowlist=allowlist(allowed_accounts, allowlist_file) or frozenset(),
    )
    for account, why in plan.left_alone:
        click.echo(f"left alone: {account}: {why}", err=True)
    if not apply_plan:
        click.echo(render_plan(plan, output_format), nl=False)
        click.echo(f"plan: {plan.describe()}; nothing was changed (--apply makes it)", err=True)
        sys.exit(EXIT_OK)
    if not plan.unshares:
        click.echo("nothing to unshare", err=True)
        sys.exit(EXIT_OK)
    config = _config(**tuning)
    if sys.stdin.isatty() and not yes and not click.confirm(f"Make {plan.describe()}?", err=True):
        click.echo("declined: nothing was changed", err=True)
        sys.exit(EXIT_OK)
    accounts = {a.account_id: a for a in accounts_to_audit((), accounts_file)}
    log_path = action_log or Path(
        time.strftime("imgperms-unshare-%Y%m%dT%H%M%SZ.jsonl", time.gmtime())
    )
    with open_action_log(log_path) as log:
        try:
            applied = run_unshare(
                plan,
                log,
                organization=found.organization,
                accounts=accounts,
                roles=roles,
                home_region=home_region,
                profile=profile,
                endpoint_url=endpoint_url,
                config=config,
            )
        except SetupFailed as failed:
            raise SetupError(failed.message()) from None
        except Interrupted as interrupted:
            click.echo(
                f"interrupted: every action so far is in {log.name}; run again for the rest",
                err=True,
            )
            sys.exit(interrupted.exit_code)
    click.echo(
        f"unshared {applied.unshared}, already done {applied.already_done}, "
        f"failed {len(applied.failures)}; actions in {log.name}",
        err=True,
    )
    for failure in applied.failures:
        click.echo(f"error: {failure.describe()}", err=True)
    sys.exit(EXIT_INCOMPLETE if applied.failures else EXIT_OK)
