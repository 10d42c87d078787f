"""The HTML report in a real browser (Debian's chromium): opened from disk with the network
refused, it shows the numbers the records make, runs nothing an id or a message holds, and its
search and filters narrow what is shown. The ``open_report`` fixture fails a test whose page made
any request but the file's own, logged an error or opened a dialog."""

from __future__ import annotations

from collections import Counter

import pytest
from browser_support import OpenedReport, OpenReport
from html_records import organization_records
from html_support import Record, image, inbound, scope

pytestmark = pytest.mark.slow

RECORDS = [
    *organization_records(40, 4, seed=11),
    # One of each kind a small draw may lack, so that every number is tested above zero.
    inbound("100000000000", "us-east-1", "wsi-from-outside", "900000004001", "external"),
    image("100000000000", "us-west-2", "wsi-failed", {}, error={"code": "E", "message": "m"}),
    scope("100000007919", "us-west-2", "failed"),
    scope("100000015838", None, "skipped"),
    scope("100000015838", "us-gov-west-1", "not_enabled"),
]


def expected_numbers(records: list[Record]) -> dict[str, int]:
    """The summary's numbers, counted straight from the records as a reader would."""
    images = [r for r in records if "kind" not in r]
    inbound = [r for r in records if r.get("kind") == "inbound"]
    scopes = Counter(r["status"] for r in records if r.get("kind") == "scope")
    outside = [a for r in images for a in r["unexpected_account_ids"]]
    classes = [c for r in images for c in r["share_classes"].values()]
    classes += [r["owner_class"] for r in inbound]
    return {
        "external-shares": len(outside),
        "images-flagged": sum(bool(r["unexpected_account_ids"]) for r in images),
        "external-accounts": len(set(outside)),
        "accounts-affected": len(
            {r["account_id"] for r in images if r["unexpected_account_ids"]}
            | {r["account_id"] for r in inbound if r["owner_class"] == "external"}
        ),
        "inbound-external": sum(r["owner_class"] == "external" for r in inbound),
        "unknown-shares": classes.count("unknown"),
        "excepted-shares": classes.count("excepted"),
        "expired-exceptions": sum(r.get("kind") == "exception" for r in records),
        "images-audited": sum(r["error"] is None for r in images),
        "images-failed": sum(r["error"] is not None for r in images),
        "scopes-failed": scopes["failed"],
        "scopes-not_enabled": scopes["not_enabled"],
        "scopes-skipped": scopes["skipped"],
    }


def test_the_report_opens_offline_and_shows_the_numbers_the_records_make(
    open_report: OpenReport,
) -> None:
    expected = expected_numbers(RECORDS)
    assert min(expected.values()) > 0

    report = open_report(RECORDS)

    shown = report.stats()
    assert {key: shown[key] for key in expected} == {
        key: (value, f"{value:,}") for key, value in expected.items()
    }
    assert report.section_count("external") == expected["images-flagged"]
    assert report.section_count("inbound-external") == expected["inbound-external"]
    assert report.section_count("scopes-failed") == expected["scopes-failed"]
    flagged = sorted(r["image_id"] for r in RECORDS if r.get("unexpected_account_ids"))
    assert sorted(report.expand("external")) == flagged
    assert report.requests == [report.url]


HOSTILE_ID = '<img src=x onerror="window.__pwned=1">'
HOSTILE_NAME = "</script><script>window.__pwned=1</script>"
HOSTILE_MESSAGE = "<svg onload=window.__pwned=1>{{7*7}}${7*7}"
HOSTILE_REGION = '"><iframe src="javascript:window.__pwned=1">'
ESCAPE_ID = "wsi-\x1b[31mred\u202eevil"


