"""Text from input or from a server, made safe to show: nothing in it is ever interpreted.

Ids, account ids and error messages reach a terminal, a log or a spreadsheet. Markup is never
parsed (rich gets ``Text``, not markup strings), control characters are shown as escapes instead
of reaching the terminal, and a csv cell that a spreadsheet would run as a formula is quoted.
"""

from __future__ import annotations

import re
from typing import Final

_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
"""C0 and C1 controls, DEL, line separators and bidirectional overrides: what can move the
cursor, recolour the terminal or reorder what is shown."""

_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")
"""OWASP's list of leading characters that make a spreadsheet treat a cell as a formula."""


def literal(text: str) -> str:
    """``text`` with every control character shown as a Python-style escape (``\\x1b``)."""
    return _CONTROL.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def csv_cell(text: str) -> str:
    """A cell a spreadsheet shows as text: a leading formula character gets a ``'`` before it."""
    return f"'{text}" if text.startswith(_FORMULA_START) else text
