"""What the CLI reads: image id lists, account allowlists and account files, checked before auditing.

All are files people keep by hand, so blank lines and ``#`` comments are allowed; an allowlist or
account entry that is not an account id is an error naming its line, because a typo there would
silently flag (or hide) a real share, or leave an account out.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from imgperms_async import Account, InvalidSettingError, accounts_from_text
from imgperms_async._accounts import meaningful_lines
from imgperms_async._validation import ACCOUNT_ID
from imgperms_async.cli._errors import SetupError


def read_text(stream: IO[str], name: str) -> str:
    try:
        return stream.read()
    except (OSError, UnicodeDecodeError) as error:
        raise SetupError(f"cannot read {name}: {error}") from None


def image_ids_from(text: str) -> list[str]:
    """Ids are not checked here: the client reports each bad one as that image's error."""
    return [content for _, content in meaningful_lines(text)]


def allowlist_from(text: str, *, source: str) -> frozenset[str]:
    accounts: set[str] = set()
    for number, content in meaningful_lines(text):
        if not ACCOUNT_ID.fullmatch(content):
            raise SetupError(
                f"{source}, line {number}: {content!r} is not an AWS account id (12 digits)"
            )
        accounts.add(content)
    return frozenset(accounts)


def check_account_ids(accounts: Sequence[str]) -> frozenset[str]:
    for account in accounts:
        if not ACCOUNT_ID.fullmatch(account):
            raise SetupError(f"{account!r} is not an AWS account id (12 digits)")
    return frozenset(accounts)


def allowlist(accounts: Sequence[str], allowlist_file: IO[str] | None) -> frozenset[str] | None:
    """The accounts given one by one and in the file; ``None`` when neither was given."""
    if not accounts and allowlist_file is None:
        return None
    allowed = check_account_ids(accounts)
    if allowlist_file is not None:
        text = read_text(allowlist_file, allowlist_file.name)
        allowed |= allowlist_from(text, source=allowlist_file.name)
    return allowed


def accounts_to_audit(
    accounts: Sequence[str], accounts_file: IO[str] | None
) -> tuple[Account, ...]:
    """``--account`` ids and the accounts of ``--accounts-file``, each once, in that order."""
    check_account_ids(accounts)
    found = {account_id: Account(account_id) for account_id in accounts}
    if accounts_file is not None:
        text = read_text(accounts_file, accounts_file.name)
        try:
            listed = accounts_from_text(text, source=accounts_file.name)
        except InvalidSettingError as error:
            raise SetupError(str(error)) from None
        for account in listed:
            found.setdefault(account.account_id, account)
    return tuple(found.values())


def refuse_overwriting_inputs(output: Path | None, inputs: Sequence[IO[str] | None]) -> None:
    """``--output`` naming a file the run reads would destroy its own input."""
    if output is None or not output.exists():
        return
    for stream in inputs:
        if stream is None or not os.path.exists(stream.name):
            continue
        if os.path.samefile(output, stream.name):
            raise SetupError(f"--output {output} is also an input of this run: choose another file")