def _hostile_records() -> list[Record]:
    outside = "900000000001"
    first = image("111111111111", HOSTILE_REGION, HOSTILE_ID, {outside: "external"})
    first.update(account_name=HOSTILE_NAME, error={"code": "<marquee>", "message": HOSTILE_MESSAGE})
    hostile_inbound = inbound("111111111111", "us-east-1", "wsi-in", outside, "external")
    hostile_inbound["image_name"] = HOSTILE_NAME
    failed = scope("111111111111", "us-east-1", "failed")
    failed["error"] = {"code": HOSTILE_NAME, "message": HOSTILE_MESSAGE}
    return [
        first,
        image("111111111111", "us-east-1", ESCAPE_ID, {outside: "external"}),
        hostile_inbound,
        failed,
    ]


def test_hostile_text_runs_nothing_and_is_shown_literally(open_report: OpenReport) -> None:
    report = open_report(_hostile_records(), title=HOSTILE_NAME, compliance={HOSTILE_ID: ["x"]})
    page = report.page

    ids = report.expand("external")
    report.expand("inbound-external")
    report.expand("scopes-failed")
    report.expand("failed-images")

    assert page.evaluate("() => window.__pwned") is None
    assert page.eval_on_selector_all("img, svg, iframe, marquee", "nodes => nodes.length") == 0
    assert sorted(ids) == sorted([HOSTILE_ID, "wsi-\\x1b[31mred\\u202eevil"])
    assert page.title() == HOSTILE_NAME
    text: str = page.evaluate("() => document.body.innerText")
    for literal in (HOSTILE_NAME, HOSTILE_MESSAGE, HOSTILE_REGION, HOSTILE_ID):
        assert literal in text
    assert "{{7*7}}" in text


def _select(report: OpenedReport, control: str, label: str) -> None:
    report.page.select_option(control, label=label)
    report.settle()


def test_search_and_filters_narrow_what_is_shown(open_report: OpenReport) -> None:
    report = open_report(RECORDS)
    page = report.page
    flagged = min(
        (r for r in RECORDS if r.get("unexpected_account_ids")), key=lambda r: r["image_id"]
    )
    account = flagged["account_id"]

    page.fill("#q", flagged["image_id"])
    report.settle()
    assert report.match_count() == 1
    assert report.section_count("external") == 1
    assert page.text_content("[data-section='external'] .row .id") == flagged["image_id"]

    page.click("button[type=reset]")
    report.settle()
    assert report.match_count() == len(RECORDS)

    _select(report, "#f-class", "external")
    outside = [r for r in RECORDS if r.get("unexpected_account_ids")]
    outside += [r for r in RECORDS if r.get("owner_class") == "external"]
    assert report.match_count() == len(outside)

    _select(report, "#f-region", "us-west-2")
    assert report.match_count() == sum(r["region"] == "us-west-2" for r in outside)

    page.click("button[type=reset]")
    page.fill("#f-account", account)
    report.settle()
    in_account = [r for r in RECORDS if r.get("account_id") == account]
    assert report.match_count() == len(in_account)


def test_a_large_group_is_drawn_a_page_at_a_time(open_report: OpenReport) -> None:
    """One account with 250 images shared outside in one region, one of them with 30 accounts:
    the page draws a hundred rows and a dozen shares, each with a button for the rest."""
    outside = {f"9000000{n:05d}": "external" for n in range(30)}
    records = [
        image("111111111111", "us-east-1", f"wsi-{n:09d}", dict(list(outside.items())[: n or 30]))
        for n in range(250)
    ]
    report = open_report(records)
    page = report.page

    page.click("[data-section='external'] details.account > summary")
    page.click("[data-section='external'] details.region > summary")

    rows = page.locator("[data-section='external'] .row")
    rows.nth(99).wait_for(state="attached")
    assert rows.count() == 100
    more = page.locator("[data-section='external'] .rows > button.more")
    assert more.text_content() == "Show 100 more (150 left)"
    first = rows.first
    assert first.locator(".share").count() == 12
    assert first.locator(".shares button.more").text_content() == "18 more"
    assert len(report.expand("external")) == 250
    assert first.locator(".share").count() == 30
