"""GetFindings' Filters and SortCriteria over the finding fields the emulator can read.

String filters compare as Security Hub documents (StringFilter): filters of one field that
include (EQUALS, PREFIX, CONTAINS) are joined by OR, those that exclude (NOT_EQUALS,
PREFIX_NOT_EQUALS, NOT_CONTAINS) by AND, and different fields by AND. A filter on a field the
emulator does not read is refused rather than ignored, so a listing is never silently wider
than asked.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from .._errors import ServiceError
from .._model.findings import Finding

__all__ = ["FIELDS", "finding_filter", "sort_findings"]

Read = Callable[[Finding], tuple[str, ...]]


def _top(key: str) -> Read:
    def read(finding: Finding) -> tuple[str, ...]:
        value = finding.get(key)
        return (value,) if isinstance(value, str) else ()

    return read


def _nested(parent: str, key: str) -> Read:
    def read(finding: Finding) -> tuple[str, ...]:
        holder = finding.get(parent)
        value = holder.get(key) if isinstance(holder, Mapping) else None
        return (value,) if isinstance(value, str) else ()

    return read


def _each_resource(key: str) -> Read:
    def read(finding: Finding) -> tuple[str, ...]:
        resources = finding.get("Resources")
        if not isinstance(resources, list):
            return ()
        return tuple(
            resource[key]
            for resource in resources
            if isinstance(resource, Mapping) and isinstance(resource.get(key), str)
        )

    return read


FIELDS: Mapping[str, Read] = {
    **{
        key: _top(key)
        for key in (
            "Id",
            "AwsAccountId",
            "ProductArn",
            "GeneratorId",
            "Title",
            "Description",
            "RecordState",
            "Region",
            "CompanyName",
            "ProductName",
            "CreatedAt",
            "UpdatedAt",
        )
    },
    "ComplianceStatus": _nested("Compliance", "Status"),
    "WorkflowStatus": _nested("Workflow", "Status"),
    "SeverityLabel": _nested("Severity", "Label"),
    "ResourceId": _each_resource("Id"),
    "ResourceType": _each_resource("Type"),
}
"""Filter or sort key -> the values a finding has for it (a resource field has several)."""
_INCLUDING: Mapping[str, Callable[[str, str], bool]] = {
    "EQUALS": lambda value, wanted: value == wanted,
    "PREFIX": lambda value, wanted: value.startswith(wanted),
    "CONTAINS": lambda value, wanted: wanted in value,
}
_EXCLUDING = {"NOT_EQUALS": "EQUALS", "PREFIX_NOT_EQUALS": "PREFIX", "NOT_CONTAINS": "CONTAINS"}


def _invalid(message: str) -> ServiceError:
    return ServiceError("InvalidInputException", message)


def _field(name: object, element: str) -> Read:
    read = FIELDS.get(name) if isinstance(name, str) else None
    if read is None:
        raise _invalid(
            f"{element} {name!r} is not one the emulator reads; it reads {', '.join(FIELDS)}."
        )
    return read


def _string_filter(value: object) -> tuple[str, str]:
    if not isinstance(value, Mapping):
        raise _invalid(f"A StringFilter must be an object, got {value!r}.")
    wanted, comparison = value.get("Value"), value.get("Comparison")
    if not isinstance(wanted, str) or (
        comparison not in _INCLUDING and comparison not in _EXCLUDING
    ):
        raise _invalid(
            "A StringFilter needs a Value and a Comparison of "
            f"{', '.join([*_INCLUDING, *_EXCLUDING])}, got {dict(value)!r}."
        )
    return str(comparison), wanted


def _field_test(read: Read, filters: Sequence[tuple[str, str]]) -> Callable[[Finding], bool]:
    including = [(_INCLUDING[c], wanted) for c, wanted in filters if c in _INCLUDING]
    excluding = [(_INCLUDING[_EXCLUDING[c]], wanted) for c, wanted in filters if c in _EXCLUDING]

    def test(finding: Finding) -> bool:
        values = read(finding)
        if including and not any(
            matches(value, wanted) for matches, wanted in including for value in values
        ):
            return False
        return not any(matches(value, wanted) for matches, wanted in excluding for value in values)

    return test


def finding_filter(filters: object) -> Callable[[Finding], bool]:
    """Whether a finding passes every field's filters."""
    if filters is None:
        filters = {}
    if not isinstance(filters, Mapping):
        raise _invalid(f"Filters must be an object, got {filters!r}.")
    tests = []
    for name, values in filters.items():
        read = _field(name, "The filter")
        if not isinstance(values, list) or not values:
            raise _invalid(f"The filter {name} must be a list of filters.")
        tests.append(_field_test(read, [_string_filter(value) for value in values]))
    return lambda finding: all(test(finding) for test in tests)


def sort_findings(findings: list[Finding], criteria: object) -> list[Finding]:
    """The findings ordered by SortCriteria, the first criterion first; stable otherwise."""
    if criteria is None:
        return findings
    if not isinstance(criteria, list):
        raise _invalid(f"SortCriteria must be a list, got {criteria!r}.")
    ordered = list(findings)
    for criterion in reversed(criteria):
        if not isinstance(criterion, Mapping):
            raise _invalid(f"A SortCriterion must be an object, got {criterion!r}.")
        read = _field(criterion.get("Field"), "The sort field")
        order = criterion.get("SortOrder", "asc")
        if order not in ("asc", "desc"):
            raise _invalid(f"SortOrder must be asc or desc, got {order!r}.")
        ordered.sort(key=read, reverse=order == "desc")
    return ordered
