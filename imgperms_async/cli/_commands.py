"""The ``imgperms`` commands: audit who images are shared with, serve the emulator, run a demo.

Everything the user asked for is checked before the first request (inputs, allowlist, regions,
endpoint, settings, the output), so a usage problem never costs a half-finished run. The emulator
command is imported only when it runs: ``imgperms audit`` never loads the emulator or
``aiohttp.web``.
"""

from __future__ import annotations

import importlib
import math
import os
import random
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any, Final, Literal, get_args

import click
from rich.console import Console

from imgperms_async import ClientConfig, InvalidSettingError, __version__
from imgperms_async._botocore_settings import check_endpoint_url, check_region_name
from imgperms_async._client_config import RETRY_MODES, RetryMode
from imgperms_async.cli._audit import AuditPlan
from imgperms_async.cli._errors import SetupError
from imgperms_async.cli._execute import execute
from imgperms_async.cli._inputs import InputError, allowlist_from, check_account_ids, image_ids_from
from imgperms_async.cli._logs import configure_logging
from imgperms_async.cli._output import OutputError, Sink, open_output, stdout_sink
from imgperms_async.cli._records import AuditRecord, render_csv, render_json
from imgperms_async.cli._table import render_table
from imgperms_async.cli._writers import DocumentWriter, JsonLinesWriter, RecordWriter

Format = Literal["table", "json", "jsonl", "csv"]

DEMO_UNEXPECTED_ACCOUNTS: Final = 6
"""How many of the emulator's accounts the demo leaves out of its allowlist, to be flagged."""


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


def _checked_endpoint(ctx: click.Context, param: click.Parameter, value: str | None) -> Any:
    if value is not None:
        try:
            check_endpoint_url(value, source="--endpoint-url")
        except InvalidSettingError as error:
            raise click.BadParameter(str(error)) from None
    return value


def _read_text(stream: IO[str], name: str) -> str:
    try:
        return stream.read()
    except (OSError, UnicodeDecodeError) as error:
        raise SetupError(f"cannot read {name}: {error}") from None


def _allowlist(accounts: Sequence[str], allowlist_file: IO[str] | None) -> frozenset[str] | None:
    if not accounts and allowlist_file is None:
        return None
    try:
        allowed = check_account_ids(accounts)
        if allowlist_file is not None:
            text = _read_text(allowlist_file, allowlist_file.name)
            allowed |= allowlist_from(text, source=allowlist_file.name)
    except InputError as error:
        raise SetupError(str(error)) from None
    return allowed


def _refuse_overwriting_inputs(output: Path | None, inputs: Sequence[IO[str] | None]) -> None:
    """``--output`` naming a file the run reads would destroy its own input."""
    if output is None or not output.exists():
        return
    for stream in inputs:
        if stream is None or not os.path.exists(stream.name):
            continue
        if os.path.samefile(output, stream.name):
            raise SetupError(f"--output {output} is also an input of this run: choose another file")


def _sink(output: Path | None, *, append: bool) -> Sink:
    if output is None:
        return stdout_sink()
    try:
        return open_output(output, append=append)
    except OutputError as error:
        raise SetupError(str(error)) from None


def _document(output_format: Format, output: Path | None) -> RecordWriter:
    sink = _sink(output, append=output_format == "jsonl")
    if output_format == "jsonl":
        return JsonLinesWriter(sink)
    if output_format == "json":
        return DocumentWriter(render_json, sink, suffix=".json")
    if output_format == "csv":
        return DocumentWriter(render_csv, sink, suffix=".csv")
    return _table_writer(sink, to_terminal=output is None and sys.stdout.isatty())


