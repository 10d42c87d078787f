"""``imgperms audit``: parse, check, build one ``Audit``, run it, write its records."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import IO, Any, get_args

import click

from imgperms_async import (
    Audit,
    Baseline,
    ClientConfig,
    Identity,
    InvalidSettingError,
    Role,
)
from imgperms_async.cli import _inputs as inputs
from imgperms_async.cli import _options as options
from imgperms_async.cli._errors import SetupError
from imgperms_async.cli._logs import configure_logging
from imgperms_async.cli._run import Recorder, run_audit
from imgperms_async.cli._security_hub import import_after_audit
from imgperms_async.cli._status import AUDIT_STATUSES, FailOn, describe
from imgperms_async.cli._writers import STREAMED, Format, writer_for

_NEEDS_ACCOUNT_ID = frozenset({"ocsf", "html"})
"""Formats that name the audited account, which the caller's own audit asks STS for."""


@click.command(
    epilog=describe(AUDIT_STATUSES) + "\n\n\b\nExamples:\n"
    "  imgperms audit --all --allowlist allowed.txt --format csv --output shares.csv\n"
    "  imgperms audit wsi-0123456789 --region eu-west-1 --region us-east-1\n"
    "  imgperms audit --organization --all-regions --format jsonl --output org.jsonl\n"
    "  imgperms audit --accounts-file accounts.yml --region us-east-1 --inbound\n"
    "  imgperms audit --organization --all-regions --baseline yesterday.jsonl --fail-on new"
)
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
    help="Audit every ACTIVE account of your AWS organization (as its management account or "
    "a delegated administrator).",
)
@options.ACCOUNTS_FILE
@options.ACCOUNT
@options.role
@click.option(
    "--all-regions",
    is_flag=True,
    help="Audit every region where WorkSpaces is offered that each account has enabled.",
)
@options.REGION
@options.identity
@click.option(
    "--concurrency",
    type=click.IntRange(1, 1024),
    default=32,
    show_default=True,
    help="Images in flight at once in each (account, region).",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(get_args(Format)),
    default="table",
    show_default=True,
    help="Report format; jsonl and ocsf write each image as soon as it finishes.",
)
@options.ALLOW_ACCOUNT
@options.ALLOWLIST
@options.EXCEPTIONS
@options.OUTPUT
@click.option(
    "--baseline",
    "baseline_file",
    type=click.File("r", encoding="utf-8", lazy=False),
    help="An earlier report (json or jsonl): each record says what changed since.",
)
@options.FAIL_ON
@click.option(
    "--fail-on-unknown",
    is_flag=True,
    help="Exit 1 also for a share with an account whose membership could not be read.",
)
@click.option(
    "--inbound",
    is_flag=True,
    help="Also audit the images other accounts share into each audited account.",
)
@click.option(
    "--security-hub",
    is_flag=True,
    help="Import the findings into AWS Security Hub, in each image's account and region.",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="With --security-hub: show what would be imported and resolved; import nothing.",
)
@options.PROGRESS
@options.tuning
@options.DEBUG
def audit(**given: Any) -> None:
    """Show whom each WorkSpaces image is shared with, and flag what is shared outside.

    Images come from IMAGE_ID arguments, --images-file, or --all (every image you own); or
    every image of every account of your organization (--organization), or of the accounts of
    --accounts-file / --account, each reached through its role. A share with an account outside
    the organization and the allowlist (--allow-account, --allowlist) is flagged, unless an
    exception (--exceptions) accepts it; one whose membership cannot be read is reported as
    unknown. Auditing your own account alone, only an allowlist judges shares.
    """
    sys.exit(_audit(**given))


