"""The accounts an audit reaches: given one by one, or read from a file people keep by hand.

A file is either account ids, one a line (blank lines and ``#`` comments allowed), or the
``accounts.yml`` that c7n-org users already keep, read as c7n-org reads it: ``role`` a name, an
ARN or a chain of ARNs (each assumed with the one before; the first as the caller), ``profile``
(that profile's credentials reach the account, when it has no ``role``), ``external_id`` (sent on
every hop), ``regions``. Anything that would quietly leave an account out or audit another is an
error naming its line: an entry that is not an account id, a key c7n-org does not know (a typo
such as ``regoins:``), the same account twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from imgperms_async._exceptions import InvalidSettingError
from imgperms_async._organization._roles import check_external_id, is_role_arn, role_problem
from imgperms_async._regions import check_region_name
from imgperms_async._text_lists import meaningful_lines
from imgperms_async._validation import ACCOUNT_ID

ALL_REGIONS: Final = "all"
"""c7n-org's ``regions: [all]``: every region the account has enabled."""

_C7N_ACCOUNT_KEYS: Final = frozenset(
    {
        "account_id",
        "name",
        "display_name",
        "org_id",
        "email",
        "profile",
        "tags",
        "regions",
        "role",
        "external_id",
        "vars",
    }
)
"""Every key c7n-org's schema gives an account (its ``CONFIG_SCHEMA``); c7n-org itself lets others
through silently, which would turn a typo into an account audited with the wrong settings."""
_C7N_TOP_KEYS: Final = frozenset({"accounts", "vars"})
_OTHER_CLOUDS: Final = frozenset({"projects", "subscriptions", "tenancies"})


@dataclass(frozen=True, slots=True)
class Account:
    """One account to audit; the rest override the audit's own for this account, as c7n-org's
    keys do: ``role_arn`` the role to become (with ``role_chain`` the roles assumed, in order,
    before it), ``external_id`` what AssumeRole is asked with, ``profile`` the profile whose
    credentials reach the account directly (without a role), ``regions`` where to audit it
    (``("all",)`` every region it has enabled)."""

    account_id: str
    name: str | None = None
    role_arn: str | None = None
    external_id: str | None = field(default=None, repr=False)
    regions: tuple[str, ...] | None = None
    role_chain: tuple[str, ...] = ()
    profile: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.account_id, str) or not ACCOUNT_ID.fullmatch(self.account_id):
            raise InvalidSettingError(
                error_msg=f"{self.account_id!r} is not an AWS account id (12 digits)"
            )
        where = f"account {self.account_id}"
        if self.name is not None and not isinstance(self.name, str):
            raise InvalidSettingError(error_msg=f"{where}: the name must be text")
        if self.role_arn is not None:
            problem = role_problem(self.role_arn, self.account_id)
            if problem is not None:
                raise InvalidSettingError(error_msg=f"{where}: {problem}")
        for hop in self.role_chain:
            if not is_role_arn(hop):
                raise InvalidSettingError(
                    error_msg=f"{where}: {hop!r} in its role chain is not an IAM role ARN"
                )
        if self.role_chain and self.role_arn is None:
            raise InvalidSettingError(error_msg=f"{where}: a role chain needs the role it ends in")
        if self.profile is not None and not (isinstance(self.profile, str) and self.profile):
            raise InvalidSettingError(error_msg=f"{where}: the profile must be a profile name")
        try:
            check_external_id(self.external_id)
        except InvalidSettingError as error:
            raise InvalidSettingError(error_msg=f"{where}: {error}") from None
        if self.regions is not None:
            if not isinstance(self.regions, tuple) or not self.regions:
                raise InvalidSettingError(
                    error_msg=f"{where}: regions must be a non-empty tuple of regions"
                )
            for region in self.regions:
                if region != ALL_REGIONS:
                    check_region_name(region, source=f"regions of {where}")


