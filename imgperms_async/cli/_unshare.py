"""``imgperms unshare``: a plan from an audit report, and, with ``--apply``, the change, made safely.

Nothing is written without ``--apply``, and then not without a yes: asked on a terminal, given as
``--yes`` otherwise (a script that pipes ``n`` must not unshare anything). Every action goes to the
action log as it happens; the log is made only once there is an action to log.
"""

from __future__ import annotations

import io
import json
import os
import sys
import time
from pathlib import Path
from typing import IO, Any, Literal, get_args

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from imgperms_async import (
    INBOUND_ADVICE,
    Action,
    Applied,
    ClientConfig,
    ErrorInfo,
    Identity,
    InvalidSettingError,
    Plan,
    Role,
    UnshareRefused,
    apply_unshares,
    plan_unshares,
)
from imgperms_async.cli import _inputs as inputs
from imgperms_async.cli import _options as options
from imgperms_async.cli._errors import SetupError, setup_error
from imgperms_async.cli._literal import literal
from imgperms_async.cli._logs import configure_logging
from imgperms_async.cli._output import OutputError, Sink, open_output
from imgperms_async.cli._progress import view_for
from imgperms_async.cli._run import Interrupted, run_event_loop
from imgperms_async.cli._status import INCOMPLETE, OK, UNSHARE_STATUSES, USAGE, describe
from imgperms_async.cli._summary import plural

PlanFormat = Literal["table", "json", "jsonl"]


@click.command(
    epilog=describe(UNSHARE_STATUSES) + "\n\n\b\nExamples:\n"
    "  imgperms unshare org.jsonl                        # the plan; nothing is changed\n"
    "  imgperms unshare org.jsonl --format json > plan.json\n"
    "  imgperms unshare org.jsonl --apply --yes --accounts-file accounts.yml\n"
    "  imgperms unshare org.jsonl --apply --yes --image wsi-0123456789 --shared-account "
    "999988887777"
)
@click.argument("report", type=click.File("r", encoding="utf-8", lazy=False))
@click.option(
    "--apply", "apply_plan", is_flag=True, help="Make the changes (else only show the plan)."
)
@click.option(
    "--yes", is_flag=True, help="Apply without asking (required when stdin is no terminal)."
)
@click.option(
    "--image", "image_ids", multiple=True, metavar="IMAGE_ID", help="Only this image; repeatable."
)
@options.ACCOUNT
@click.option(
    "--shared-account",
    "shared_with",
    multiple=True,
    metavar="ACCOUNT_ID",
    help="Only unshare this account; repeatable. Needed when your organization cannot be read.",
)
@options.REGION
@options.ALLOW_ACCOUNT
@options.ALLOWLIST
@options.EXCEPTIONS
@options.ACCOUNTS_FILE
@options.role
@options.identity
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
@options.PROGRESS
@options.tuning
@options.DEBUG
def unshare(**given: Any) -> None:
    """Unshare what an audit REPORT (json or jsonl) found shared outside.

    Shows the plan and changes nothing unless --apply: the shares the report classes external,
    narrowed with --image, --account (the images of that account), --shared-account and
    --region; never the owner's account, a member of the organization, an allowlisted or excepted
    account, nor one whose membership the report could not tell. With --apply your
    organization is read again and its accounts are never unshared, whatever the report says;
    each image's shares are read again first, each account is unshared, and the shares are read
    again to verify. Every action goes to the action log. Running it again after a failure does
    only what is left. Images shared into your accounts are left alone: only their owner can
    unshare them.
    """
    sys.exit(_unshare(**given))


def _unshare(
    *,
    report: IO[str],
    apply_plan: bool,
    yes: bool,
    image_ids: tuple[str, ...],
    account_ids: tuple[str, ...],
    shared_with: tuple[str, ...],
    regions: tuple[str, ...],
    allowed_accounts: tuple[str, ...],
    allowlist_file: IO[str] | None,
    exceptions_file: IO[str] | None,
    accounts_file: IO[str] | None,
    role: Role,
    identity: Identity,
    output_format: PlanFormat,
    action_log: Path | None,
    progress: bool | None,
    config: ClientConfig,
    debug: bool,
) -> int:
    configure_logging(debug=debug)
    records = inputs.report(report)
    protected = inputs.allowlist(allowed_accounts, allowlist_file) or frozenset()
    protected |= {exemption.account_id for exemption in inputs.exceptions(exceptions_file)}
    try:
        plan = plan_unshares(
            records,
            images=image_ids,
            owners=account_ids,
            shared_with=shared_with,
            allowlist=protected,
            regions=regions,
        )
    except InvalidSettingError as error:
        raise SetupError(str(error)) from None
    accounts = {account.account_id: account for account in inputs.accounts((), accounts_file)}
    for account, why in plan.left_alone:
        click.echo(f"left alone: {account}: {why}", err=True)
    if plan.inbound:
        click.echo(
            f"left alone: {plural(plan.inbound, 'image')} shared into your accounts: "
            f"{INBOUND_ADVICE}",
            err=True,
        )
    if not apply_plan:
        click.echo(render_plan(plan, output_format), nl=False)
        click.echo(f"plan: {describe_plan(plan)}; nothing was changed (--apply makes it)", err=True)
        return OK
    if not plan.unshares:
        click.echo("nothing to unshare", err=True)
        return OK
    if not yes:
        if not sys.stdin.isatty():
            click.echo(
                "error: --apply needs a yes: stdin is not a terminal, so give --yes", err=True
            )
            return USAGE
        if not click.confirm(f"Make {describe_plan(plan)}?", err=True):
            click.echo("declined: nothing was changed", err=True)
            return OK
    log = ActionLog(action_log or _default_log_path())
    applied: list[Applied] = []
    counts = {"done": 0, "failed": 0}

    def on_action(action: Action) -> None:
        log.write(action)
        if action.outcome in ("verified", "already_done", "failed", "still_shared"):
            counts["done"] += 1
            counts["failed"] += action.outcome in ("failed", "still_shared")
        view.update(
            completed=counts["done"],
            total=plan.count,
            description="unsharing",
            detail=lambda: f"{counts['failed']} failed",
        )

    async def main() -> None:
        applied.append(
            await apply_unshares(
                plan,
                identity=identity,
                role=role,
                accounts=accounts,
                named=shared_with,
                config=config,
                on_action=on_action,
            )
        )

    try:
        with view_for(progress) as view:
            run_event_loop(main())
    except UnshareRefused as refused:
        raise SetupError(str(refused)) from None
    except Interrupted as interrupted:
        where = f"every action so far is in {log.name}" if log.opened else "nothing was changed"
        click.echo(f"interrupted: {where}; run again for the rest", err=True)
        return interrupted.exit_code
    except Exception as error:
        raise setup_error(error, profile=identity.profile_name) from None
    finally:
        log.close()
    done = applied[0]
    for account, why in done.left_alone:
        click.echo(f"left alone: {account}: {why}", err=True)
    where = f"actions in {log.name}" if log.opened else "nothing to log"
    click.echo(
        f"unshared {done.unshared}, already done {done.already_done}, "
        f"failed {len(done.failures)}; {where}",
        err=True,
    )
    for failure in done.failures:
        click.echo(f"error: {describe_failure(failure)}", err=True)
    return INCOMPLETE if done.failures else OK


