"""The HTML report without a browser: its numbers, its sections, its payload and its defences
against the text it shows. What a browser does with it is in test_html_browser.py."""

from __future__ import annotations

import base64
import hashlib
import json
import random
import re
import tomllib
from fnmatch import fnmatch
from importlib import resources
from pathlib import Path

import pytest
from html_records import organization_records
from html_support import Record, expired, image, inbound, read, render, scope

from imgperms_async.cli._html import embedded_json, shown

A, B, C = "111111111111", "222222222222", "333333333333"
OUT, OUT2, OUT3 = "900000000001", "900000000002", "900000000003"
UNK, UNK2, PARTNER = "800000000001", "800000000002", "700000000001"

ORGANIZATION: list[Record] = [
    image(A, "us-east-1", "wsi-aaa", {B: "organization", OUT: "external"}),
    image(A, "eu-west-1", "wsi-bbb", {OUT: "external", OUT2: "external", UNK: "unknown"}),
    image(
        B,
        "us-east-1",
        "wsi-ccc",
        {PARTNER: "excepted"},
        exceptions={PARTNER: {"reason": "vendor", "owner": "it", "expires": "2027-01-31"}},
    ),
    image(B, "us-east-1", "wsi-ddd", {}),
    image(B, "eu-west-1", "wsi-eee", {}, error={"code": "Throttling", "message": "slow down"}),
    image(B, "eu-west-1", "wsi-fff", {A: "organization"}),
    inbound(B, "us-east-1", "wsi-in1", OUT3, "external"),
    inbound(A, "us-east-1", "wsi-in2", B, "organization"),
    inbound(A, "eu-west-1", "wsi-in3", UNK2, "unknown"),
    scope(C, None, "failed"),
    scope(C, "ap-south-1", "not_enabled"),
    scope(None, None, "skipped"),
    expired(A, ["wsi-old"], ["us-east-1"]),
]

NO_CHANGES = {f"changes-{kind}": 0 for kind in ("appeared", "disappeared", "changed", "unchanged")}


def test_every_number_of_the_summary_counts_what_it_says() -> None:
    """Without a baseline the page has no change counts, and no "other" scope status unless
    one was seen."""
    page = read(render(ORGANIZATION))

    assert page.stats == {
        "external-shares": 3,
        "images-flagged": 2,
        "external-accounts": 2,
        "accounts-affected": 2,
        "inbound-external": 1,
        "inbound-images": 3,
        "unknown-shares": 2,
        "excepted-shares": 1,
        "expired-exceptions": 1,
        "images-audited": 5,
        "images-shared": 4,
        "images-failed": 1,
        "scopes-not-audited": 3,
        "scopes-failed": 1,
        "scopes-skipped": 1,
        "scopes-not_enabled": 1,
        "scopes-not_offered": 0,
        "accounts": 3,
        "regions": 3,
    }
    assert page.stat_texts["images-audited"] == "5"


def test_each_record_is_one_row_shown_in_every_section_it_belongs_to() -> None:
    page = read(render(ORGANIZATION))

    assert page.section_rows() == {
        "external": ["wsi-bbb", "wsi-aaa"],
        "unknown": ["wsi-bbb", "wsi-in3"],
        "inbound-external": ["wsi-in1"],
        "inbound-fine": ["wsi-in2"],
        "expired": [f"{A}:expired"],
        "excepted": ["wsi-ccc"],
        "failed-images": ["wsi-eee"],
        "shared-fine": ["wsi-fff"],
        "private": ["wsi-ddd"],
        "scopes-failed": [f"{C}:failed"],
        "scopes-other": ["-:skipped", f"{C}:not_enabled"],
    }
    assert len(page.payload["rows"]) == len(ORGANIZATION)


def test_the_sections_on_the_page_count_their_rows() -> None:
    page = read(render(ORGANIZATION))

    rows = page.section_rows()
    assert {key: total for key, total in page.section_totals.items() if total} == {
        key: len(names) for key, names in rows.items()
    }
    assert page.section_totals["external"] == page.stats["images-flagged"]


def test_an_empty_audit_says_nothing_is_shared_outside() -> None:
    document = render([])

    page = read(document)
    assert page.stats["external-shares"] == 0
    assert "Nothing is shared outside the allowlist." in document
    assert page.payload["rows"] == []


def test_a_one_account_audit_flags_its_unexpected_accounts_and_judges_no_other() -> None:
    records = [
        image(None, "us-east-1", "wsi-one", {OUT: "external", B: "fine"}),
        image(None, "us-east-1", "wsi-two", {B: "fine"}),
    ]

    page = read(render(records))

    data = page.payload
    strings, classes = data["s"], data["c"]
    [one, _] = data["rows"]
    shares = [
        (strings[a], classes[c]) for a, c in zip(one["sh"][::2], one["sh"][1::2], strict=True)
    ]
    assert shares == [(OUT, "external"), (B, "unclassified")]
    assert page.section_rows() == {"external": ["wsi-one"], "shared-fine": ["wsi-two"]}
    assert page.stats["accounts-affected"] == 1
    assert page.stats["external-shares"] == 1


def test_a_flagged_account_is_external_whatever_its_class_says() -> None:
    record = image(A, "us-east-1", "wsi-odd", {B: "organization"})
    record["unexpected_account_ids"] = [B, OUT]

    page = read(render([record]))

    assert page.stats["external-shares"] == 2
    assert page.section_rows() == {"external": ["wsi-odd"]}


