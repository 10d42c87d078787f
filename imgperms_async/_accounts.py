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

from imgperms_async._exceptions import InvalidSettingError

ACCOUNT_ID: Final = re.compile(r"[0-9]{12}")
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
    (and ``{partition}``) filled in."""
    if template is not None:
        return template.format(account_id=account_id, partition=partition)
    return f"arn:{partition}:iam::{account_id}:role/{role_name}"


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
    for name in ("name", "role", "external_id"):
        if entry.get(name) is not None and not isinstance(entry[name], str):
            raise InvalidSettingError(error_msg=f"{where}: {name} must be a string")
    return Account(
        account_id,
        name=entry.get("name"),
        role_arn=entry.get("role"),
        external_id=entry.get("external_id"),
        regions=None if regions is None else tuple(regions),
    )