def describe_plan(plan: Plan) -> str:
    owners = {unshare.account_id for unshare in plan.unshares}
    where = f" in {plural(len(owners), 'account')}" if None not in owners else ""
    return f"{plural(plan.count, 'unshare')} on {plural(len(plan.unshares), 'image')}{where}"


def describe_failure(action: Action) -> str:
    unshare = action.unshare
    owner = f"account {unshare.account_id}, " if unshare.account_id else ""
    error = action.error
    why = error if isinstance(error, str) or error is None else _error_text(error)
    return (
        f"{owner}{literal(unshare.region)}, {literal(unshare.image_id)}, {action.account}: "
        f"{literal(str(why))}"
    )


def _error_text(error: BaseException) -> str:
    info = ErrorInfo.of(error)
    return f"{info.code}: {info.message}"


def render_plan(plan: Plan, output_format: PlanFormat) -> str:
    """The plan as a table for a person, or json/jsonl for a script (one image a record)."""
    if output_format == "json":
        return json.dumps([unshare.to_json() for unshare in plan.unshares], indent=2) + "\n"
    if output_format == "jsonl":
        return "".join(json.dumps(unshare.to_json()) + "\n" for unshare in plan.unshares)
    table = Table()
    for column in ("account", "region", "image", "unshare"):
        table.add_column(column, overflow="fold", min_width=13 if column != "region" else None)
    for unshare in plan.unshares:
        owner = unshare.account_id or ""
        if unshare.account_name:
            owner += f" ({unshare.account_name})"
        table.add_row(
            Text(literal(owner)),
            Text(literal(unshare.region)),
            Text(literal(unshare.image_id)),
            Text(" ".join(unshare.accounts)),
        )
    buffer = io.StringIO()
    to_terminal = sys.stdout.isatty()
    width = Console(file=sys.stdout).width if to_terminal else 120
    Console(file=buffer, width=width, no_color=True, highlight=False).print(table)
    return buffer.getvalue()


def _default_log_path() -> Path:
    return Path(time.strftime("imgperms-unshare-%Y%m%dT%H%M%SZ.jsonl", time.gmtime()))


class ActionLog:
    """One json line per action, flushed as it happens. The file is checked at once, but made
    only when the first action is written: a run that changes nothing leaves nothing behind."""

    def __init__(self, path: Path) -> None:
        self.name = str(path)
        self._path = path
        self._sink: Sink | None = None
        _check_writable(path)

    @property
    def opened(self) -> bool:
        return self._sink is not None

    def write(self, action: Action) -> None:
        if self._sink is None:
            try:
                self._sink = open_output(self._path, append=True)
            except OutputError as error:
                raise SetupError(str(error)) from None
        unshare = action.unshare
        problem = action.error
        entry = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "account_id": unshare.account_id,
            "region": unshare.region,
            "image_id": unshare.image_id,
            "shared_account_id": action.account,
            "outcome": action.outcome,
            "request_id": action.request_id,
            "error": None
            if problem is None
            else {"code": "StillShared", "message": problem}
            if isinstance(problem, str)
            else ErrorInfo.of(problem).to_json(),
        }
        self._sink.write(json.dumps(entry) + "\n")

    def close(self) -> None:
        if self._sink is not None:
            self._sink.commit()


def _check_writable(path: Path) -> None:
    """The action log can be written: an existing file is writable, or its directory is."""
    target = path if path.exists() else (path.parent if str(path.parent) else Path("."))
    if path.exists() and path.is_dir():
        raise SetupError(f"cannot write --action-log {path}: it is a directory")
    if not os.access(target, os.W_OK):
        raise SetupError(f"cannot write --action-log {path}: permission denied")
