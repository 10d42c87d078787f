"""The CLI's pure parts: csv rows, the tally's exit status, error codes, the progress line,
secret redaction, the demo's allowlist and the event loop."""

from __future__ import annotations

import asyncio
import csv
import gc
import io
import logging
import sys
from collections.abc import Coroutine
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError
from fakes import FakeClock, settle

from imgperms_async import (
    AuditProgress,
    AuditTotals,
    ErrorInfo,
    ImageRecord,
    InboundRecord,
    InvalidSettingError,
    ParamValidationError,
    ResourceNotFoundException,
    ShareClass,
    account_ids_from_text,
    image_ids_from_text,
)
from imgperms_async.cli import _progress
from imgperms_async.cli._demo import demo_allowlist
from imgperms_async.cli._documents import render_csv
from imgperms_async.cli._progress import (
    LOG_EVERY_SECS,
    REFRESH_EVERY_SECS,
    ProgressView,
    keep_showing,
    showing_meanwhile,
)
from imgperms_async.cli._redact import RedactSecrets
from imgperms_async.cli._run import COLLECT_AFTER_ALLOCATIONS, collecting_less, run_event_loop
from imgperms_async.cli._summary import RunFacts, summary_lines
from imgperms_async.cli._tally import Tally

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
INSIDE, OUTSIDE = "1" * 12, "2" * 12


def image(
    image_id: str,
    shares: dict[str, ShareClass] | None = None,
    *,
    error: ErrorInfo | None = None,
    account_id: str | None = None,
) -> ImageRecord:
    shares = shares or {}
    return ImageRecord(
        "us-east-1", image_id, tuple(shares), tuple(shares.values()), 1, error, account_id
    )


def test_image_id_files_skip_blank_lines_and_comments() -> None:
    text = "# owned by team A\nwsi-aaaaaaaaa\n\n  wsi-bbbbbbbbb   # the old one\n"

    assert image_ids_from_text(text) == ["wsi-aaaaaaaaa", "wsi-bbbbbbbbb"]


def test_allowlist_skips_comments_and_keeps_account_ids() -> None:
    text = "# partners\n111111111111\n222222222222  # audit account\n\n"

    assert account_ids_from_text(text, source="allow.txt") == {"111111111111", "222222222222"}


def test_allowlist_rejects_a_short_account_id_naming_the_line() -> None:
    with pytest.raises(
        InvalidSettingError, match=r"allow\.txt, line 2: '12345' is not an AWS account id"
    ):
        account_ids_from_text("111111111111\n12345\n", source="allow.txt")


def test_error_code_is_the_service_code_for_service_errors() -> None:
    error = ResourceNotFoundException(
        {"Error": {"Code": "ResourceNotFoundException", "Message": "no such image"}},
        "DescribeWorkspaceImagePermissions",
    )

    assert ErrorInfo.of(error) == ErrorInfo("ResourceNotFoundException", "no such image")


def test_error_code_is_the_class_name_for_other_failures() -> None:
    info = ErrorInfo.of(EndpointConnectionError(endpoint_url="http://127.0.0.1:9"))

    assert info.code == "EndpointConnectionError"
    assert "http://127.0.0.1:9" in info.message


def test_error_message_is_a_single_line() -> None:
    info = ErrorInfo.of(ParamValidationError(report="first problem\nsecond problem"))

    assert info.code == "ParamValidationError"
    assert "\n" not in info.message


def test_csv_has_one_row_per_account_and_one_empty_row_for_private_or_failed_images() -> None:
    records = [
        image("wsi-shared000", {INSIDE: "allowlisted", OUTSIDE: "external"}),
        image("wsi-private00"),
        image("wsi-failed000", error=ErrorInfo("ResourceNotFoundException", "gone")),
    ]

    rows = list(csv.reader(io.StringIO(render_csv(records, per_account=False, inbound=False))))

    assert rows == [
        ["region", "image_id", "shared_account_id", "unexpected", "error_code"],
        ["us-east-1", "wsi-failed000", "", "", "ResourceNotFoundException"],
        ["us-east-1", "wsi-private00", "", "", ""],
        ["us-east-1", "wsi-shared000", INSIDE, "false", ""],
        ["us-east-1", "wsi-shared000", OUTSIDE, "true", ""],
    ]


def test_csv_of_accounts_names_each_shares_class() -> None:
    records = [
        image("wsi-shared000", {INSIDE: "unknown", OUTSIDE: "excepted"}, account_id="3" * 12)
    ]

    rows = list(csv.DictReader(io.StringIO(render_csv(records, per_account=True, inbound=False))))

    assert [(r["shared_account_id"], r["class"], r["unexpected"]) for r in rows] == [
        (INSIDE, "unknown", "false"),
        (OUTSIDE, "excepted", "false"),
    ]


