"""The CLI's pure parts: input files, records, csv rows, error codes and secret redaction."""

from __future__ import annotations

import asyncio
import csv
import io
import logging
import sys
from collections.abc import Coroutine
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError

from imgperms_async import ImagePermissionsResult, ParamValidationError, ResourceNotFoundException
from imgperms_async.cli._commands import demo_allowlist
from imgperms_async.cli._execute import run_event_loop
from imgperms_async.cli._inputs import InputError, allowlist_from, image_ids_from
from imgperms_async.cli._records import AuditRecord, ErrorInfo, Tally, render_csv
from imgperms_async.cli._redact import RedactSecrets

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def test_image_id_files_skip_blank_lines_and_comments() -> None:
    text = "# owned by team A\nwsi-aaaaaaaaa\n\n  wsi-bbbbbbbbb   # the old one\n"

    assert image_ids_from(text) == ["wsi-aaaaaaaaa", "wsi-bbbbbbbbb"]


def test_allowlist_skips_comments_and_keeps_account_ids() -> None:
    text = "# partners\n111111111111\n222222222222  # audit account\n\n"

    assert allowlist_from(text, source="allow.txt") == {"111111111111", "222222222222"}


def test_allowlist_rejects_a_short_account_id_naming_the_line() -> None:
    with pytest.raises(InputError, match=r"allow\.txt, line 2: '12345' is not an AWS account id"):
        allowlist_from("111111111111\n12345\n", source="allow.txt")


def test_record_flags_only_accounts_outside_the_allowlist() -> None:
    result = ImagePermissionsResult("wsi-aaaaaaaaa", ("111111111111", "222222222222"), None, 1)

    record = AuditRecord.of("us-east-1", result, frozenset({"111111111111"}))

    assert record.unexpected_account_ids == ("222222222222",)


def test_record_flags_nothing_without_an_allowlist() -> None:
    result = ImagePermissionsResult("wsi-aaaaaaaaa", ("111111111111",), None, 1)

    assert AuditRecord.of("us-east-1", result, None).unexpected_account_ids == ()


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
    failed = ResourceNotFoundException({"Error": {"Code": "ResourceNotFoundException"}}, "op")
    allowlist = frozenset({"1" * 12})
    results = [
        ImagePermissionsResult("wsi-shared000", ("1" * 12, "2" * 12), None, 1),
        ImagePermissionsResult("wsi-private00", (), None, 1),
        ImagePermissionsResult("wsi-failed000", (), failed, 0),
    ]
    records = [AuditRecord.of("us-east-1", result, allowlist) for result in results]

    rows = list(csv.reader(io.StringIO(render_csv(records))))

    assert rows == [
        ["region", "image_id", "shared_account_id", "unexpected", "error_code"],
        ["us-east-1", "wsi-failed000", "", "", "ResourceNotFoundException"],
        ["us-east-1", "wsi-private00", "", "", ""],
        ["us-east-1", "wsi-shared000", "1" * 12, "false", ""],
        ["us-east-1", "wsi-shared000", "2" * 12, "true", ""],
    ]


@pytest.mark.parametrize(
    ("flagged", "failed", "code"),
    [(False, False, 0), (True, False, 1), (False, True, 3), (True, True, 1)],
)
def test_exit_code_flagged_wins_over_could_not_audit(
    flagged: bool, failed: bool, code: int
) -> None:
    error = ErrorInfo("X", "x")
    shared = AuditRecord("us-east-1", "wsi-aaaaaaaaa", ("1" * 12,), ("1" * 12,) * flagged, 1, None)
    other = AuditRecord("us-east-1", "wsi-bbbbbbbbb", (), (), 0, error if failed else None)

    assert Tally.of([shared, other]).exit_code() == code


def redacted(message: str, *args: object, secrets: tuple[str, ...] = ()) -> str:
    record = logging.LogRecord("test", logging.DEBUG, __file__, 1, message, args, None)
    RedactSecrets(secrets).filter(record)
    return record.getMessage()


def test_redaction_masks_a_known_secret_anywhere() -> None:
    assert SECRET not in redacted("signing with %s", SECRET, secrets=(SECRET,))


def test_redaction_masks_the_authorization_header() -> None:
    header = (
        f"{{'Authorization': 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/x, Signature={'ab' * 32}'}}"
    )

    assert "AKIDEXAMPLE" not in redacted(header)
    assert "ab" * 32 not in redacted(header)


@pytest.mark.parametrize(
    "name",
    ["aws_secret_access_key", "SecretAccessKey", "aws_session_token", "X-Amz-Security-Token"],
)
def test_redaction_masks_assignments_to_secret_fields(name: str) -> None:
    assert SECRET not in redacted(f"{name} = {SECRET}")
    assert SECRET not in redacted(f'"{name}": "{SECRET}"')


def test_redaction_masks_secrets_in_tracebacks() -> None:
    try:
        raise ValueError(SECRET)
    except ValueError:
        record = logging.LogRecord("test", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    RedactSecrets((SECRET,)).filter(record)

    assert SECRET not in record.getMessage()
    assert record.exc_info is None


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
