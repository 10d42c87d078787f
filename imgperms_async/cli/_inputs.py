"""What the commands read from files, checked before anything is sent: image ids, account lists,
accounts files, exceptions and reports. Each problem is one usage error naming the file and line."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, TypeVar

from imgperms_async import (
    Account,
    Exemption,
    InvalidSettingError,
    Record,
    account_ids_from_text,
    accounts_from_text,
    exemptions_from_text,
    image_ids_from_text,
    read_report,
)
from imgperms_async.cli._errors import SetupError

T = TypeVar("T")


def read_text(stream: IO[str]) -> str:
    try:
        return stream.read()
    except (OSError, UnicodeDecodeError) as error:
        raise SetupError(f"cannot read {stream.name}: {error}") from None


def parsed(stream: IO[str] | None, parse: Callable[[str, str], T]) -> T | None:
    """``parse(text, name)`` of a file given as an option, its problems a usage error."""
    if stream is None:
        return None
    try:
        return parse(read_text(stream), stream.name)
    except InvalidSettingError as error:
        raise SetupError(str(error)) from None


def image_ids(arguments: Sequence[str], stream: IO[str] | None) -> tuple[str, ...]:
    from_file = parsed(stream, lambda text, _: image_ids_from_text(text)) or []
    return (*arguments, *from_file)


def allowlist(accounts: Sequence[str], stream: IO[str] | None) -> frozenset[str] | None:
    """The accounts given one by one and in the file; ``None`` when neither was given."""
    if not accounts and stream is None:
        return None
    listed = parsed(stream, lambda text, name: account_ids_from_text(text, source=name))
    return frozenset(accounts) | (listed or frozenset())


def accounts(account_ids: Sequence[str], stream: IO[str] | None) -> tuple[Account, ...]:
    """``--account`` ids and the accounts of ``--accounts-file``, each once, in that order."""
    listed = parsed(stream, lambda text, name: accounts_from_text(text, source=name)) or []
    found = {account_id: Account(account_id) for account_id in account_ids}
    for account in listed:
        found.setdefault(account.account_id, account)
    return tuple(found.values())


def exceptions(stream: IO[str] | None) -> list[Exemption]:
    return parsed(stream, lambda text, name: exemptions_from_text(text, source=name)) or []


def report(stream: IO[str]) -> list[Record]:
    return parsed(stream, lambda text, name: read_report(text, source=name)) or []


def refuse_overwriting_inputs(output: Path | None, inputs: Sequence[IO[str] | None]) -> None:
    """``--output`` naming a file the run reads would destroy its own input."""
    if output is None or not output.exists():
        return
    for stream in inputs:
        if stream is None or not os.path.exists(stream.name):
            continue
        if os.path.samefile(output, stream.name):
            raise SetupError(f"--output {output} is also an input of this run: choose another file")
