"""The role an audit becomes in each account, and what AssumeRole is asked with.

Every value is checked where it enters, as AWS would check it at AssumeRole, so a bad ExternalId
or session name is one error before any request instead of one error per account at run time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Final

from imgperms_async._exceptions import InvalidSettingError
from imgperms_async._secrets import remember

DEFAULT_ROLE_NAME: Final = "OrganizationAccountAccessRole"
DEFAULT_SESSION_NAME: Final = "imgperms-audit"
DEFAULT_DURATION_SECS: Final = 3600
DURATION_RANGE_SECS: Final = (900, 43200)
"""AssumeRole's DurationSeconds: 15 minutes to the role's maximum, at most 12 hours."""

_ROLE_ARN: Final = re.compile(
    r"arn:[a-z][a-z0-9-]*:iam::(?P<account>[0-9]{12}):role/[\w+=,.@/-]{1,512}", re.ASCII
)
_ROLE_NAME: Final = re.compile(r"[\w+=,.@-]{1,64}", re.ASCII)
_EXTERNAL_ID: Final = re.compile(r"[\w+=,.@:/-]{2,1224}", re.ASCII)
_SESSION_NAME: Final = re.compile(r"[\w+=,.@-]{2,64}", re.ASCII)
"""STS's patterns and lengths for a role ARN, an ExternalId and a session name (ASCII ``\\w``)."""
_EXAMPLE_ACCOUNT: Final = "111122223333"


@dataclass(frozen=True, slots=True)
class Role:
    """Which role to become in each account: ``name`` (default OrganizationAccountAccessRole)
    or ``arn_template`` with ``{account_id}`` (and ``{partition}``), assumed with
    ``external_id`` (never shown in a repr or a log) as ``session_name`` for ``duration_secs``."""

    name: str | None = None
    arn_template: str | None = None
    external_id: str | None = field(default=None, repr=False)
    session_name: str = DEFAULT_SESSION_NAME
    duration_secs: int = DEFAULT_DURATION_SECS

    def __post_init__(self) -> None:
        if self.name is not None and self.arn_template is not None:
            raise InvalidSettingError(error_msg="give a role name or an ARN template, not both")
        if self.name is not None and not (
            isinstance(self.name, str) and _ROLE_NAME.fullmatch(self.name)
        ):
            raise InvalidSettingError(
                error_msg=f"role name {self.name!r} is not an IAM role name "
                "(1 to 64 of letters, digits and +=,.@_-)"
            )
        check_external_id(self.external_id)
        if not (isinstance(self.session_name, str) and _SESSION_NAME.fullmatch(self.session_name)):
            raise InvalidSettingError(
                error_msg=f"session name {self.session_name!r} is not one STS accepts "
                "(2 to 64 of letters, digits and +=,.@_-)"
            )
        low, high = DURATION_RANGE_SECS
        duration = self.duration_secs
        if (
            not isinstance(duration, int)
            or isinstance(duration, bool)
            or not low <= duration <= high
        ):
            raise InvalidSettingError(
                error_msg=f"role session duration {duration!r} must be whole seconds from "
                f"{low} to {high}"
            )
        try:
            self.arn(_EXAMPLE_ACCOUNT, partition="aws")
        except InvalidSettingError:
            what = (
                f"role ARN template {self.arn_template!r}"
                if self.arn_template is not None
                else f"role name {self.name!r}"
            )
            raise InvalidSettingError(
                error_msg=f"{what} does not give a role in each account: it must read "
                "arn:PARTITION:iam::{account_id}:role/NAME once filled in"
            ) from None

    @classmethod
    def of(cls, role: Role | None, **arguments: Any) -> Role:
        """``role``, or one made of the keyword arguments earlier versions took
        (``role_name``, ``role_arn_template``, ``external_id``, ...); not both."""
        given = {name: value for name, value in arguments.items() if value is not None}
        if role is not None and given:
            raise InvalidSettingError(
                error_msg=f"give role= or {', '.join(sorted(given))}, not both"
            )
        if role is not None:
            if not isinstance(role, Role):
                raise InvalidSettingError(
                    error_msg=f"role must be an imgperms_async.Role, not {role!r}"
                )
            return role
        renamed = {"role_name": "name", "role_arn_template": "arn_template"}
        return cls(**{renamed.get(name, name): value for name, value in given.items()})

    def arn(self, account_id: str, *, partition: str) -> str:
        """The role to assume in ``account_id``; it must be a role in that account."""
        if self.arn_template is None:
            arn = f"arn:{partition}:iam::{account_id}:role/{self.name or DEFAULT_ROLE_NAME}"
            what = f"role name {self.name or DEFAULT_ROLE_NAME!r}"
        else:
            try:
                arn = self.arn_template.format(account_id=account_id, partition=partition)
            except (KeyError, IndexError, ValueError, AttributeError) as error:
                raise InvalidSettingError(
                    error_msg=f"role ARN template {self.arn_template!r} cannot be filled in "
                    f"({error}): give {{account_id}} and, if needed, {{partition}}"
                ) from None
            what = f"role ARN template {self.arn_template!r}"
        problem = role_problem(arn, account_id)
        if problem is not None:
            raise InvalidSettingError(
                error_msg=f"{what} does not name a role in each account: {problem}"
            )
        return arn


def check_external_id(external_id: object) -> None:
    """An ExternalId as AWS accepts it (2 to 1,224 of letters, digits and ``+=,.@:/-``)."""
    if external_id is None:
        return
    if not (isinstance(external_id, str) and _EXTERNAL_ID.fullmatch(external_id)):
        # The value itself is not shown: it is meant to be kept secret.
        raise InvalidSettingError(
            error_msg="the ExternalId is not one AWS accepts: 2 to 1,224 characters, each a "
            "letter, a digit or one of +=,.@:/-_"
        )
    remember(external_id)


def role_problem(arn: object, account_id: str) -> str | None:
    """What is wrong with auditing ``account_id`` as the role ``arn``, if anything: a role's
    credentials list its own account's images, so a role in any other account would report
    that account's images under this one's name."""
    match = _ROLE_ARN.fullmatch(arn) if isinstance(arn, str) else None
    if match is None:
        return f"{arn!r} is not an IAM role ARN (arn:PARTITION:iam::ACCOUNT:role/NAME)"
    if match["account"] != account_id:
        return (
            f"the role {arn} is in account {match['account']}, not {account_id}: "
            "the role assumed must be in the account audited"
        )
    return None


def is_role_arn(arn: object) -> bool:
    return isinstance(arn, str) and _ROLE_ARN.fullmatch(arn) is not None
