"""The ``imgperms`` command: audit who images are shared with, serve the emulator, run a demo.

Only the CLI side (this module, ``_audit``, ``_report``) imports click and rich, so
``import imgperms_async`` stays light.
Everything the user asked for is checked before the first request (inputs, allowlist, output
path, region and credentials), so a usage problem never costs a half-finished run.
"""

from __future__ import annotations

import logging
import os
import random
import sys
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, Final, Literal, get_args

import click
from botocore.exceptions import BotoCoreError, NoCredentialsError, NoRegionError
from rich.console import Console

from imgperms_async import ClientConfig, __version__
from imgperms_async._audit import Audit, AuditPlan, ProgressView, run_event_loop
from imgperms_async._inputs import InputError, allowlist_from, check_account_ids, image_ids_from
from imgperms_async._redact import RedactSecrets, environment_secrets
from imgperms_async._report import (
    EXIT_INCOMPLETE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    DocumentWriter,
    JsonLinesWriter,
    RecordWriter,
    error_fields,
    plural,
    render_csv,
    render_json,
    render_table,
)
from imgperms_async.emulator import Emulator, run_emulator

logger = logging.getLogger("imgperms_async.cli")

Format = Literal["table", "json", "jsonl", "csv"]
RetryMode = Literal["standard", "adaptive"]

DEMO_UNEXPECTED_ACCOUNTS: Final = 6
"""How many of the emulator's accounts the demo leaves out of its allowlist, to be flagged."""


class SetupError(click.ClickException):
    """A file, region, credential or output problem found before (or instead of) auditing:
    one line on stderr and exit 2, without the usage text that would hide it."""

    exit_code = EXIT_USAGE


