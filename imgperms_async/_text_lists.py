"""Lists people keep by hand in files: image ids, account ids. Blank lines and ``#`` comments
are allowed; an entry that cannot be what the list holds is an error naming its line, because a
typo there would silently flag (or hide) a real share, or leave an account out."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

from imgperms_async._exceptions import InvalidSettingError
from imgperms_async._validation import ACCOUNT_ID

_LINE_BREAK: Final = re.compile(r"\r\n|\n|\r")
_BLANK: Final = " \t\f\v"
"""ASCII spacing only: any other character is kept, so an entry holding it is reported rather
than quietly turned into another one."""


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


def image_ids_from_text(text: str) -> list[str]:
    """The ids of a file, as written: each is checked when audited, a bad one being that
    image's error."""
    return [content for _, content in meaningful_lines(text)]


def account_ids_from_text(text: str, *, source: str) -> frozenset[str]:
    """The account ids of a file (an allowlist)."""
    accounts: set[str] = set()
    for number, content in meaningful_lines(text):
        if not ACCOUNT_ID.fullmatch(content):
            raise InvalidSettingError(
                error_msg=f"{source}, line {number}: {content!r} is not an AWS account id "
                "(12 digits)"
            )
        accounts.add(content)
    return frozenset(accounts)
