"""How IAM decides a request against one policy: an explicit Deny wins, then an Allow is needed,
and anything else is an implicit deny.

Actions match case-insensitively, resources and condition values case-sensitively, `*` and `?`
as wildcards. A condition key the request does not carry fails a plain operator and satisfies a
negated one (StringNotEquals, ArnNotLike), unless IfExists makes its absence a match.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from enum import Enum
from functools import lru_cache

from .policy import Condition, Policy, Statement

__all__ = ["Decision", "decide"]

Context = Mapping[str, str]
"""The request's condition keys, lower case, and their values."""


class Decision(Enum):
    ALLOWED = "allowed"
    EXPLICIT_DENY = "explicit deny"
    IMPLICIT_DENY = "implicit deny"


@lru_cache(maxsize=4096)
def _wildcard(pattern: str, fold_case: bool) -> re.Pattern[str]:
    """IAM's wildcards as a regular expression: `*` any run of characters, `?` any one."""
    expression = "".join(
        ".*" if char == "*" else "." if char == "?" else re.escape(char) for char in pattern
    )
    return re.compile(expression, re.IGNORECASE if fold_case else 0)


def _like(pattern: str, value: str, *, fold_case: bool = False) -> bool:
    return _wildcard(pattern, fold_case).fullmatch(value) is not None


def _arn_like(pattern: str, value: str) -> bool:
    """ARN operators compare the six colon-separated parts one by one, each with wildcards."""
    wanted, actual = pattern.split(":", 5), value.split(":", 5)
    return len(wanted) == len(actual) and all(
        _like(part, against) for part, against in zip(wanted, actual, strict=True)
    )


_MATCHERS: Mapping[str, Callable[[str, str], bool]] = {
    "StringEquals": lambda wanted, value: wanted == value,
    "StringEqualsIgnoreCase": lambda wanted, value: wanted.casefold() == value.casefold(),
    "StringLike": _like,
    "ArnEquals": _arn_like,
    "ArnLike": _arn_like,
    "Bool": lambda wanted, value: wanted.lower() == value.lower(),
}
_NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
}


def _holds(condition: Condition, context: Context) -> bool:
    value = context.get(condition.key)
    if condition.operator == "Null":
        return all((value is None) == (wanted == "true") for wanted in condition.values)
    negated = condition.operator in _NEGATED
    if value is None:
        return condition.if_exists or negated
    matches = _MATCHERS[_NEGATED.get(condition.operator, condition.operator)]
    found = any(matches(wanted, value) for wanted in condition.values)
    return not found if negated else found


def _names(patterns: Collection[str], value: str, *, fold_case: bool, negated: bool) -> bool:
    found = any(_like(pattern, value, fold_case=fold_case) for pattern in patterns)
    return not found if negated else found


def _applies(
    statement: Statement,
    action: str,
    resource: str | None,
    principals: Collection[str],
    context: Context,
) -> bool:
    if not _names(statement.actions, action, fold_case=True, negated=statement.negated_actions):
        return False
    if (
        statement.resources is not None
        and resource is not None
        and not _names(
            statement.resources, resource, fold_case=False, negated=statement.negated_resources
        )
    ):
        return False
    if statement.principals is not None and not (
        "*" in statement.principals or any(name in principals for name in statement.principals)
    ):
        return False
    return all(_holds(condition, context) for condition in statement.conditions)


def decide(
    policy: Policy,
    action: str,
    context: Context,
    *,
    resource: str | None = None,
    principals: Collection[str] = (),
) -> Decision:
    """The decision for `action` on `resource` (identity-based policies) or by one of
    `principals`, the names the caller goes by (trust policies)."""
    allowed = False
    for statement in policy.statements:
        if _applies(statement, action, resource, principals, context):
            if statement.effect == "Deny":
                return Decision.EXPLICIT_DENY
            allowed = True
    return Decision.ALLOWED if allowed else Decision.IMPLICIT_DENY