def accounts_from_text(text: str, *, source: str) -> list[Account]:
    """The accounts a file names: plain ids, or c7n-org's ``accounts.yml``."""
    lines = list(meaningful_lines(text))
    if all(ACCOUNT_ID.fullmatch(content) for _, content in lines):
        first: dict[str, int] = {}
        for number, content in lines:
            if content in first:
                raise InvalidSettingError(
                    error_msg=f"{source}, line {number}: account {content} is already on "
                    f"line {first[content]}"
                )
            first[content] = number
        return [Account(content) for _, content in lines]
    if not _looks_like_yaml(text):
        number, content = next((n, c) for n, c in lines if not ACCOUNT_ID.fullmatch(c))
        raise InvalidSettingError(
            error_msg=f"{source}, line {number}: {content!r} is not an AWS account id (12 digits)"
        )
    return _from_c7n_org(text, source=source)


def _looks_like_yaml(text: str) -> bool:
    """A YAML document, as c7n-org's files are: a mapping whose keys c7n-org knows, after any
    comments, directives or a ``---`` document start."""
    for _, content in meaningful_lines(text):
        if content.startswith(("%", "---")):
            continue
        key = content.partition(":")[0].strip()
        return key in _C7N_TOP_KEYS | _OTHER_CLOUDS
    return False


def _from_c7n_org(text: str, *, source: str) -> list[Account]:
    import yaml

    try:
        root = yaml.compose(text.removeprefix("\ufeff"), Loader=yaml.SafeLoader)
        document = yaml.safe_load(text.removeprefix("\ufeff"))
    except yaml.YAMLError as error:
        message = " ".join(str(error).split())
        raise InvalidSettingError(error_msg=f"{source} is not valid YAML: {message}") from None
    if not isinstance(document, dict) or not isinstance(root, yaml.MappingNode):
        raise InvalidSettingError(error_msg=f"{source}: expected c7n-org's `accounts:` mapping")
    lines = _top_lines(root)
    for key in document:
        if key in _OTHER_CLOUDS:
            raise InvalidSettingError(
                error_msg=f"{source}, line {lines.get(key, 1)}: `{key}` names accounts of another "
                "cloud; only AWS `accounts` are audited"
            )
        if key not in _C7N_TOP_KEYS:
            raise InvalidSettingError(
                error_msg=f"{source}, line {lines.get(key, 1)}: unknown key {key!r} "
                f"(c7n-org's are {', '.join(sorted(_C7N_TOP_KEYS))})"
            )
    entries = document.get("accounts")
    if not isinstance(entries, list):
        raise InvalidSettingError(
            error_msg=f"{source}, line {lines.get('accounts', 1)}: `accounts` must be a list"
        )
    entry_lines = _entry_lines(root)
    accounts: dict[str, tuple[int, Account]] = {}
    for position, entry in enumerate(entries):
        line = entry_lines[position] if position < len(entry_lines) else 1
        account = _c7n_account(entry, where=f"{source}, line {line}")
        seen = accounts.get(account.account_id)
        if seen is not None:
            raise InvalidSettingError(
                error_msg=f"{source}, line {line}: account {account.account_id} is already on "
                f"line {seen[0]} (one entry an account: merge its regions, role and "
                "ExternalId into one)"
            )
        accounts[account.account_id] = (line, account)
    return [account for _, account in accounts.values()]


def _top_lines(root: Any) -> dict[Any, int]:
    return {key.value: key.start_mark.line + 1 for key, _ in root.value}


def _entry_lines(root: Any) -> list[int]:
    """The line each entry of ``accounts`` starts on."""
    for key, value in root.value:
        if key.value == "accounts" and hasattr(value, "value") and isinstance(value.value, list):
            return [entry.start_mark.line + 1 for entry in value.value]
    return []


