"""``--format junit``: the audit as JUnit XML, so CI dashboards (GitLab, Jenkins, GitHub test
reporters) show it as tests: one test suite per account and region, one test case per image (and
per image shared in), one failure for a case shared outside (naming every account outside), an
error for an image or a scope that could not be audited.

Written with the standard library's ElementTree, which escapes markup: the format is a few
elements, and needs no dependency of its own. Every attribute goes in through ``_element``, with
the characters XML cannot hold at all (control characters, surrogates, U+FFFE and U+FFFF) shown
as escapes, as ``literal`` shows control characters.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final
from xml.etree import ElementTree

from imgperms_async import ImageRecord, InboundRecord, Record, ScopeRecord, sorted_records
from imgperms_async.cli._literal import literal

_NOT_XML: Final = re.compile("[\ud800-\udfff\ufffe\uffff]")
"""What XML 1.0 cannot hold, besides the control characters ``literal`` already escapes."""


def render_junit(records: Sequence[Record]) -> str:
    root = ElementTree.Element("testsuites", name="imgperms audit")
    suites: dict[tuple[str | None, str], list[Record]] = {}
    for record in sorted_records(records):
        if _case_of(record):
            suites.setdefault(_suite_of(record), []).append(record)
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for (account, region), group in suites.items():
        suite = _element(root, "testsuite", name=_suite_name(account, region))
        counts = {"tests": 0, "failures": 0, "errors": 0}
        for record in group:
            name = _case_name(record)
            case = _element(suite, "testcase", name=name, classname=_suite_name(account, region))
            counts["tests"] += 1
            problem = _error(record)
            if problem is not None:
                _element(case, "error", type=problem[0], message=problem[1])
                counts["errors"] += 1
            elif (failure := _failure(record)) is not None:
                _element(case, "failure", type=failure[0], message=failure[1])
                counts["failures"] += 1
        for name, value in counts.items():
            suite.set(name, str(value))
            totals[name] += value
    for name, value in totals.items():
        root.set(name, str(value))
    ElementTree.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(root, "unicode") + "\n"


def _element(parent: ElementTree.Element, tag: str, **attributes: str) -> ElementTree.Element:
    """A child element whose every attribute XML can hold, whatever the input or service said."""
    return ElementTree.SubElement(
        parent, tag, {name: _xml_text(value) for name, value in attributes.items()}
    )


def _xml_text(text: str) -> str:
    return _NOT_XML.sub(lambda match: f"\\u{ord(match.group()):04x}", literal(text))


def _case_name(record: Record) -> str:
    if isinstance(record, InboundRecord):
        return f"shared in: {record.image_id}"
    if isinstance(record, ImageRecord):
        return record.image_id
    return "listing"


def _error(record: Record) -> tuple[str, str] | None:
    if isinstance(record, ScopeRecord):
        error = record.error
        if error is None:
            return record.status, f"not audited: {record.status}"
        return error.code, error.message
    if isinstance(record, ImageRecord) and record.error is not None:
        return record.error.code, record.error.message
    return None


def _failure(record: Record) -> tuple[str, str] | None:
    """One failure a case, as JUnit allows: every account outside in its message."""
    if isinstance(record, InboundRecord) and record.flagged:
        return (
            "SharedInFromOutside",
            f"{record.image_id} is shared into this account by {record.owner_account_id}, "
            "outside the organization and the allowlist",
        )
    if isinstance(record, ImageRecord) and record.flagged:
        outside = record.unexpected_account_ids
        return (
            "SharedOutside",
            f"{record.image_id} is shared with {len(outside)} account(s) outside the "
            f"organization and the allowlist: {', '.join(outside)}",
        )
    return None


def _case_of(record: Record) -> bool:
    """Every image is a case; a scope only when it was not audited and should have been."""
    if isinstance(record, ImageRecord | InboundRecord):
        return not record.gone
    return isinstance(record, ScopeRecord) and record.incomplete


def _suite_of(record: Record) -> tuple[str | None, str]:
    assert isinstance(record, ImageRecord | InboundRecord | ScopeRecord)
    return (record.account_id, record.region or "every region")


def _suite_name(account: str | None, region: str) -> str:
    return region if account is None else f"{account}.{region}"
