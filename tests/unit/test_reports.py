"""The pure parts of acting on a report: reading it back, comparing with a baseline, rendering
findings (OCSF) and test reports (JUnit)."""

from __future__ import annotations

import json
from typing import Any
from xml.etree import ElementTree

import pytest
from junitparser import Error, JUnitXml

from imgperms_async import ShareClass
from imgperms_async.cli._baseline import Baseline
from imgperms_async.cli._errors import SetupError
from imgperms_async.cli._junit import render_junit
from imgperms_async.cli._records import AuditRecord, ErrorInfo, Owner, Record, ScopeRecord
from imgperms_async.cli._reports import read_report

OWNER = Owner("100000000001", "owner")
OUTSIDER = "200000000001"


def record(region: str, image_id: str, *shared: str, **fields: Any) -> AuditRecord:
    external: ShareClass = "external"
    return AuditRecord(
        region,
        image_id,
        shared,
        fields.pop("unexpected", ()),
        1,
        fields.pop("error", None),
        OWNER,
        (external,) * len(shared),
        **fields,
    )


def failed_scope(region: str) -> ScopeRecord:
    return ScopeRecord(
        OWNER.account_id, OWNER.account_name, region, "failed", ErrorInfo("Throttling", "page 2")
    )


# --- reading a report back ---------------------------------------------------------------------


def test_a_report_written_by_an_audit_reads_back_as_it_was() -> None:
    written = record("us-east-1", "wsi-aaaaaaaaa", OUTSIDER, unexpected=(OUTSIDER,))

    [image] = read_report(json.dumps(written.to_json()) + "\n", source="r").images

    assert (image.account_id, image.region, image.image_id) == (
        OWNER.account_id,
        "us-east-1",
        "wsi-aaaaaaaaa",
    )
    assert image.shared_account_ids == image.unexpected_account_ids == (OUTSIDER,)
    assert image.share_classes == {OUTSIDER: "external"}
    assert image.audited
    assert image.present


def test_a_line_after_a_byte_order_mark_and_blank_lines_is_named_by_its_line_in_the_file() -> None:
    text = "\ufeff\n\n{not json\n"

    with pytest.raises(SetupError, match=r"^r\.jsonl, line 3 is not json"):
        read_report(text, source="r.jsonl")


def test_a_json_array_after_a_byte_order_mark_is_read() -> None:
    written = record("us-east-1", "wsi-aaaaaaaaa")

    report = read_report("\ufeff\n [" + json.dumps(written.to_json()) + "]", source="r.json")

    assert [image.image_id for image in report.images] == ["wsi-aaaaaaaaa"]


# --- the baseline ------------------------------------------------------------------------------


def baseline_of(*records: AuditRecord) -> Baseline:
    text = "".join(json.dumps(r.to_json()) + "\n" for r in records)
    return Baseline(read_report(text, source="baseline.jsonl"))


def test_a_disappeared_image_is_compared_once_and_stays_disappeared() -> None:
    baseline = baseline_of(record("us-east-1", "wsi-aaaaaaaaa", OUTSIDER, unexpected=(OUTSIDER,)))

    [gone] = baseline.disappeared([(OWNER.account_id, "us-east-1")])

    assert gone.change is not None
    assert gone.change.kind == "disappeared"
    assert gone.change.removed_account_ids == gone.change.was_flagged == (OUTSIDER,)


def test_the_last_record_of_an_image_in_an_appended_report_is_its_baseline() -> None:
    earlier = record("us-east-1", "wsi-aaaaaaaaa", OUTSIDER)
    later = record("us-east-1", "wsi-aaaaaaaaa")

    compared = baseline_of(earlier, later).compare(record("us-east-1", "wsi-aaaaaaaaa"))

    assert compared.change is not None
    assert compared.change.kind == "unchanged"


def test_an_image_an_appended_report_last_saw_disappear_is_not_in_the_baseline() -> None:
    earlier = record("us-east-1", "wsi-aaaaaaaaa", OUTSIDER)
    [gone] = baseline_of(earlier).disappeared([(OWNER.account_id, "us-east-1")])

    baseline = baseline_of(earlier, gone)

    assert baseline.disappeared([(OWNER.account_id, "us-east-1")]) == []


# --- JUnit -------------------------------------------------------------------------------------


def test_junit_has_one_suite_per_account_and_region_even_with_failed_scopes_among_images() -> None:
    """A scope whose listing failed on a later page has images and a failed scope record; the
    scope records sort after every image of the account."""
    records: list[Record] = [
        record("eu-west-1", "wsi-aaaaaaaaa"),
        record("us-east-1", "wsi-bbbbbbbbb", OUTSIDER, unexpected=(OUTSIDER,)),
        failed_scope("eu-west-1"),
        failed_scope("us-east-1"),
    ]

    suites = JUnitXml.fromstring(render_junit(records))

    counts = {suite.name: (suite.tests, suite.failures, suite.errors) for suite in suites}
    assert [suite.name for suite in suites] == [
        f"{OWNER.account_id}.eu-west-1",
        f"{OWNER.account_id}.us-east-1",
    ]
    assert counts == {
        f"{OWNER.account_id}.eu-west-1": (2, 0, 1),
        f"{OWNER.account_id}.us-east-1": (2, 1, 1),
    }


def test_junit_escapes_what_xml_cannot_hold_in_every_attribute() -> None:
    odd = "x\udcff\uffff\x1b<&>"
    records: list[Record] = [
        record(odd, "wsi-" + odd, error=ErrorInfo("Code" + odd, "message " + odd)),
        ScopeRecord(OWNER.account_id, odd, odd, "failed", ErrorInfo(odd, odd)),
    ]

    xml = render_junit(records)

    ElementTree.fromstring(xml.encode())
    errors = [r for suite in JUnitXml.fromstring(xml) for case in suite for r in case.result]
    assert all(isinstance(e, Error) and "\\udcff\\uffff\\x1b<&>" in e.message for e in errors)


def test_a_record_of_an_id_the_audit_refused_reads_back_even_when_empty() -> None:
    refused = AuditRecord("us-east-1", "", (), (), 0, ErrorInfo("ParamValidationError", "''"))

    [image] = read_report(json.dumps(refused.to_json()) + "\n", source="r").images

    assert (image.image_id, image.audited) == ("", False)
