"""``--format junit``: the audit as JUnit XML, so CI dashboards (GitLab, Jenkins, GitHub test
reporters) show it as tests: one test suite per account and region, one test case per image, a
failure for each account outside it is shared with, an error for an image or a scope that could
not be audited.

Written with the standard library's ElementTree, which escapes what it writes: the format is a
few elements, and needs no dependency of its own. Text from input or the service goes in with its
control characters shown as escapes, which XML could not hold at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby
from xml.etree import ElementTree

from imgperms_async.cli._literal import literal
from imgperms_async.cli._records import AuditRecord, Record, ScopeRecord, sorted_records


def render_junit(records: Sequence[Record]) -> str:
    root = ElementTree.Element("testsuites", name="imgperms audit")
    shown = [r for r in sorted_records(records) if _case_of(r)]
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for (account, region), group in groupby(shown, key=_suite_of):
        suite = ElementTree.SubElement(root, "testsuite", name=_suite_name(account, region))
        counts = {"tests": 0, "failures": 0, "errors": 0}
        for record in group:
            case = ElementTree.SubElement(
                suite,
                "testcase",
                name=literal(record.image_id) if isinstance(record, AuditRecord) else "listing",
                classname=_suite_name(account, region),
            )
            counts["tests"] += 1
            if isinstance(record, ScopeRecord) or record.error is not None:
                error = record.error
                ElementTree.SubElement(
                    case,
                    "error",
                    type=literal(error.code) if error else "NotAudited",
                    message=literal(error.message) if error else "could not be audited",
                )
                counts["errors"] += 1
                continue
            for outside in record.unexpected_account_ids:
                ElementTree.SubElement(
                    case,
                    "failure",
                    type="SharedOutside",
                    message=f"{literal(record.image_id)} is shared with {literal(outside)}, "
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


def _case_of(record: Record) -> bool:
    """Every image is a case; a scope only when it failed (skipped ones are not tests)."""
    return (
        isinstance(record, AuditRecord)
        and (record.change is None or record.change.kind != "disappeared")
    ) or (isinstance(record, ScopeRecord) and record.failed)


def _suite_of(record: Record) -> tuple[str | None, str]:
    return (record.account_id, record.region or "every region")


def _suite_name(account: str | None, region: str) -> str:
    return literal(region if account is None else f"{account}.{region}")
