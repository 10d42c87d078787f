"""The AWS Security Finding Format as BatchImportFindings checks it: the required attributes,
their types and bounds, ISO 8601 timestamps, the documented enumerations.

A finding that fails is listed in FailedFindings with ErrorCode InvalidInput and a message in
Security Hub's words ("Finding does not adhere to Amazon Finding Format. data.Title should be
string."), the rest of the batch is imported.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime

__all__ = ["SCHEMA_VERSION", "FindingProblem", "checked_finding", "timestamp"]

SCHEMA_VERSION = "2018-10-08"
_PREAMBLE = "Finding does not adhere to Amazon Finding Format. "
_TIMESTAMP = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})", re.ASCII
)
_TYPE_PATTERN = "^([^/]+)(/[^/]+){0,2}$"
_TEXT_BOUNDS = {"Id": 512, "GeneratorId": 512, "Title": 256, "Description": 1024}
_MAX_RESOURCES = 32
_MAX_TYPES = 50
_ENUMS = {
    ("Severity", "Label"): ("INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"),
    ("Compliance", "Status"): ("PASSED", "WARNING", "FAILED", "NOT_AVAILABLE"),
    ("Workflow", "Status"): ("NEW", "NOTIFIED", "RESOLVED", "SUPPRESSED"),
}
_TIMESTAMPS = ("CreatedAt", "UpdatedAt", "FirstObservedAt", "LastObservedAt")


class _Problem(Exception):
    """What is wrong with a finding, in the validator's words after "data"."""


class FindingProblem(Exception):
    """A finding BatchImportFindings refuses; its text is Security Hub's ErrorMessage."""


def timestamp(text: str) -> datetime:
    """An ISO 8601 date-time with its offset, as ASFF takes them (RFC 3339)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _text(finding: Mapping[str, object], key: str, where: str) -> str:
    value = finding.get(key)
    if not isinstance(value, str):
        raise _Problem(f"{where}.{key} should be string")
    if not value:
        raise _Problem(f"{where}.{key} should NOT be shorter than 1 characters")
    return value


def _object(finding: Mapping[str, object], key: str, where: str) -> Mapping[str, object]:
    value = finding[key]
    if not isinstance(value, Mapping):
        raise _Problem(f"{where}.{key} should be object")
    return value


def _required(finding: Mapping[str, object]) -> None:
    for key in (
        "SchemaVersion",
        "Id",
        "ProductArn",
        "GeneratorId",
        "AwsAccountId",
        "Types",
        "CreatedAt",
        "UpdatedAt",
        "Severity",
        "Title",
        "Description",
        "Resources",
    ):
        if key not in finding:
            raise _Problem(f" should have required property '{key}'")


def _scalars(finding: Mapping[str, object]) -> None:
    if finding["SchemaVersion"] != SCHEMA_VERSION:
        raise _Problem(".SchemaVersion should be equal to one of the allowed values")
    for key in ("Id", "ProductArn", "GeneratorId", "AwsAccountId", "Title", "Description"):
        value = _text(finding, key, "")
        most = _TEXT_BOUNDS.get(key)
        if most is not None and len(value) > most:
            raise _Problem(f".{key} should NOT be longer than {most} characters")
    for key in _TIMESTAMPS:
        if key in finding:
            value = _text(finding, key, "")
            if not _TIMESTAMP.fullmatch(value):
                raise _Problem(f'.{key} should match format "date-time"')
            try:
                timestamp(value)
            except ValueError:
                raise _Problem(f'.{key} should match format "date-time"') from None


def _types(finding: Mapping[str, object]) -> None:
    types = finding["Types"]
    if not isinstance(types, list):
        raise _Problem(".Types should be array")
    if not 1 <= len(types) <= _MAX_TYPES:
        raise _Problem(f".Types should hold 1 to {_MAX_TYPES} items")
    for position, kind in enumerate(types):
        if not isinstance(kind, str):
            raise _Problem(f".Types[{position}] should be string")
        if not re.fullmatch(_TYPE_PATTERN, kind):
            raise _Problem(f'.Types[{position}] should match pattern "{_TYPE_PATTERN}"')


def _severity(finding: Mapping[str, object]) -> None:
    severity = _object(finding, "Severity", "")
    if "Label" not in severity and "Normalized" not in severity:
        raise _Problem(".Severity should have required property 'Label'")
    normalized = severity.get("Normalized")
    if normalized is not None and (
        not isinstance(normalized, int)
        or isinstance(normalized, bool)
        or not 0 <= normalized <= 100
    ):
        raise _Problem(".Severity.Normalized should be an integer from 0 to 100")


def _resources(finding: Mapping[str, object]) -> None:
    resources = finding["Resources"]
    if not isinstance(resources, list):
        raise _Problem(".Resources should be array")
    if not 1 <= len(resources) <= _MAX_RESOURCES:
        raise _Problem(f".Resources should hold 1 to {_MAX_RESOURCES} items")
    for position, resource in enumerate(resources):
        where = f".Resources[{position}]"
        if not isinstance(resource, Mapping):
            raise _Problem(f"{where} should be object")
        for key in ("Type", "Id"):
            if key not in resource:
                raise _Problem(f"{where} should have required property '{key}'")
            _text(resource, key, where)


def _enumerations(finding: Mapping[str, object]) -> None:
    state = finding.get("RecordState")
    if state is not None and state not in ("ACTIVE", "ARCHIVED"):
        raise _Problem(".RecordState should be equal to one of the allowed values")
    for (parent, key), allowed in _ENUMS.items():
        if parent in finding:
            value = _object(finding, parent, "").get(key)
            if value is not None and value not in allowed:
                raise _Problem(f".{parent}.{key} should be equal to one of the allowed values")


_CHECKS: tuple[Callable[[Mapping[str, object]], None], ...] = (
    _required,
    _scalars,
    _types,
    _severity,
    _resources,
    _enumerations,
)


def checked_finding(finding: object) -> Mapping[str, object]:
    """The finding, when it is sound; FindingProblem with Security Hub's message otherwise."""
    if not isinstance(finding, Mapping):
        raise FindingProblem(f"{_PREAMBLE}data should be object.")
    try:
        for check in _CHECKS:
            check(finding)
    except _Problem as problem:
        raise FindingProblem(f"{_PREAMBLE}data{problem}.") from None
    return finding
