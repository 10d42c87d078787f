"""``--format junit``: one suite per account and region, one case per image, whatever the records
hold."""

from __future__ import annotations

from xml.etree import ElementTree

from junitparser import Error, JUnitXml

from imgperms_async import ErrorInfo, ImageRecord, Record, ScopeRecord, ShareClass
from imgperms_async.cli._junit import render_junit

OWNER = "100000000001"
OUTSIDER = "200000000001"


def record(region: str, image_id: str, *shared: str, error: ErrorInfo | None = None) -> ImageRecord:
    external: ShareClass = "external"
    return ImageRecord(
        region, image_id, shared, (external,) * len(shared), 1, error, OWNER, "owner"
    )


def failed_scope(region: str) -> ScopeRecord:
    return ScopeRecord(OWNER, "owner", region, "failed", ErrorInfo("Throttling", "page 2"))


def test_junit_has_one_suite_per_account_and_region_even_with_failed_scopes_among_images() -> None:
    """A scope whose listing failed on a later page has images and a failed scope record; the
    scope records sort after every image of the account."""
    records: list[Record] = [
        record("eu-west-1", "wsi-aaaaaaaaa"),
        record("us-east-1", "wsi-bbbbbbbbb", OUTSIDER),
        failed_scope("eu-west-1"),
        failed_scope("us-east-1"),
    ]

    suites = JUnitXml.fromstring(render_junit(records))

    counts = {suite.name: (suite.tests, suite.failures, suite.errors) for suite in suites}
    assert [suite.name for suite in suites] == [f"{OWNER}.eu-west-1", f"{OWNER}.us-east-1"]
    assert counts == {
        f"{OWNER}.eu-west-1": (2, 0, 1),
        f"{OWNER}.us-east-1": (2, 1, 1),
    }


def test_junit_escapes_what_xml_cannot_hold_in_every_attribute() -> None:
    odd = "x\udcff\uffff\x1b<&>"
    records: list[Record] = [
        record(odd, "wsi-" + odd, error=ErrorInfo("Code" + odd, "message " + odd)),
        ScopeRecord(OWNER, odd, odd, "failed", ErrorInfo(odd, odd)),
    ]

    xml = render_junit(records)

    ElementTree.fromstring(xml.encode())
    errors = [r for suite in JUnitXml.fromstring(xml) for case in suite for r in case.result]
    assert errors
    assert all(isinstance(e, Error) and "\\udcff\\uffff\\x1b<&>" in e.message for e in errors)