@pytest.mark.parametrize(
    ("flagged", "failed", "code"),
    [(False, False, 0), (True, False, 1), (False, True, 3), (True, True, 1)],
)
def test_exit_status_flagged_wins_over_could_not_audit(
    flagged: bool, failed: bool, code: int
) -> None:
    shared = image("wsi-aaaaaaaaa", {INSIDE: "external" if flagged else "allowlisted"})
    other = image("wsi-bbbbbbbbb", error=ErrorInfo("X", "x") if failed else None)

    assert Tally.of([shared, other]).exit_status() == code


def test_a_share_of_unknown_membership_is_not_flagged_unless_asked() -> None:
    tally = Tally.of([image("wsi-aaaaaaaaa", {OUTSIDE: "unknown"})])

    assert tally.exit_status() == 0
    assert tally.exit_status(fail_on_unknown=True) == 1


def test_an_excepted_share_is_never_flagged() -> None:
    tally = Tally.of([image("wsi-aaaaaaaaa", {OUTSIDE: "excepted"})])

    assert tally.exit_status(fail_on_unknown=True) == 0
    assert tally.excepted == 1


@pytest.mark.parametrize(
    ("count", "costs"),
    [(1, "1 request, 1 retry, 1 throttle"), (2, "2 requests, 2 retries, 2 throttles"),
     (0, "0 requests, 0 retries, 0 throttles")],
)  # fmt: skip
def test_the_summary_says_what_the_run_cost_in_singular_or_plural(count: int, costs: str) -> None:
    totals = AuditTotals(requests=count, retries=count, throttles=count)
    facts = RunFacts(accounts=None, regions=1, elapsed_secs=2.0, totals=totals)

    lines = summary_lines(Tally.of([image("wsi-aaaaaaaaa")]), facts)

    assert lines[:2] == [
        "audited 1 image in 1 region: 0 shared, 0 flagged, 0 errors",
        f"{costs}, {count / 2:.1f} req/s, 2.0 s",
    ]


def test_the_summary_names_images_shared_in_by_account_whatever_order_they_finished() -> None:
    def shared_in(account_id: str, image_id: str) -> InboundRecord:
        return InboundRecord(account_id, None, "us-east-1", image_id, None, OUTSIDE, "external")

    finished = [shared_in("3" * 12, "wsi-aaaaaaaaa"), shared_in(INSIDE, "wsi-bbbbbbbbb")]
    facts = RunFacts(accounts=2, regions=1, elapsed_secs=1.0, totals=AuditTotals())

    lines = summary_lines(Tally.of(finished), facts)

    named = [line.split(",")[0] for line in lines if line.startswith("shared in from outside")]
    assert named == [
        f"shared in from outside: account {INSIDE}",
        f"shared in from outside: account {'3' * 12}",
    ]


# --- progress without a terminal: a line every LOG_EVERY_SECS --------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def progress(images: int) -> AuditProgress:
    return AuditProgress(
        accounts=3, accounts_reached=2, roles_assumed=2, scopes=6, scopes_done=4, images=images
    )


def test_without_a_terminal_progress_is_a_line_once_every_ten_seconds() -> None:
    clock, log = Clock(), io.StringIO()
    view = ProgressView(console=None, log=log, clock=clock)

    view.audit(progress(1), lambda: 0)
    clock.now += LOG_EVERY_SECS - 0.1
    view.audit(progress(2), lambda: 0)
    assert log.getvalue() == ""

    clock.now += 0.1
    view.audit(progress(3), lambda: 5)
    clock.now += 1
    view.audit(progress(4), lambda: 5)

    assert LOG_EVERY_SECS == 10
    assert log.getvalue().splitlines() == [
        "progress: auditing scopes 4/6, 3 images, 2/3 accounts reached, 2 roles assumed, "
        "5 throttles"
    ]


def test_without_progress_nothing_is_written_and_throttles_are_not_counted() -> None:
    clock = Clock()
    view = ProgressView(console=None, log=None, clock=clock)
    clock.now += 3600

    def throttles() -> int:
        raise AssertionError("asked for throttles with nothing to show")

    view.audit(progress(1), throttles)


def test_without_a_terminal_the_accounts_listed_so_far_are_a_line() -> None:
    clock, log = Clock(), io.StringIO()
    view = ProgressView(console=None, log=log, clock=clock)
    clock.now += LOG_EVERY_SECS

    view.listing(AuditProgress(0, 0, 0, 0, 0, 0, accounts_listed=2400))

    assert log.getvalue().splitlines() == ["progress: listing accounts 2400"]


def test_an_audit_that_lists_no_organization_shows_no_listing() -> None:
    clock, log = Clock(), io.StringIO()
    view = ProgressView(console=None, log=log, clock=clock)
    clock.now += LOG_EVERY_SECS

    view.listing(AuditProgress(0, 0, 0, 0, 0, 0))

    assert log.getvalue() == ""


