"""Every option of the ``imgperms`` commands, declared once, each with its check.

A command combines these; what several options say together reaches it as one value: who calls
and where (``identity``), how hard to push (``config``), which role to become (``role``). A value
that cannot work is a usage error naming the option, before anything is sent.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final, TypeVar, get_args

import click

from imgperms_async import (
    DEFAULT_ROLE_NAME,
    RETRY_MODES,
    ClientConfig,
    Identity,
    InvalidSettingError,
    Role,
    check_account_id,
    check_endpoint_url,
    check_region_name,
)
from imgperms_async.cli._status import FailOn

F = TypeVar("F", bound=Callable[..., Any])


def positive(ctx: click.Context, param: click.Parameter, value: float | None) -> Any:
    """A finite number above zero: ``nan`` and ``inf`` pass click's FloatRange, and then fail
    deep inside a run."""
    if value is not None and not (math.isfinite(value) and value > 0):
        raise click.BadParameter(f"{value!r} is not a finite number above 0")
    return value


def _regions(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> Any:
    for region in values:
        try:
            check_region_name(region, source="--region")
        except InvalidSettingError as error:
            raise click.BadParameter(str(error)) from None
    return tuple(dict.fromkeys(values))


def _account_ids(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> Any:
    for value in values:
        try:
            check_account_id(value, source=param.opts[0] if param.opts else "an account")
        except InvalidSettingError as error:
            raise click.BadParameter(str(error)) from None
    return tuple(dict.fromkeys(values))


def _endpoint(ctx: click.Context, param: click.Parameter, value: str | None) -> Any:
    if value is not None:
        try:
            check_endpoint_url(value, source="--endpoint-url")
        except InvalidSettingError as error:
            raise click.BadParameter(str(error)) from None
    return value


def _identity(**given: Any) -> Identity:
    try:
        return Identity(**given)
    except (InvalidSettingError, ValueError) as error:
        raise click.UsageError(str(error)) from None


def _group(*options: Callable[[Any], Any]) -> Callable[[F], F]:
    def apply(command: F) -> F:
        decorated: Any = command
        for option in reversed(options):
            decorated = option(decorated)
        return decorated  # type: ignore[no-any-return]

    return apply


def _collapse(into: str, names: tuple[str, ...], build: Callable[..., object]) -> Callable[[F], F]:
    """A command gets what ``names`` say as one value, ``into``, made by ``build``."""

    def wrap(command: F) -> F:
        @functools.wraps(command)
        def collapsed(**options: Any) -> Any:
            values = {name: options.pop(name) for name in names}
            return command(**{into: build(**values)}, **options)

        return collapsed  # type: ignore[return-value]

    return wrap


REGION: Final = click.option(
    "--region",
    "regions",
    multiple=True,
    callback=_regions,
    metavar="REGION",
    help="Region to act in; repeat for several. Default: AWS_REGION / your profile.",
)
PROFILE: Final = click.option(
    "--profile", help="Named profile from your AWS config and credentials files."
)
ENDPOINT_URL: Final = click.option(
    "--endpoint-url",
    callback=_endpoint,
    help="Send every AWS call to this endpoint (e.g. the emulator) instead of AWS's.",
)


def identity(command: F) -> F:
    """``--profile`` and ``--endpoint-url``, as one ``identity``; keys come from botocore's
    usual sources (environment, files, SSO, ...)."""
    collapsed = _collapse(
        "identity",
        ("profile", "endpoint_url"),
        lambda profile, endpoint_url: _identity(profile_name=profile, endpoint_url=endpoint_url),
    )(command)
    grouped: F = _group(PROFILE, ENDPOINT_URL)(collapsed)
    return grouped


def role(command: F) -> F:
    """Which role to become in each account, as one ``role``."""

    def build(role_name: str | None, role_arn: str | None, external_id: str | None) -> Role:
        if role_name is not None and role_arn is not None:
            raise click.UsageError("give --role-name or --role-arn, not both")
        try:
            return Role(name=role_name, arn_template=role_arn, external_id=external_id)
        except InvalidSettingError as error:
            raise click.UsageError(str(error)) from None

    collapsed = _collapse("role", ("role_name", "role_arn", "external_id"), build)(command)
    return _group(
        click.option(
            "--role-name", help=f"Role to assume in each account (default {DEFAULT_ROLE_NAME})."
        ),
        click.option(
            "--role-arn",
            metavar="TEMPLATE",
            help="Role ARN to assume in each account, with {account_id} (and {partition}).",
        ),
        click.option("--external-id", help="ExternalId to assume the roles with."),
    )(collapsed)


def tuning(command: F) -> F:
    """How hard to push and how patiently to wait, as one ``config`` (unset ones left to
    botocore's configuration, then our defaults)."""

    def build(**given: Any) -> ClientConfig:
        no_verify_ssl = given.pop("no_verify_ssl")
        fields = {
            "max_attempts": given["max_attempts"],
            "retry_mode": given["retry_mode"],
            "max_rate": given["max_rate"],
            "connect_timeout_secs": given["connect_timeout"],
            "read_timeout_secs": given["read_timeout"],
            "ca_bundle": given["ca_bundle"],
            "max_connections": given["max_connections"],
        }
        try:
            return ClientConfig(
                **{name: value for name, value in fields.items() if value is not None},
                verify_tls=not no_verify_ssl,
            )
        except InvalidSettingError as error:
            raise click.UsageError(str(error)) from None

    names = (
        "max_attempts",
        "retry_mode",
        "max_rate",
        "connect_timeout",
        "read_timeout",
        "ca_bundle",
        "no_verify_ssl",
        "max_connections",
    )
    collapsed = _collapse("config", names, build)(command)
    return _group(
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
            callback=positive,
            help="Requests per second in each (account, region) at most. Default: AWS's "
            "documented 2 across accounts; found adaptively in one account.",
        ),
        click.option(
            "--max-connections",
            type=click.IntRange(1, 4096),
            help="Requests in flight at once, overall (the connection pool). Default 64.",
        ),
        click.option(
            "--connect-timeout",
            "--cli-connect-timeout",
            "connect_timeout",
            type=float,
            callback=positive,
            metavar="SECS",
            help="Seconds to wait for a connection (default 10).",
        ),
        click.option(
            "--read-timeout",
            "--cli-read-timeout",
            "read_timeout",
            type=float,
            callback=positive,
            metavar="SECS",
            help="Seconds to wait for an answer once connected (default 60).",
        ),
        click.option(
            "--ca-bundle",
            type=click.Path(exists=True, dir_okay=False),
            help="CA bundle to verify TLS certificates with. Default: AWS_CA_BUNDLE / your "
            "profile.",
        ),
        click.option(
            "--no-verify-ssl", is_flag=True, help="Do not verify TLS certificates (as the AWS CLI)."
        ),
    )(collapsed)