def _audit(
    *,
    image_ids: tuple[str, ...],
    images_file: IO[str] | None,
    every_image: bool,
    allow_empty: bool,
    organization: bool,
    accounts_file: IO[str] | None,
    account_ids: tuple[str, ...],
    role: Role,
    all_regions: bool,
    regions: tuple[str, ...],
    identity: Identity,
    concurrency: int,
    output_format: Format,
    allowed_accounts: tuple[str, ...],
    allowlist_file: IO[str] | None,
    exceptions_file: IO[str] | None,
    output: Path | None,
    baseline_file: IO[str] | None,
    fail_on: FailOn,
    fail_on_unknown: bool,
    inbound: bool,
    security_hub: bool,
    dry_run: bool,
    progress: bool | None,
    config: ClientConfig,
    debug: bool,
) -> int:
    configure_logging(debug=debug)
    spans_accounts = organization or accounts_file is not None or bool(account_ids)
    _check_choices(
        ids_given=bool(image_ids) or images_file is not None,
        every_image=every_image,
        organization=organization,
        accounts_given=accounts_file is not None or bool(account_ids),
        spans_accounts=spans_accounts,
        role_given=role != Role(),
        all_regions=all_regions,
        regions=regions,
    )
    if fail_on == "new" and baseline_file is None:
        raise click.UsageError("--fail-on new needs a --baseline to tell what is new")
    if dry_run and not security_hub:
        raise click.UsageError("--dry-run is for --security-hub: give both")
    allowlist = inputs.allowlist(allowed_accounts, allowlist_file)
    exceptions = inputs.exceptions(exceptions_file)
    inputs.refuse_overwriting_inputs(
        output,
        (
            images_file,
            allowlist_file,
            accounts_file,
            exceptions_file,
            baseline_file if output_format in STREAMED else None,
        ),
    )
    baseline = None if baseline_file is None else Baseline(inputs.report(baseline_file))
    accounts: Any = "organization" if organization else "caller"
    ids: tuple[str, ...] | None = None
    if spans_accounts and not organization:
        accounts = inputs.accounts(account_ids, accounts_file)
        if not accounts and not allow_empty:
            raise SetupError(
                f"nothing to audit: {accounts_file.name if accounts_file else 'the input'} names "
                "no account (pass --allow-empty if that is expected)"
            )
    elif not spans_accounts and not every_image:
        ids = inputs.image_ids(image_ids, images_file)
        if not ids and not allow_empty:
            raise SetupError(
                f"nothing to audit: {images_file.name if images_file else 'the input'} holds no "
                "image id (pass --allow-empty if that is expected)"
            )
    try:
        run = Audit(
            accounts=accounts,
            regions="all" if all_regions else regions or None,
            image_ids=ids,
            identity=identity,
            role=role,
            allowlist=allowlist,
            exemptions=exceptions,
            inbound=inbound,
            identify_caller=security_hub or output_format in _NEEDS_ACCOUNT_ID,
            concurrency=concurrency,
            config=config,
        )
    except InvalidSettingError as error:
        raise SetupError(str(error)) from None
    writer = writer_for(output_format, output, per_account=spans_accounts, inbound=inbound)
    recorder = Recorder(writer, baseline=baseline, keep=security_hub)
    return run_audit(
        run,
        recorder,
        progress=progress,
        profile=identity.profile_name,
        fail_on=fail_on,
        fail_on_unknown=fail_on_unknown,
        after=import_after_audit(dry_run=dry_run) if security_hub else None,
    )


def _check_choices(
    *,
    ids_given: bool,
    every_image: bool,
    organization: bool,
    accounts_given: bool,
    spans_accounts: bool,
    role_given: bool,
    all_regions: bool,
    regions: tuple[str, ...],
) -> None:
    """The combinations of options that name one audit; every other is a usage error."""
    if every_image and ids_given:
        raise click.UsageError("--all audits every image: give no IMAGE_ID or --images-file")
    if organization and accounts_given:
        raise click.UsageError(
            "--organization audits every account it lists: give no --account or --accounts-file"
        )
    if spans_accounts and (every_image or ids_given):
        raise click.UsageError(
            "an audit of accounts audits every image of each: give no IMAGE_ID, "
            "--images-file or --all"
        )
    if not (spans_accounts or every_image or ids_given):
        raise click.UsageError(
            "nothing to audit: give IMAGE_ID arguments, --images-file, --all or --organization"
        )
    if role_given and not spans_accounts:
        raise click.UsageError(
            "--role-name, --role-arn and --external-id are for audits of accounts "
            "(--organization, --accounts-file or --account)"
        )
    if all_regions and regions:
        raise click.UsageError("give --all-regions or --region, not both")
    if spans_accounts and not (all_regions or regions):
        raise click.UsageError("an audit of accounts needs --all-regions or --region")
