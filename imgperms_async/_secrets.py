"""Every secret this process has held, so whatever shows text can mask each one wherever it is.

Keys, session tokens and ExternalIds are remembered here as they come into being (when a
``Credentials`` is made, when a role is asked for), before any log line could hold them. A log
filter that masks these values masks them in any message, traceback or third-party line, whatever
its shape: redaction does not depend on recognising where a secret sits.
"""

from __future__ import annotations

from typing import Final

_MIN_LENGTH: Final = 4
"""Shorter values would mask ordinary text; no AWS secret, token or ExternalId is this short
(an ExternalId is at least 2 characters, but one that short cannot be told from words)."""

_known: set[str] = set()


def remember(*values: str | None) -> None:
    """Values that must never be shown."""
    _known.update(value for value in values if value and len(value) >= _MIN_LENGTH)


def known_secrets() -> frozenset[str]:
    """Every value remembered so far."""
    return frozenset(_known)
