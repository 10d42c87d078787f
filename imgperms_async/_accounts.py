"""The accounts an organization audit reaches, and the role it becomes in each.

Accounts come from Organizations, from a file, or one by one. A file is either account ids, one a
line (blank lines and ``#`` comments allowed), or the ``accounts.yml`` that c7n-org users already
keep (``accounts: [{account_id, name, role, external_id, regions}, ...]``). A line or entry that
is not an account id is an error naming it: a typo there would quietly leave an account out.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Final

from imgperms_async._botocore_settings import check_region_name
from imgperms_async._exceptions import InvalidSettingError
from imgperms_async._validation import ACCOUNT_ID

_ROLE_ARN: Final = re.compile(
    r"arn:[a-z][a-z0-9-]*:iam::(?P<account>[0-9]{12}):role/[\w+=,.@/-]+", re.ASCII
)
_EXAMPLE_ACCOUNT: Final = "000000000000"
_LINE_BREAK: Final = re.compile(r"\r\n|\n|\r")
_BLANK: Final = " \t\f\v"
"""ASCII spacing only: any other character is kept, so an entry holding it is reported rather
than quietly turned into another one."""


@dataclass(frozen=True, slots=True)
class Account:
    """One account to audit; ``role_arn``, ``external_id`` and ``regions`` override the audit's
    own for this account (as c7n-org's ``role``, ``external_id`` and ``regions`` do)."""

    account_id: str
    name: str | None = None
    role_arn: str | None = None
    external_id: str | None = field(default=None, repr=False)
    regions: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.account_id, str) or not ACCOUNT_ID.fullmatch(self.account_id):
            raise InvalidSettingError(
                error_msg=f"{self.account_id!r} is not an AWS account id (12 digits)"
            )
        if self.role_arn is not None:
            problem = role_problem(self.role_arn, self.account_id)
            if problem is not None:
                raise InvalidSettingError(error_msg=f"account {self.account_id}: {problem}")


def role_problem(arn: str, account_id: str) -> str | None:
    """What is wrong with auditing ``account_id`` as the role ``arn``, if anything: a role's
    credentials list its own account's images, so a role in any other account would report
    that account's images under this one's name."""
    match = _ROLE_ARN.fullmatch(arn)
    if match is None:
        return f"{arn!r} is not an IAM role ARN (arn:PARTITION:iam::ACCOUNT:role/NAME)"
    if match["account"] != account_id:
        return (
            f"the role {arn} is in account {match['account']}, not {account_id}: "
            "the role assumed must be in the account audited"
        )
    return None


def meaningful_lines(text: str) -> Iterator[tuple[int, str]]:
    """Line numbers (from 1) and contents, without comments, blank lines or surrounding space.

    A byte order mark, as Windows editors and spreadsheet exports write, is not part of the
    first line.
    """
    lines = _LINE_BREAK.split(text.removeprefix("\ufeff"))
    for number, line in enumerate(lines, start=1):
        content = line.split("#", 1)[0].strip(_BLANK)
        if content:
            yield number, content


def role_arn(
    account_id: str, *, partition: str, role_name: str | None, template: str | None
) -> str:
    """``arn:{partition}:iam::{account}:role/{name}``, or the template with ``{account_id}``
    (and ``{partition}``) filled in; either must give a role in that account."""
    if template is None:
        arn = f"arn:{partition}:iam::{account_id}:role/{role_name}"
        what = f"role name {role_name!r}"
    else:
        try:
            arn = template.format(account_id=account_id, partition=partition)
        except (KeyError, IndexError, ValueError, AttributeError) as error:
            raise InvalidSettingError(
                error_msg=f"role ARN template {template!r} cannot be filled in ({error}): "
                "give {account_id} and, if needed, {partition}"
            ) from None
        what = f"role ARN template {template!r}"
    problem = role_problem(arn, account_id)
    if problem is not None:
        raise InvalidSettingError(
            error_msg=f"{what} does not name a role in each account: {problem}"
        )
    return arn


def check_roles(*, role_name: str | None, template: str | None) -> None:
    """Refuse, before any request, a role name or template that cannot give a role in each
    account (a template without ``{account_id}`` would become one account everywhere)."""
    role_arn(_EXAMPLE_ACCOUNT, partition="aws", role_name=role_name, template=template)


def accounts_from_text(text: str, *, source: str) -> list[Account]:
    """The accounts a file names: plain ids, or c7n-org's ``accounts.yml``."""
    lines = list(meaningful_lines(text))
    if all(ACCOUNT_ID.fullmatch(content) for _, content in lines):
        return list({content: Account(content) for _, content in lines}.values())
    if not text.lstrip("\ufeff \t\r\n").startswith("accounts:"):
        number, content = next((n, c) for n, c in lines if not ACCOUNT_ID.fullmatch(c))
        raise InvalidSettingError(
            error_msg=f"{source}, line {number}: {content!r} is not an AWS account id (12 digits)"
        )
    return _from_c7n_org(text, source=source)


def _from_c7n_org(text: str, *, source: str) -> list[Account]:
    import yaml

    try:
        document = yaml.safe_load(text.removeprefix("\ufeff"))
    except yaml.YAMLError as error:
        raise InvalidSettingError(error_msg=f"{source} is not valid YAML: {error}") from None
    entries = document.get("accounts") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise InvalidSettingError(error_msg=f"{source}: `accounts` must be a list of accounts")
    accounts: dict[str, Account] = {}
    for position, entry in enumerate(entries, start=1):
        account = _c7n_account(entry, where=f"{source}, account {position}")
        accounts.setdefault(account.account_id, account)
    return list(accounts.values())


def _c7n_account(entry: Any, *, where: str) -> Account:
    if not isinstance(entry, dict):
        raise InvalidSettingError(error_msg=f"{where} is not a mapping")
    account_id = entry.get("account_id")
    if not isinstance(account_id, str) or not ACCOUNT_ID.fullmatch(account_id):
        raise InvalidSettingError(
            error_msg=f"{where}: account_id {account_id!r} is not an AWS account id "
            "(12 digits, quoted so YAML keeps it a string)"
        )
    regions = entry.get("regions")
    if regions is not None and not (
        isinstance(regions, list) and all(isinstance(r, str) for r in regions)
    ):
        raise InvalidSettingError(error_msg=f"{where}: regions must be a list of region names")
    for region in regions or ():
        check_region_name(region, source=where)
    for name in ("name", "role", "external_id"):
        if entry.get(name) is not None and not isinstance(entry[name], str):
            raise InvalidSettingError(error_msg=f"{where}: {name} must be a string")
    role = entry.get("role")
    if role is not None and (problem := role_problem(role, account_id)) is not None:
        raise InvalidSettingError(error_msg=f"{where}: {problem}")
    return Account(
        account_id,
        name=entry.get("name"),
        role_arn=entry.get("role"),
        external_id=entry.get("external_id"),
        regions=None if regions is None else tuple(regions),
    )