def test_changes_since_the_baseline_are_counted_and_gone_images_are_not_audited() -> None:
    records = [
        image(A, "us-east-1", "wsi-new", {OUT: "external"}, change="changed")
        | {"new_account_ids": [OUT], "removed_account_ids": [B]},
        image(A, "us-east-1", "wsi-gone", {OUT2: "external"}, change="disappeared"),
        image(A, "us-east-1", "wsi-same", {}, change="unchanged"),
        inbound(B, "us-east-1", "wsi-in", OUT3, "external") | {"change": "appeared"},
    ]

    page = read(render(records))

    assert page.stats["new-external-shares"] == 2
    assert page.stats["external-shares"] == 1
    assert page.stats["images-audited"] == 2
    assert {key: page.stats[key] for key in NO_CHANGES} == {
        "changes-appeared": 1,
        "changes-disappeared": 1,
        "changes-changed": 1,
        "changes-unchanged": 1,
    }
    rows = page.section_rows()
    assert rows["new-external"] == ["wsi-new", "wsi-in"]
    assert rows["gone"] == ["wsi-gone"]


def test_unknown_keys_kinds_and_classes_are_shown_not_dropped() -> None:
    records = [
        scope(A, None, "failed", listing="inbound"),
        image(A, "us-east-1", "wsi-x", {OUT: "suspended"}, note={"by": "audit"}),
        {"kind": "future", "account_id": B, "detail": 7},
    ]

    page = read(render(records))

    data = page.payload
    strings = data["s"]
    extras = [[strings[i] for i in row.get("xk", [])] for row in data["rows"] if "xk" in row]
    assert extras == [["listing", "inbound"], ["note", '{"by": "audit"}'], ["detail", "7"]]
    assert "suspended" in data["c"]
    assert page.section_rows()["unknown"] == ["wsi-x"]
    assert page.section_rows()["other"] == [f"{B}:-"]
    assert page.stats["unknown-shares"] == 1


def test_records_in_any_order_make_the_same_report() -> None:
    shuffled = list(ORGANIZATION)
    random.Random(3).shuffle(shuffled)

    assert render(shuffled) == render(ORGANIZATION)


HOSTILE = (
    "<img src=x onerror=alert(1)>",
    "</script><script>window.__pwned=1</script>",
    "<!--<script>",
    "{{7*7}}",
    "&lt;b&gt;",
    "wsi-\x1b[31mred\u202eevil\u2028line\u200bzero\ud800",
)


@pytest.mark.parametrize("text", HOSTILE)
def test_untrusted_text_cannot_leave_the_payload_or_the_page_text(text: str) -> None:
    records = [
        image(A, text, text, {text: "external"}, error={"code": text, "message": text})
        | {"account_name": text},
        scope(A, text, "failed") | {"error": {"code": text, "message": text}},
    ]

    document = render(records, title=text, compliance={text: [text]})

    document.encode("utf-8")  # a lone surrogate would not encode
    assert document.lower().count("</script") == 2
    assert document.lower().count("<script") == 2
    assert "<img" not in document
    assert "<!--" not in document
    page = read(document)
    strings = page.payload["s"]
    assert strings.count(shown(text)) == 1
    assert [
        c for string in strings for c in string if ord(c) < 0x20 or 0xD800 <= ord(c) <= 0xDFFF
    ] == []


def test_characters_that_hide_or_move_text_are_shown_as_escapes() -> None:
    assert shown("a\x1b[31mb") == "a\\x1b[31mb"
    assert shown("1111\u200b22223333") == "1111\\u200b22223333"
    assert shown("abc\u202edef") == "abc\\u202edef"
    assert shown("x\ud800y") == "x\\ud800y"
    assert shown("line\u2028two") == "line\\u2028two"
    assert shown("wsi-<b>&") == "wsi-<b>&"


def test_the_embedded_json_has_nothing_an_html_or_javascript_parser_would_act_on() -> None:
    text = embedded_json({"k": "</script><!--&\u2028\u2029"})

    assert not set("<>&\u2028\u2029") & set(text)
    assert json.loads(text) == {"k": "</script><!--&\u2028\u2029"}


def _policy(document: str) -> dict[str, str]:
    page = read(document)
    [content] = [
        meta["content"]
        for meta in page.metas
        if (meta.get("http-equiv") or "").lower() == "content-security-policy"
    ]
    assert content is not None
    directives = (part.strip().partition(" ") for part in content.split(";"))
    return {name: value for name, _, value in directives}


def _hash(text: str) -> str:
    return f"'sha256-{base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()}'"


def test_the_policy_allows_no_network_and_only_the_report_s_own_script_and_style() -> None:
    document = render(ORGANIZATION)
    page = read(document)

    policy = _policy(document)
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == _hash(page.script)
    assert policy["style-src"] == _hash(page.styles[0])
    assert policy["form-action"] == "'none'"
    assert document.index("Content-Security-Policy") < document.index("<style")


def test_the_script_never_writes_markup_or_runs_strings() -> None:
    script = read(render([])).script

    forbidden = r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|Function\(|"
    forbidden += r"setAttribute\(\s*[\"']on|\.on\w+\s*="
    assert re.findall(forbidden, script) == []


def test_an_organization_of_1000_accounts_in_17_regions_stays_small() -> None:
    records = organization_records(1000, 17)

    document = render(records)

    assert len(records) > 15_000
    assert len(document.encode()) < 2_000_000


def test_the_assets_ship_with_the_package() -> None:
    """The report's script and style are files of the package: each must be package data, or
    an installed (not editable) imgperms would fail on ``--format html``."""
    pyproject = Path(__file__).parents[2] / "pyproject.toml"
    patterns = tomllib.loads(pyproject.read_text())["tool"]["setuptools"]["package-data"]
    assets = resources.files("imgperms_async.cli").joinpath("_html_assets")
    names = [f"cli/_html_assets/{entry.name}" for entry in assets.iterdir()]
    declared: list[str] = patterns["imgperms_async"]
    assert [name for name in names if not any(fnmatch(name, p) for p in declared)] == []