ACCOUNT: Final = click.option(
    "--account",
    "account_ids",
    multiple=True,
    callback=_account_ids,
    metavar="ACCOUNT_ID",
    help="The account whose images to act on; repeatable.",
)
ACCOUNTS_FILE: Final = click.option(
    "--accounts-file",
    type=click.File("r", encoding="utf-8", lazy=False),
    help="The accounts to act on: account ids one a line, or c7n-org's accounts.yml (with "
    "each account's role, profile, ExternalId and regions).",
)
ALLOW_ACCOUNT: Final = click.option(
    "--allow-account",
    "allowed_accounts",
    multiple=True,
    callback=_account_ids,
    metavar="ACCOUNT_ID",
    help="An account images may be shared with; repeatable.",
)
ALLOWLIST: Final = click.option(
    "--allowlist",
    "allowlist_file",
    type=click.File("r", encoding="utf-8", lazy=False),
    help="File of allowed account ids, one a line (# comments allowed).",
)
EXCEPTIONS: Final = click.option(
    "--exceptions",
    "exceptions_file",
    type=click.File("r", encoding="utf-8", lazy=False),
    help="YAML file of accepted shares, each with a reason, an owner and an expires date.",
)
PROGRESS: Final = click.option(
    "--progress/--no-progress",
    default=None,
    help="Show progress on stderr. Default: a bar on a terminal, a line every 10 s otherwise.",
)
DEBUG: Final = click.option(
    "--debug", is_flag=True, help="Log what happens to stderr (no secret is ever shown)."
)
FAIL_ON: Final = click.option(
    "--fail-on",
    type=click.Choice(tuple(f for f in get_args(FailOn) if f != "never")),
    default="any",
    show_default=True,
    help="Exit 1 for any share outside, or only for one new (or newly outside) since --baseline.",
)
OUTPUT: Final = click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the report to FILE instead of stdout (a regular file is replaced atomically; "
    "jsonl and ocsf append).",
)