def _c7n_account(entry: Any, *, where: str) -> Account:
    if not isinstance(entry, dict):
        raise InvalidSettingError(error_msg=f"{where}: an account entry must be a mapping")
    unknown = sorted(str(key) for key in entry if key not in _C7N_ACCOUNT_KEYS)
    if unknown:
        raise InvalidSettingError(
            error_msg=f"{where}: unknown key {unknown[0]!r} (c7n-org's account keys are "
            f"{', '.join(sorted(_C7N_ACCOUNT_KEYS))})"
        )
    account_id = entry.get("account_id")
    if not isinstance(account_id, str) or not ACCOUNT_ID.fullmatch(account_id):
        raise InvalidSettingError(
            error_msg=f"{where}: account_id {account_id!r} is not an AWS account id "
            "(12 digits, quoted so YAML keeps it a string)"
        )
    for name in ("name", "display_name", "org_id", "email", "profile", "external_id"):
        if entry.get(name) is not None and not isinstance(entry[name], str):
            raise InvalidSettingError(error_msg=f"{where}: {name} must be a string")
    for name in ("tags", "regions"):
        value = entry.get(name)
        if value is not None and not (
            isinstance(value, list) and all(isinstance(item, str) for item in value)
        ):
            raise InvalidSettingError(error_msg=f"{where}: {name} must be a list of strings")
    if entry.get("vars") is not None and not isinstance(entry["vars"], dict):
        raise InvalidSettingError(error_msg=f"{where}: vars must be a mapping")
    role_arn, chain = _role(entry.get("role"), account_id, where=where)
    try:
        return Account(
            account_id,
            name=entry.get("name"),
            role_arn=role_arn,
            external_id=entry.get("external_id"),
            regions=_regions(entry.get("regions"), where=where),
            role_chain=chain,
            profile=None if role_arn is not None else entry.get("profile"),
        )
    except InvalidSettingError as error:
        message = str(error).removeprefix(f"account {account_id}: ")
        raise InvalidSettingError(error_msg=f"{where}: {message}") from None


def _role(role: Any, account_id: str, *, where: str) -> tuple[str | None, tuple[str, ...]]:
    """c7n-org's ``role``: a name becomes the role of that name in the account; a list is a
    chain of ARNs whose last is the account's role."""
    if role is None:
        return None, ()
    if isinstance(role, str):
        arn = role if role.startswith("arn:") else f"arn:aws:iam::{account_id}:role/{role}"
        problem = role_problem(arn, account_id)
        if problem is not None:
            raise InvalidSettingError(error_msg=f"{where}: {problem}")
        return arn, ()
    if not (isinstance(role, list) and role and all(isinstance(hop, str) for hop in role)):
        raise InvalidSettingError(
            error_msg=f"{where}: role must be a role name, a role ARN or a list of role ARNs"
        )
    *chain, last = role
    problem = role_problem(last, account_id)
    if problem is not None:
        raise InvalidSettingError(error_msg=f"{where}: the last role of the chain: {problem}")
    return last, tuple(chain)


def _regions(regions: list[str] | None, *, where: str) -> tuple[str, ...] | None:
    """c7n-org's regions: comma-separated entries split, each once, ``all`` for every region."""
    if regions is None:
        return None
    names = tuple(
        dict.fromkeys(part.strip() for region in regions for part in region.split(",") if part)
    )
    if not names:
        raise InvalidSettingError(error_msg=f"{where}: regions is empty")
    for region in names:
        if region != ALL_REGIONS:
            check_region_name(region, source="regions")
    return names


def check_account_id(value: object, *, source: str) -> str:
    """An account id (12 ASCII digits) as text, or an error naming where it came from."""
    if not isinstance(value, str) or not ACCOUNT_ID.fullmatch(value):
        raise InvalidSettingError(
            error_msg=f"{value!r} ({source}) is not an AWS account id (12 digits)"
        )
    return value


def account_ids(values: object, *, source: str) -> frozenset[str]:
    """A collection of account ids (an allowlist): a bare string is refused, since iterating it
    would give its characters."""
    if isinstance(values, str | bytes) or not hasattr(values, "__iter__"):
        raise InvalidSettingError(
            error_msg=f"{source} must be a collection of account ids, not {values!r}"
        )
    return frozenset(check_account_id(value, source=source) for value in values)


def unique_accounts(accounts: object) -> tuple[Account, ...]:
    """Accounts given to an audit, each once; the same account twice with different settings
    is an error (which entry would win?)."""
    if isinstance(accounts, str | bytes | Mapping) or not hasattr(accounts, "__iter__"):
        raise InvalidSettingError(
            error_msg=f"accounts must be a sequence of imgperms_async.Account, not {accounts!r}"
        )
    unique: dict[str, Account] = {}
    for account in accounts:
        if not isinstance(account, Account):
            raise InvalidSettingError(
                error_msg=f"accounts must hold imgperms_async.Account values, not {account!r}"
            )
        seen = unique.setdefault(account.account_id, account)
        if seen != account:
            raise InvalidSettingError(
                error_msg=f"account {account.account_id} is given twice, with different settings"
            )
    return tuple(unique.values())
