"""``--format junit``: the audit as JUnit XML, so CI dashboards (GitLab, Jenkins, GitHub test
reporters) show it as tests: one test suite per account and region, one test case per image, a
failure for each account outside it is shared with, an error for an image or a scope that could
not be audited.

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

from imgperms_async.cli._literal import literal
from imgperms_async.cli._records import AuditRecord, Record, ScopeRecord, sorted_records

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
            case = _element(
                suite,
                "testcase",
                name=record.image_id if isinstance(record, AuditRecord) else "listing",
                classname=_suite_name(account, region),
            )
            counts["tests"] += 1
            if isinstance(record, ScopeRecord) or record.error is not None:
                error = record.error
                _element(
                    case,
                    "error",
                    type=error.code if error else "NotAudited",
                    message=error.message if error else "could not be audited",
                )
                counts["errors"] += 1
                continue
            for outside in record.unexpected_account_ids:
                _element(
                    case,
                    "failure",
                    type="SharedOutside",
                    message=f"{record.image_id} is shared with {outside}, "
                    "outside the organization and the allowlist",
                )
            counts["failures"] += bool(record.unexpected_account_ids)
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


def _case_of(record: Record) -> bool:
    """Every image is a case; a scope only when it failed (skipped ones are not tests)."""
    return (isinstance(record, AuditRecord) and not record.gone) or (
        isinstance(record, ScopeRecord) and record.failed
    )


def _suite_of(record: Record) -> tuple[str | None, str]:
    return (record.account_id, record.region or "every region")


def _suite_name(account: str | None, region: str) -> str:
    return region if account is None else f"{account}.{region}"
