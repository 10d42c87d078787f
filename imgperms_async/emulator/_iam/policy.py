"""IAM policy documents, read once and refused whole when the emulator could not evaluate them
exactly: an unknown operator or condition key, a policy variable, a malformed statement.

Given as a mapping or as the path of a JSON file. Identity-based policies (the caller's, the
member role's) name resources and no principal; a trust policy names principals and no resource.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from .._options import InvalidOption

__all__ = [
    "CONDITION_KEYS",
    "OPERATORS",
    "Condition",
    "Policy",
    "PolicySource",
    "Statement",
    "load_policy",
]

PolicySource = Mapping[str, object] | str | os.PathLike[str]
Effect = Literal["Allow", "Deny"]
OPERATORS = frozenset(
    {
        "StringEquals",
        "StringNotEquals",
        "StringEqualsIgnoreCase",
        "StringNotEqualsIgnoreCase",
        "StringLike",
        "StringNotLike",
        "ArnEquals",
        "ArnNotEquals",
        "ArnLike",
        "ArnNotLike",
        "Bool",
        "Null",
    }
)
"""Condition operators evaluated; each but Null also with the IfExists suffix."""
CONDITION_KEYS = frozenset(
    {
        "aws:principalaccount",
        "aws:principalarn",
        "aws:principalorgid",
        "aws:requestedregion",
        "aws:securetransport",
        "sts:externalid",
    }
)
"""Condition keys the emulator can set from a request, lower case (IAM ignores their case)."""
_VERSIONS = ("2012-10-17", "2008-10-17")
_STATEMENT_KEYS = frozenset(
    {"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition", "Principal"}
)


@dataclass(frozen=True, slots=True)
class Condition:
    """One key under one operator: true when the request's value matches one of `values`
    (for a negated operator, none); `if_exists` makes an absent key count as a match."""

    operator: str
    key: str
    values: tuple[str, ...]
    if_exists: bool = False


@dataclass(frozen=True, slots=True)
class Statement:
    """One statement; `negated_actions` / `negated_resources` for NotAction / NotResource.

    `resources` is None in a trust policy, `principals` (the AWS principals it names, or "*")
    None in an identity-based one.
    """

    effect: Effect
    actions: tuple[str, ...]
    negated_actions: bool
    resources: tuple[str, ...] | None
    negated_resources: bool
    principals: tuple[str, ...] | None
    conditions: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class Policy:
    statements: tuple[Statement, ...]


def load_policy(argument: str, source: PolicySource, *, trust: bool = False) -> Policy:
    """The policy `source` holds, or InvalidOption naming `argument` and what is wrong."""
    document = _document(argument, source)
    version = document.get("Version", _VERSIONS[1])
    if version not in _VERSIONS:
        raise InvalidOption(argument, f"has Version {version!r}; IAM knows {', '.join(_VERSIONS)}")
    unknown = sorted(set(document) - {"Version", "Id", "Statement"})
    if unknown:
        raise InvalidOption(argument, f"has an element IAM does not know: {unknown[0]}")
    statements = document.get("Statement")
    if isinstance(statements, Mapping):
        statements = [statements]
    if not isinstance(statements, list) or not statements:
        raise InvalidOption(argument, "must hold a Statement: one, or a list of them")
    return Policy(
        tuple(
            _statement(_Place(argument, number), statement, trust)
            for number, statement in enumerate(statements, start=1)
        )
    )


def _document(argument: str, source: PolicySource) -> Mapping[str, object]:
    if isinstance(source, Mapping):
        document: object = source
    else:
        try:
            document = json.loads(Path(source).read_text())
        except OSError as error:
            raise InvalidOption(argument, f"cannot be read: {error.strerror or error}") from None
        except ValueError as error:
            raise InvalidOption(argument, f"is not JSON: {error}") from None
    if not isinstance(document, Mapping):
        raise InvalidOption(argument, "must be a policy document (a JSON object)")
    if "${" in json.dumps(document):
        raise InvalidOption(
            argument, "uses a policy variable (${...}), which is not evaluated here"
        )
    return document


@dataclass(frozen=True, slots=True)
class _Place:
    """Where a problem is, for its error: the argument, and the statement's number."""

    argument: str
    number: int

    def refuse(self, problem: str) -> InvalidOption:
        return InvalidOption(self.argument, f"statement {self.number} {problem}")


