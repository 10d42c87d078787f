"""Line-based inputs of the CLI: image id lists and account allowlists.

Both are files people keep by hand, so blank lines and ``#`` comments are allowed; an allowlist
entry that is not an account id is an error naming its line, because a typo there would silently
flag (or hide) a real share.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Final

ACCOUNT_ID: Final = re.compile(r"[0-9]{12}")
_LINE_BREAK: Final = re.compile(r"\r\n|\n|\r")
_BLANK: Final = " \t\f\v"
"""ASCII spacing only: any other character is kept, so an id holding it is reported as invalid
rather than quietly turned into another id."""


class InputError(ValueError):
    """A line of an input file that cannot be used; the message names the file and line."""


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


def image_ids_from(text: str) -> list[str]:
    """Ids are not checked here: the client reports each bad one as that image's error."""
    return [content for _, content in meaningful_lines(text)]


def allowlist_from(text: str, *, source: str) -> frozenset[str]:
    accounts: set[str] = set()
    for number, content in meaningful_lines(text):
        if not ACCOUNT_ID.fullmatch(content):
            raise InputError(
                f"{source}, line {number}: {content!r} is not an AWS account id (12 digits)"
            )
        accounts.add(content)
    return frozenset(accounts)


def check_account_ids(accounts: Sequence[str]) -> frozenset[str]:
    for account in accounts:
        if not ACCOUNT_ID.fullmatch(account):
            raise InputError(f"{account!r} is not an AWS account id (12 digits)")
    return frozenset(accounts)