def _configure_logging(*, debug: bool, secrets: Iterable[str] = ()) -> None:
    """One stderr handler for every logger, filtered, so even warnings pass the redaction;
    removed when the command ends, so embedding the CLI leaves logging as it was."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets([*environment_secrets(), *secrets]))
    root = logging.getLogger()
    previous_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if debug else logging.WARNING)

    def restore() -> None:
        root.removeHandler(handler)
        root.setLevel(previous_level)

    click.get_current_context().call_on_close(restore)


def _setup_error_message(error: BotoCoreError, plan: AuditPlan) -> str:
    if isinstance(error, NoRegionError):
        return (
            "no AWS region: pass --region, set AWS_REGION or AWS_DEFAULT_REGION, "
            "or set `region` in your profile"
        )
    if isinstance(error, NoCredentialsError):
        profile = plan.profile or os.environ.get("AWS_PROFILE") or "default"
        credentials_file = os.environ.get("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials")
        config_file = os.environ.get("AWS_CONFIG_FILE", "~/.aws/config")
        return (
            "no AWS credentials found. botocore looked in: environment variables "
            "(AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), "
            f"the shared credentials file ({credentials_file}) and config file ({config_file}) "
            f"for profile {profile!r} (keys, SSO, credential_process, assume-role), "
            "container credentials (ECS/EKS) and EC2 instance metadata (IMDS). "
            "Configure one of them or pass --profile."
        )
    return " ".join(str(error).split())


# --- presenting results -------------------------------------------------------------------


def _writer(output_format: Format, output: Path | None) -> RecordWriter:
    if output_format == "jsonl":
        if output is None:
            return JsonLinesWriter(sys.stdout, owned=False)
        try:
            return JsonLinesWriter(output.open("a", encoding="utf-8"), owned=True)
        except OSError as error:
            raise SetupError(f"cannot write --output {output}: {error.strerror}") from None
    stdout_is_terminal = output is None and sys.stdout.isatty()
    width = Console(file=sys.stdout).width if stdout_is_terminal else 120
    renderers = {
        "json": render_json,
        "csv": render_csv,
        "table": lambda records: render_table(records, width=width, color=stdout_is_terminal),
    }
    return DocumentWriter(renderers[output_format], path=output, stdout=sys.stdout.write)


def _summary(audit: Audit, elapsed_secs: float, *, regions: int) -> list[str]:
    tally = audit.tally
    requests = sum(s.requests for s in audit.stats)
    retries = sum(s.retries for s in audit.stats)
    throttles = sum(sum(s.throttles.values()) for s in audit.stats)
    rate = requests / elapsed_secs if elapsed_secs > 0 else 0.0
    lines = [
        f"audited {plural(tally.audited, 'image')} in {plural(regions, 'region')}: "
        f"{tally.shared} shared, {tally.flagged} flagged, {plural(tally.errors, 'error')}",
        f"{requests} requests, {retries} retries, {throttles} throttles, "
        f"{rate:.1f} req/s, {elapsed_secs:.1f} s",
    ]
    for region, error in audit.listing_errors:
        fields = error_fields(error)
        lines.append(
            f"error: {region}: could not list images: {fields['code']}: {fields['message']}"
        )
    by_code = Counter(record["error"]["code"] for record in audit.image_errors)
    for code, count in sorted(by_code.items()):
        failed = [r for r in audit.image_errors if r["error"]["code"] == code]
        if code == "ParamValidationError":
            ids = ", ".join(sorted({r["image_id"] for r in failed}))
            lines.append(f"error: {plural(count, 'invalid image id')}, not audited: {ids}")
        else:
            lines.append(
                f"error: {plural(count, 'image')} could not be audited: "
                f"{code}: {failed[0]['error']['message']}"
            )
    return lines


def _progress_console(progress: bool | None) -> Console | None:
    if progress is False or (progress is None and not sys.stderr.isatty()):
        return None
    return Console(file=sys.stderr, force_terminal=True if progress else None)


def execute(plan: AuditPlan, writer: RecordWriter, *, progress: bool | None) -> tuple[Audit, int]:
    """Run the plan to its end, or to Ctrl-C; returns the audit and the exit code."""
    total = None if plan.image_ids is None else len(set(plan.image_ids)) * len(plan.regions)
    started = time.monotonic()
    interrupted = False
    with ProgressView(_progress_console(progress), total=total) as view:
        audit = Audit(plan, writer, view)
        try:
            run_event_loop(audit.run())
        except KeyboardInterrupt:
            interrupted = True
        except BotoCoreError as error:
            writer.abandon()
            raise SetupError(_setup_error_message(error, plan)) from None
        except OSError as error:
            writer.abandon()
            raise SetupError(f"cannot write the output: {error}") from None
    if interrupted:
        writer.abandon()
        kept = (
            "the output keeps them, one line each"
            if isinstance(writer, JsonLinesWriter)
            else "nothing was written (only jsonl output is written as images finish)"
        )
        click.echo(
            f"interrupted: {plural(audit.tally.finished, 'image')} finished; {kept}", err=True
        )
        return audit, EXIT_INTERRUPTED
    try:
        writer.finish()
    except OSError as error:
        raise SetupError(f"cannot write the output: {error}") from None
    for line in _summary(audit, time.monotonic() - started, regions=len(plan.regions)):
        click.echo(line, err=True)
    return audit, audit.tally.exit_code


# --- commands -----------------------------------------------------------------------------


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="imgperms")
def main() -> None:
    """Find out which AWS accounts your Amazon WorkSpaces images are shared with.

    Start with `imgperms demo`: it needs no AWS account. Then `imgperms audit --all` audits
    every image you own, with credentials and region from the usual AWS configuration.
    """


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


def _check_output(output: Path | None) -> None:
    if output is None:
        return
    directory = output.parent
    if not directory.is_dir() or not os.access(directory, os.W_OK):
        raise SetupError(f"cannot write --output {output}: {directory} is not a writable directory")


@main.command()
@click.argument("image_ids", nargs=-1, metavar="[IMAGE_ID]...")
@click.option(
    "--images-file",
    type=click.File("r", encoding="utf-8", lazy=False),
    help="Read image ids from FILE, one a line ('-' for stdin; blank lines and # comments ignored).",
)
@click.option("--all", "every_image", is_flag=True, help="Audit every image the account owns.")
@click.option(
    "--region",
    "regions",
    multiple=True,
    help="Region to audit; repeat for several (run at once). Default: AWS_REGION / your profile.",
)
@click.option("--profile", help="Named profile from your AWS config and credentials files.")
@click.option("--endpoint-url", help="Talk to this endpoint instead of AWS (e.g. the emulator).")
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
    help="Write results to FILE instead of stdout (replaced atomically; jsonl appends).",
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
    type=click.Choice(get_args(RetryMode)),
    help="adaptive (default) slows down when throttled; standard only retries.",
)
@click.option(
    "--max-rate",
    type=click.FloatRange(min=0, min_open=True),
    help="Never send more than this many requests per second, per region.",
)
@click.option("--debug", is_flag=True, help="Log what happens to stderr (secrets are masked).")
def audit(
    image_ids: tuple[str, ...],
    images_file: IO[str] | None,
    every_image: bool,
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
    debug: bool,
) -> None:
    """Show which accounts each image is shared with, and flag accounts outside an allowlist.

    Images come from IMAGE_ID arguments, --images-file, or --all. Exit status: 0 all audited
    and nothing flagged, 1 some image shared outside the allowlist, 2 usage error, 3 some images
    could not be audited (1 wins over 3), 130 interrupted.

    \b
    Example:
      imgperms audit --all --allowlist allowed.txt --format csv --output shares.csv
    """
    _configure_logging(debug=debug)
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
    allowlist = _allowlist(allowed_accounts, allowlist_file)
    _check_output(output)
    plan = AuditPlan(
        regions=tuple(dict.fromkeys(regions)) or (None,),
        image_ids=ids,
        allowlist=allowlist,
        concurrency=concurrency,
        config=ClientConfig(
            max_connections=concurrency,
            max_attempts=max_attempts,
            retry_mode=retry_mode,
            max_rate=max_rate,
        ),
        endpoint_url=endpoint_url,
        profile=profile,
    )
    _, code = execute(plan, _writer(output_format, output), progress=progress)
    sys.exit(code)


def _latency(text: str) -> float | tuple[float, float]:
    low, comma, high = text.partition(",")
    try:
        return (float(low), float(high)) if comma else float(low)
    except ValueError:
        raise click.BadParameter(f"{text!r}: give SECS or LOW,HIGH in seconds") from None


@main.command()
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
    type=click.FloatRange(min=0, min_open=True),
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
    with Emulator(images, seed=seed, rate=rate, burst=max(1.0, rate / 4)) as served:
        credentials = served.credentials
        _configure_logging(debug=debug, secrets=[credentials.secret_key])
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
        stdout_is_terminal = sys.stdout.isatty()
        width = Console(file=sys.stdout).width if stdout_is_terminal else 120
        writer = DocumentWriter(
            lambda records: render_table(
                records, width=width, color=stdout_is_terminal, flagged_only=True
            ),
            path=None,
            stdout=sys.stdout.write,
        )
        audit_run, code = execute(plan, writer, progress=progress)
    if code == EXIT_INTERRUPTED:
        sys.exit(code)
    sys.exit(EXIT_INCOMPLETE if audit_run.tally.errors or audit_run.listing_errors else EXIT_OK)