def _statement(place: _Place, statement: object, trust: bool) -> Statement:
    if not isinstance(statement, Mapping):
        raise place.refuse("must be a JSON object")
    unknown = sorted(set(statement) - _STATEMENT_KEYS)
    if unknown:
        raise place.refuse(f"has an element the emulator does not evaluate: {unknown[0]}")
    effect = statement.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise place.refuse(f"must have Effect Allow or Deny, got {effect!r}")
    actions, negated_actions = _either(place, statement, "Action", "NotAction")
    for action in actions:
        if action != "*" and action.count(":") != 1:
            raise place.refuse(f"names an action that is not service:Action: {action!r}")
    if trust:
        if "Resource" in statement or "NotResource" in statement:
            raise place.refuse("has a Resource, which a trust policy may not have")
        resources, negated_resources = None, False
        principals: tuple[str, ...] | None = _principals(place, statement.get("Principal"))
    else:
        if "Principal" in statement:
            raise place.refuse("has a Principal, which an identity-based policy may not have")
        found, negated_resources = _either(place, statement, "Resource", "NotResource")
        resources, principals = found, None
    return Statement(
        effect="Allow" if effect == "Allow" else "Deny",
        actions=tuple(action.lower() for action in actions),
        negated_actions=negated_actions,
        resources=resources,
        negated_resources=negated_resources,
        principals=principals,
        conditions=_conditions(place, statement.get("Condition", {})),
    )


def _either(
    place: _Place, statement: Mapping[str, object], plain: str, negated: str
) -> tuple[tuple[str, ...], bool]:
    """The strings of `plain` or of `negated`, whichever the statement has (exactly one)."""
    if (plain in statement) == (negated in statement):
        raise place.refuse(f"must have exactly one of {plain} and {negated}")
    key = plain if plain in statement else negated
    return _strings(place, key, statement[key]), key == negated


def _strings(place: _Place, element: str, value: object) -> tuple[str, ...]:
    values = [value] if isinstance(value, str) else value
    if (
        not isinstance(values, list)
        or not values
        or not all(isinstance(item, str) and item for item in values)
    ):
        raise place.refuse(f"must give {element} as a string or a list of strings, got {value!r}")
    return tuple(values)


def _principals(place: _Place, value: object) -> tuple[str, ...]:
    """The AWS principals a trust statement names; other kinds (Service, Federated) never
    match the emulator's callers."""
    if value == "*":
        return ("*",)
    if not isinstance(value, Mapping) or not value:
        raise place.refuse(f'must name a Principal, "*" or {{"AWS": ...}}, got {value!r}')
    for kind in value:
        if kind not in ("AWS", "Service", "Federated", "CanonicalUser"):
            raise place.refuse(f"names a principal of a kind IAM does not know: {kind!r}")
    return _strings(place, "Principal", value["AWS"]) if "AWS" in value else ()


def _conditions(place: _Place, block: object) -> tuple[Condition, ...]:
    if not isinstance(block, Mapping):
        raise place.refuse(f"must give Condition as a JSON object, got {block!r}")
    conditions = []
    for operator, tests in block.items():
        base = operator.removesuffix("IfExists")
        if base not in OPERATORS or (base == "Null" and operator != base):
            raise place.refuse(f"uses a condition operator the emulator does not know: {operator}")
        if not isinstance(tests, Mapping) or not tests:
            raise place.refuse(f"must map {operator} to condition keys and values")
        for key, values in tests.items():
            if key.lower() not in CONDITION_KEYS:
                raise place.refuse(
                    f"uses condition key {key}, which the emulator does not set; it sets"
                    f" {', '.join(sorted(CONDITION_KEYS))}"
                )
            conditions.append(
                Condition(
                    operator=base,
                    key=key.lower(),
                    values=_condition_values(place, key, values),
                    if_exists=operator != base,
                )
            )
    return tuple(conditions)


def _condition_values(place: _Place, key: str, values: object) -> tuple[str, ...]:
    """Each value as IAM compares it: text, and booleans as "true" / "false"."""
    listed = values if isinstance(values, list) else [values]
    texts = []
    for value in listed:
        if isinstance(value, bool):
            texts.append("true" if value else "false")
        elif isinstance(value, str):
            texts.append(value)
        else:
            raise place.refuse(f"must give {key} a string, a boolean or a list of them")
    if not texts:
        raise place.refuse(f"must give {key} a string, a boolean or a list of them")
    return tuple(texts)