async def test_progress_is_shown_every_second_though_no_result_comes() -> None:
    clock = FakeClock()
    shown: list[float] = []
    showing = asyncio.create_task(
        keep_showing(
            lambda: shown.append(clock.now), every_secs=REFRESH_EVERY_SECS, sleep=clock.sleep
        )
    )

    await clock.advance(3.5)
    showing.cancel()

    assert REFRESH_EVERY_SECS == 1
    assert shown == [1.0, 2.0, 3.0]


async def test_a_failure_to_show_progress_never_ends_the_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_progress, "REFRESH_EVERY_SECS", 0.0)
    shown: list[bool] = []

    def show() -> None:
        shown.append(True)
        raise RuntimeError("the terminal went away")

    async with showing_meanwhile(show):
        await settle()

    assert shown == [True]


# --- redaction ----------------------------------------------------------------------------------


def redacted(message: str, *args: object, secrets: tuple[str, ...] = ()) -> str:
    record = logging.LogRecord("test", logging.DEBUG, __file__, 1, message, args, None)
    RedactSecrets(secrets).filter(record)
    return record.getMessage()


def test_redaction_masks_a_known_secret_anywhere() -> None:
    assert SECRET not in redacted("signing with %s", SECRET, secrets=(SECRET,))


def test_redaction_masks_the_signature_of_the_authorization_header() -> None:
    header = (
        f"{{'Authorization': 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/x, Signature={'ab' * 32}'}}"
    )

    assert "ab" * 32 not in redacted(header)
    assert "Signature=***" in redacted(header)


@pytest.mark.parametrize(
    "name",
    ["aws_secret_access_key", "SecretAccessKey", "aws_session_token", "X-Amz-Security-Token",
     "ExternalId"],
)  # fmt: skip
def test_redaction_masks_assignments_to_secret_fields(name: str) -> None:
    assert SECRET not in redacted(f"{name} = {SECRET}")
    assert SECRET not in redacted(f'"{name}": "{SECRET}"')


def test_a_known_secret_inside_a_field_name_does_not_unmask_that_fields_value() -> None:
    """An ExternalId is whatever its owner chose: "secret" is one, and appears in the name
    aws_secret_access_key."""
    line = redacted(f"aws_secret_access_key = {SECRET}", secrets=("secret",))

    assert SECRET not in line
    assert "secret" not in line


def test_a_known_secret_longer_than_the_value_a_pattern_masks_is_masked_whole() -> None:
    external_id = "tenant-7,eu"

    line = redacted(f"AssumeRole with ExternalId={external_id} failed", secrets=(external_id,))

    assert "tenant-7" not in line
    assert ",eu" not in line
    assert line == "AssumeRole with ExternalId=*** failed"


def test_redaction_masks_secrets_in_tracebacks() -> None:
    try:
        raise ValueError(SECRET)
    except ValueError:
        record = logging.LogRecord("test", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    RedactSecrets((SECRET,)).filter(record)

    assert SECRET not in record.getMessage()
    assert record.exc_info is None


# --- the demo and the event loop ----------------------------------------------------------------


def test_demo_allowlist_leaves_out_a_few_accounts_chosen_by_the_seed() -> None:
    truth = {f"wsi-{i:09d}": (f"{i:012d}",) for i in range(20)}

    allowed = demo_allowlist(truth, seed=1)

    assert 0 < 20 - len(allowed) < 20
    assert allowed == demo_allowlist(truth, seed=1)


def loop_module(seen: list[str]) -> Coroutine[Any, Any, None]:
    async def record() -> None:
        seen.append(type(asyncio.get_running_loop()).__module__.split(".")[0])

    return record()


def test_the_cli_runs_on_uvloop_when_it_is_installed() -> None:
    pytest.importorskip("uvloop")
    seen: list[str] = []
    run_event_loop(loop_module(seen))
    assert seen == ["uvloop"]


def test_the_cli_runs_on_asyncio_without_uvloop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "uvloop", None)
    seen: list[str] = []
    run_event_loop(loop_module(seen))
    assert seen == ["asyncio"]


def test_an_audit_collects_cycles_less_often_and_gives_the_process_its_settings_back() -> None:
    before = gc.get_threshold()
    frozen = gc.get_freeze_count()
    with collecting_less():
        assert gc.get_threshold() == (COLLECT_AFTER_ALLOCATIONS, *before[1:])
        assert gc.get_freeze_count() > frozen, "what existed before the audit is set aside"
        assert gc.isenabled()
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_objects_the_process_froze_itself_stay_frozen() -> None:
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with collecting_less():
            pass
        assert gc.get_freeze_count() >= frozen
    finally:
        gc.unfreeze()


def test_the_collectors_settings_come_back_when_the_audit_fails() -> None:
    before = gc.get_threshold()
    with pytest.raises(RuntimeError), collecting_less():
        raise RuntimeError("the audit broke")
    assert gc.get_threshold() == before