def _table_writer(sink: Sink, *, to_terminal: bool, flagged_only: bool = False) -> RecordWriter:
    width = Console(file=sys.stdout).width if to_terminal else 120

    def render(records: Sequence[AuditRecord]) -> str:
        return render_table(records, width=width, color=to_terminal, flagged_only=flagged_only)

    return DocumentWriter(render, sink, suffix=".txt")


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
    help="Ids given that turn out to be none (an empty file) are a clean audit, not an error.",
)
@click.option(
    "--region",
    "regions",
    multiple=True,
    callback=_checked_regions,
    help="Region to audit; repeat for several (run at once). Default: AWS_REGION / your profile.",
)
@click.option("--profile", help="Named profile from your AWS config and credentials files.")
@click.option(
    "--endpoint-url",
    callback=_checked_endpoint,
    help="Talk to this endpoint instead of AWS (e.g. the emulator).",
)
@click.option(
    "--concurrency",
    type=click.IntRange(1, 1024),
    default=32,
    show_default=True,
    help="Images in flight at once, per region.",
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
    "--progress/--no-progress",
    default=None,
    help="Show a progress bar on stderr. Default: only when stderr is a terminal.",
)
@click.option(
    "--max-attempts",
    type=click.IntRange(min=1),
    help="Attempts per request, the first included. Default: AWS_MAX_ATTEMPTS or 5.",
)
@click.option(
    "--retry-mode",
    type=click.Choice(RETRY_MODES),
    help="adaptive (default) slows down when throttled; standard only retries.",
)
@click.option(
    "--max-rate",
    type=float,
    callback=_positive,
    help="Never send more than this many requests per second, per region.",
)
@click.option(
    "--connect-timeout",
    "--cli-connect-timeout",
    "connect_timeout",
    type=float,
    callback=_positive,
    metavar="SECS",
    help="Seconds to wait for a connection (default 10).",
)
@click.option(
    "--read-timeout",
    "--cli-read-timeout",
    "read_timeout",
    type=float,
    callback=_positive,
    metavar="SECS",
    help="Seconds to wait for an answer once connected (default 60).",
)
@click.option(
    "--ca-bundle",
    type=click.Path(exists=True, dir_okay=False),
    help="CA bundle to verify TLS certificates with. Default: AWS_CA_BUNDLE / your profile.",
)
@click.option(
    "--no-verify-ssl", is_flag=True, help="Do not verify TLS certificates (as the AWS CLI's flag)."
)
@click.option("--debug", is_flag=True, help="Log what happens to stderr (secrets are masked).")
def audit(
    image_ids: tuple[str, ...],
    images_file: IO[str] | None,
    every_image: bool,
    allow_empty: bool,
    regions: tuple[str, ...],
    profile: str | None,
    endpoint_url: str | None,
    concurrency: int,
    output_format: Format,
    allowed_accounts: tuple[str, ...],
    allowlist_file: IO[str] | None,
    output: Path | None,
    progress: bool | None,
    max_attempts: int | None,
    retry_mode: RetryMode | None,
    max_rate: float | None,
    connect_timeout: float | None,
    read_timeout: float | None,
    ca_bundle: str | None,
    no_verify_ssl: bool,
    debug: bool,
) -> None:
    """Show which accounts each image is shared with, and flag accounts outside an allowlist.

    Images come from IMAGE_ID arguments, --images-file, or --all. Exit status: 0 all audited
    and nothing flagged, 1 some image shared outside the allowlist, 2 usage error, 3 some images
    could not be audited (1 wins over 3), 130 interrupted (143 on SIGTERM).

    \b
    Example:
      imgperms audit --all --allowlist allowed.txt --format csv --output shares.csv
    """
    configure_logging(debug=debug)
    if every_image and (image_ids or images_file):
        raise click.UsageError("--all audits every image: give no IMAGE_ID or --images-file")
    if not (every_image or image_ids or images_file):
        raise click.UsageError("nothing to audit: give IMAGE_ID arguments, --images-file or --all")
    ids: tuple[str, ...] | None = None
    if not every_image:
        from_file = (
            [] if images_file is None else image_ids_from(_read_text(images_file, images_file.name))
        )
        ids = (*image_ids, *from_file)
        if not ids and not allow_empty:
            raise click.UsageError(
                f"nothing to audit: {images_file.name if images_file else 'the input'} holds no "
                "image id (pass --allow-empty if that is expected)"
            )
    allowlist = _allowlist(allowed_accounts, allowlist_file)
    _refuse_overwriting_inputs(output, (images_file, allowlist_file))
    timeouts = {
        name: value
        for name, value in (
            ("connect_timeout_secs", connect_timeout),
            ("read_timeout_secs", read_timeout),
        )
        if value is not None
    }
    try:
        config = ClientConfig(
            max_connections=concurrency,
            max_attempts=max_attempts,
            retry_mode=retry_mode,
            max_rate=max_rate,
            verify_tls=not no_verify_ssl,
            ca_bundle=ca_bundle,
            **timeouts,
        )
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    plan = AuditPlan(
        regions=regions or (None,),
        image_ids=ids,
        allowlist=allowlist,
        concurrency=concurrency,
        config=config,
        endpoint_url=endpoint_url,
        profile=profile,
    )
    sys.exit(execute(plan, _document(output_format, output), progress=progress))


def demo_allowlist(truth: dict[str, tuple[str, ...]], seed: int) -> frozenset[str]:
    """Every account the emulator shares with except a few, picked from the seed, to flag."""
    accounts = sorted({account for shared in truth.values() for account in shared})
    left_out = random.Random(seed).sample(accounts, min(DEMO_UNEXPECTED_ACCOUNTS, len(accounts)))
    return frozenset(accounts) - set(left_out)


@main.command()
@click.option(
    "--images",
    type=click.IntRange(min=1),
    default=300,
    show_default=True,
    help="Images in the emulator.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the emulator's data.")
@click.option(
    "--rate",
    type=float,
    callback=_positive,
    default=100.0,
    show_default=True,
    help="The emulator's rate limit in requests per second.",
)
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Show a progress bar on stderr. Default: only when stderr is a terminal.",
)
@click.option("--debug", is_flag=True, help="Log what happens to stderr (secrets are masked).")
def demo(images: int, seed: int, rate: float, progress: bool | None, debug: bool) -> None:
    """Audit a local emulator end to end: no AWS account or configuration needed.

    Starts the emulator with seeded images and a rate limit (the client's adaptive limiter
    slows down when throttled), audits every image against an allowlist that leaves out a few
    accounts, and prints the flagged images. Exit status 0 when every image was audited (the
    flags are the point of the demo), 3 if some could not be, 130 if interrupted.
    """
    from imgperms_async.emulator import Emulator

    with Emulator(images, seed=seed, rate=rate, burst=max(1.0, rate / 4)) as served:
        credentials = served.credentials
        configure_logging(debug=debug, secrets=[credentials.secret_key])
        plan = AuditPlan(
            regions=(served.region,),
            image_ids=None,
            allowlist=demo_allowlist(dict(served.truth), seed),
            concurrency=32,
            config=ClientConfig(max_connections=32),
            endpoint_url=served.endpoint_url,
            access_key=credentials.access_key,
            secret_key=credentials.secret_key,
        )
        writer = _table_writer(stdout_sink(), to_terminal=sys.stdout.isatty(), flagged_only=True)
        code = execute(plan, writer, progress=progress, flags_fail=False)
    sys.exit(code)
