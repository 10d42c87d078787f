"""What each emulator option accepts, said once for the constructor and the command line.

A requirement carries its rule and the words for it, so `Emulator(rate=nan)` and
`--rate nan` are refused with the same sentence.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = [
    "ACCOUNT_ID",
    "AT_LEAST_ONE",
    "COUNT",
    "FINITE",
    "FRACTION",
    "HOST",
    "IMAGE_ID",
    "MAX_PAGE_SIZE",
    "NON_NEGATIVE",
    "PAGE_SIZE",
    "PORT",
    "POSITIVE",
    "InvalidOption",
    "Latency",
    "Requirement",
    "check_latency",
    "parse_latency",
]

_T = TypeVar("_T")
Latency = float | tuple[float, float]
MAX_PAGE_SIZE = 25


class InvalidOption(ValueError):
    """A refused option value; says which argument, so the command line can name its flag."""

    def __init__(self, argument: str, reason: str) -> None:
        super().__init__(f"{argument} {reason}")
        self.argument = argument
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Requirement(Generic[_T]):
    """A rule a value must satisfy, and how to say it in an error."""

    words: str
    holds: Callable[[_T], bool]

    def check(self, name: str, value: _T) -> _T:
        if not self.holds(value):
            raise InvalidOption(name, f"must be {self.words}, got {value!r}")
        return value


HOST: Requirement[str] = Requirement("an address to listen on", lambda value: value != "")


def _whole(value: object) -> bool:
    """An int, and not a bool (``True`` is an int to Python, and 1 image to no one)."""
    return type(value) is int


PORT: Requirement[int] = Requirement(
    "a port number from 0 to 65535", lambda value: _whole(value) and 0 <= value <= 65_535
)
COUNT: Requirement[int] = Requirement(
    "a whole number, 0 or more", lambda value: _whole(value) and value >= 0
)
PAGE_SIZE: Requirement[int] = Requirement(
    f"a whole number from 1 to {MAX_PAGE_SIZE}",
    lambda value: _whole(value) and 1 <= value <= MAX_PAGE_SIZE,
)
# Comparisons with nan are false, so these refuse it without a separate test.
FRACTION: Requirement[float] = Requirement("between 0 and 1", lambda value: 0.0 <= value <= 1.0)
POSITIVE: Requirement[float] = Requirement(
    "a finite number above 0", lambda value: math.isfinite(value) and value > 0
)
AT_LEAST_ONE: Requirement[float] = Requirement(
    "a finite number of at least 1", lambda value: math.isfinite(value) and value >= 1
)
NON_NEGATIVE: Requirement[float] = Requirement(
    "a finite number of 0 or more", lambda value: math.isfinite(value) and value >= 0
)
FINITE: Requirement[float] = Requirement("a finite number", math.isfinite)
IMAGE_ID: Requirement[str] = Requirement(
    "an image id (wsi- and 9 to 63 lowercase letters or digits)",
    lambda value: (
        isinstance(value, str) and re.fullmatch(r"wsi-[0-9a-z]{9,63}", value, re.ASCII) is not None
    ),
)
ACCOUNT_ID: Requirement[str] = Requirement(
    "a 12-digit account id",
    lambda value: (
        isinstance(value, str) and re.fullmatch(r"[0-9]{12}", value, re.ASCII) is not None
    ),
)


def check_latency(value: Latency) -> tuple[float, float]:
    """Both bounds of a latency, each a duration, the low one first."""
    low, high = value if isinstance(value, tuple) else (value, value)
    NON_NEGATIVE.check("latency", low)
    NON_NEGATIVE.check("latency", high)
    if low > high:
        raise InvalidOption("latency", f"must be SECS or LOW,HIGH with LOW <= HIGH, got {value!r}")
    return low, high


def parse_latency(text: str) -> Latency:
    """Read `SECS` or `LOW,HIGH` as the command line writes a latency."""
    low, comma, high = text.partition(",")
    try:
        latency: Latency = (float(low), float(high)) if comma else float(low)
    except ValueError:
        raise InvalidOption(
            "latency", f"must be SECS or LOW,HIGH in seconds, got {text!r}"
        ) from None
    check_latency(latency)
    return latency
