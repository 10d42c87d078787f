"""An audit's records: built once from its results, written as the report's JSON and read back
as strictly as they are written, one schema both ways."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest

from imgperms_async import (
    AuditedImage,
    Change,
    ClientError,
    ErrorInfo,
    Exemption,
    ExpiredExemptionRecord,
    ImageRecord,
    InboundImage,
    InboundRecord,
    InvalidSettingError,
    Record,
    ReportError,
    ScopeRecord,
    ScopeResult,
    read_report,
    record_of,
    sorted_records,
)

OWNER = "100000000001"
MEMBER = "100000000002"
OUTSIDER = "200000000001"
UNKNOWN = "200000000002"
EXEMPTION = Exemption(
    account_id=OUTSIDER,
    reason="the vendor that builds our golden image",
    owner="alice@example.com",
    expires=datetime.date(2027, 3, 31),
    image_ids=("wsi-aaaaaaaaa",),
    regions=("us-east-1",),
)


def image(image_id: str = "wsi-aaaaaaaaa", **fields: Any) -> ImageRecord:
    values: dict[str, Any] = {
        "region": "us-east-1",
        "image_id": image_id,
        "shared_account_ids": (MEMBER, OUTSIDER),
        "share_classes": ("organization", "external"),
        "pages": 1,
        "error": None,
        "account_id": OWNER,
        "account_name": "owner",
    }
    values.update(fields)
    return ImageRecord(**values)


def round_trip(record: Record) -> Record:
    [read] = read_report(json.dumps(record.to_json()) + "\n", source="r.jsonl")
    return read


def jsonl(*records: dict[str, Any]) -> str:
    return "".join(json.dumps(record) + "\n" for record in records)


# --- round trips ------------------------------------------------------------------------------


def test_an_image_of_an_organization_audit_reads_back_as_it_was_written() -> None:
    written = image()
    assert round_trip(written) == written


def test_an_image_record_that_failed_reads_back_with_its_error() -> None:
    written = image(
        shared_account_ids=(MEMBER,),
        share_classes=("organization",),
        error=ErrorInfo("ThrottlingException", "Rate exceeded"),
        pages=2,
    )
    assert round_trip(written) == written


def test_an_image_record_with_its_change_reads_back_with_it() -> None:
    written = image(change=Change("changed", (OUTSIDER,), (UNKNOWN,), (OUTSIDER,)))
    assert round_trip(written) == written


def test_an_image_shared_in_reads_back_as_it_was_written() -> None:
    written = InboundRecord(
        OWNER, "owner", "eu-west-1", "wsi-bbbbbbbbb", "golden", OUTSIDER, "external"
    )
    assert round_trip(written) == written


def test_an_image_shared_in_without_a_name_reads_back_without_one() -> None:
    written = InboundRecord(OWNER, None, "eu-west-1", "wsi-bbbbbbbbb", None, MEMBER, "organization")
    assert round_trip(written) == written


@pytest.mark.parametrize(
    "written",
    [
        ScopeRecord(OWNER, "owner", "us-east-1", "failed", ErrorInfo("AccessDenied", "no")),
        ScopeRecord(OWNER, "owner", None, "skipped", None),
        ScopeRecord(OWNER, None, "af-south-1", "not_enabled", None),
        ScopeRecord(OWNER, "owner", "us-east-1", "audited", None, images=3),
    ],
    ids=["failed", "skipped", "not_enabled", "audited"],
)
def test_a_scope_reads_back_as_it_was_written(written: ScopeRecord) -> None:
    assert round_trip(written) == written


def test_an_expired_exception_reads_back_as_it_was_written() -> None:
    written = ExpiredExemptionRecord(EXEMPTION)
    assert round_trip(written) == written


def test_a_json_array_reads_back_every_record_in_order() -> None:
    written: list[Record] = [image(), ScopeRecord(OWNER, "owner", None, "skipped", None)]
    text = json.dumps([record.to_json() for record in written])
    assert read_report(text, source="r.json") == written


# --- what is written --------------------------------------------------------------------------


def test_the_callers_own_account_alone_writes_the_contracts_record_exactly() -> None:
    record = ImageRecord(
        "us-east-1", "wsi-aaaaaaaaa", (MEMBER, OUTSIDER), ("unknown", "external"), 2, None
    )
    assert record.to_json() == {
        "region": "us-east-1",
        "image_id": "wsi-aaaaaaaaa",
        "shared_account_ids": [MEMBER, OUTSIDER],
        "unexpected_account_ids": [OUTSIDER],
        "pages": 2,
        "error": None,
    }


def test_a_record_of_a_known_account_adds_its_account_and_each_shares_class() -> None:
    written = image().to_json()
    assert (written["account_id"], written["account_name"]) == (OWNER, "owner")
    assert written["share_classes"] == {MEMBER: "organization", OUTSIDER: "external"}


def test_an_excepted_share_writes_its_exception_and_is_not_unexpected() -> None:
    record = image(share_classes=("organization", "excepted"), exemptions={OUTSIDER: EXEMPTION})
    written = record.to_json()
    assert written["unexpected_account_ids"] == []
    assert written["exceptions"] == {
        OUTSIDER: {
            "reason": EXEMPTION.reason,
            "owner": EXEMPTION.owner,
            "expires": "2027-03-31",
        }
    }


def test_only_external_shares_are_unexpected_and_flagged() -> None:
    record = image(
        shared_account_ids=(MEMBER, OUTSIDER, UNKNOWN),
        share_classes=("organization", "external", "unknown"),
    )
    assert record.unexpected_account_ids == (OUTSIDER,)
    assert record.flagged
    assert not image(share_classes=("organization", "unknown")).flagged


def test_a_record_says_the_class_of_each_account_it_is_shared_with() -> None:
    record = image()
    assert (record.class_of(MEMBER), record.class_of(OUTSIDER), record.class_of(UNKNOWN)) == (
        "organization",
        "external",
        None,
    )


def test_an_audited_scope_writes_its_image_count_and_a_failed_one_does_not() -> None:
    audited = ScopeRecord(OWNER, None, "us-east-1", "audited", None, images=4).to_json()
    failed = ScopeRecord(OWNER, None, "us-east-1", "failed", ErrorInfo("X", "y"), 2).to_json()
    assert audited["images"] == 4
    assert "images" not in failed


@pytest.mark.parametrize(
    ("status", "incomplete"),
    [("audited", False), ("skipped", False), ("not_enabled", False), ("failed", True),
     ("not_offered", True)],
)  # fmt: skip
def test_a_scope_failed_or_not_offered_is_incomplete(status: Any, incomplete: bool) -> None:
    assert ScopeRecord(OWNER, None, "us-east-1", status, None).incomplete is incomplete


# --- records of audit results -----------------------------------------------------------------


def test_an_audited_image_becomes_an_image_record() -> None:
    result = AuditedImage(
        "wsi-aaaaaaaaa",
        (MEMBER, OUTSIDER),
        None,
        1,
        OWNER,
        "us-east-1",
        "owner",
        ("organization", "excepted"),
        {OUTSIDER: EXEMPTION},
    )
    assert record_of(result) == image(
        share_classes=("organization", "excepted"), exemptions={OUTSIDER: EXEMPTION}
    )


def test_an_image_that_failed_records_its_service_error_code_and_message() -> None:
    error = ClientError(
        {"Error": {"Code": "AccessDeniedException", "Message": "not   yours\n"}}, "Describe"
    )
    result = AuditedImage("wsi-aaaaaaaaa", (), error, 0, OWNER, "us-east-1")
    record = record_of(result)
    assert isinstance(record, ImageRecord)
    assert record.error == ErrorInfo("AccessDeniedException", "not yours")


def test_an_error_without_a_service_code_is_named_by_its_class() -> None:
    assert ErrorInfo.of(TimeoutError()) == ErrorInfo("TimeoutError", "TimeoutError")
    assert ErrorInfo.of(ValueError("bad  thing")) == ErrorInfo("ValueError", "bad thing")


def test_an_image_shared_in_becomes_an_inbound_record() -> None:
    result = InboundImage(
        OWNER, "owner", "us-east-1", "wsi-bbbbbbbbb", "golden", OUTSIDER, "external"
    )
    assert record_of(result) == InboundRecord(
        OWNER, "owner", "us-east-1", "wsi-bbbbbbbbb", "golden", OUTSIDER, "external"
    )


def test_a_scope_result_becomes_a_scope_record() -> None:
    result = ScopeResult(OWNER, "owner", "us-east-1", "failed", 2, PermissionError("denied"))
    assert record_of(result) == ScopeRecord(
        OWNER, "owner", "us-east-1", "failed", ErrorInfo("PermissionError", "denied"), 2
    )


def test_records_sort_by_account_then_images_inbound_scopes_and_expired_exceptions_last() -> None:
    scope = ScopeRecord(OWNER, None, "us-east-1", "failed", None)
    inbound = InboundRecord(OWNER, None, "us-east-1", "wsi-ccccccccc", None, OUTSIDER, "external")
    west = image("wsi-bbbbbbbbb", region="eu-west-1")
    east = image("wsi-aaaaaaaaa")
    other = image("wsi-aaaaaaaaa", account_id=MEMBER)
    expired = ExpiredExemptionRecord(EXEMPTION)

    ordered = sorted_records([expired, scope, inbound, east, other, west])

    assert ordered == [west, east, inbound, scope, other, expired]


# --- reading strictly -------------------------------------------------------------------------


def test_a_one_account_record_classes_what_it_flagged_external_and_the_rest_unknown() -> None:
    [read] = read_report(
        jsonl(
            {
                "region": "us-east-1",
                "image_id": "wsi-aaaaaaaaa",
                "shared_account_ids": [MEMBER, OUTSIDER],
                "unexpected_account_ids": [OUTSIDER],
                "pages": 1,
                "error": None,
            }
        ),
        source="r",
    )
    assert isinstance(read, ImageRecord)
    assert (read.account_id, read.share_classes) == (None, ("unknown", "external"))


def test_a_record_of_an_id_the_audit_refused_reads_back_even_when_empty() -> None:
    refused = ImageRecord("us-east-1", "", (), (), 0, ErrorInfo("ParamValidationError", "''"))
    assert round_trip(refused) == refused


def test_a_line_after_a_byte_order_mark_and_blank_lines_is_named_by_its_line_in_the_file() -> None:
    with pytest.raises(ReportError, match=r"^r\.jsonl, line 3 is not json"):
        read_report("\ufeff\n\n{not json\n", source="r.jsonl")


def test_a_json_array_after_a_byte_order_mark_is_read() -> None:
    text = "\ufeff\n [" + json.dumps(image().to_json()) + "]"
    assert [record.image_id for record in read_report(text, source="r.json")] == [  # type: ignore[union-attr]
        "wsi-aaaaaaaaa"
    ]


def test_a_report_error_is_a_setting_error() -> None:
    assert issubclass(ReportError, InvalidSettingError)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"region": "eu-wset-1"}, r"line 1: region 'eu-wset-1'"),
        ({"region": None}, "region must be a non-empty string"),
        ({"image_id": ""}, "image_id must be a non-empty string"),
        ({"shared_account_ids": "all"}, "shared_account_ids must be a list of account ids"),
        ({"shared_account_ids": [MEMBER, 1]}, "shared_account_ids must be a list of account ids"),
        ({"unexpected_account_ids": [UNKNOWN]}, "must be among shared_account_ids"),
        ({"share_classes": {MEMBER: "organization"}}, "share_classes must class every shared"),
        ({"share_classes": {MEMBER: "friend", OUTSIDER: "external"}}, "share_classes must class"),
        ({"account_id": "12345"}, "account_id must be an account id"),
        ({"error": "boom"}, r"error must be null or \{code, message\}"),
        ({"change": "moved"}, "change 'moved' is not one of"),
        ({"kind": "summary"}, "unknown record kind 'summary'"),
    ],
)
def test_a_record_that_is_not_what_an_audit_writes_is_refused_naming_where(
    change: dict[str, Any], problem: str
) -> None:
    record = {**image().to_json(), **change}
    with pytest.raises(ReportError, match=problem):
        read_report(jsonl(record), source="r.jsonl")


def test_a_record_that_is_not_an_object_is_refused_naming_its_position() -> None:
    with pytest.raises(ReportError, match=r"r\.json, record 2 is not an audit record"):
        read_report(json.dumps([image().to_json(), 5]), source="r.json")


@pytest.mark.parametrize(
    ("record", "problem"),
    [
        ({"kind": "inbound", "owner_account_id": "x"}, "owner_account_id must be an account id"),
        (
            {"kind": "inbound", "owner_account_id": OUTSIDER, "owner_class": "friend"},
            "owner_class must be one of",
        ),
        ({"kind": "scope", "status": "done"}, "a scope record's status must be one of"),
        ({"kind": "exception", "status": "expired", "expires": "soon"}, "r.jsonl, line 1"),
    ],
)
def test_other_kinds_are_read_as_strictly(record: dict[str, Any], problem: str) -> None:
    with pytest.raises(ReportError, match=problem):
        read_report(jsonl(record), source="r.jsonl")
