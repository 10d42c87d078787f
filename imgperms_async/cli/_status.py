"""Exit statuses: each number, what it means, and the rule that picks one for an audit.

Every command's help, the docs and the code read the numbers and their meanings from here.
"""

from __future__ import annotations

import signal
from typing import Final, Literal

OK: Final = 0
FLAGGED: Final = 1
USAGE: Final = 2
INCOMPLETE: Final = 3
INTERRUPTED: Final = 128 + signal.SIGINT
TERMINATED: Final = 128 + signal.SIGTERM
BROKEN_PIPE: Final = 128 + signal.SIGPIPE

FailOn = Literal["any", "new", "never"]

AUDIT_STATUSES: Final = (
    (OK, "every scope and image audited, nothing shared outside"),
    (
        FLAGGED,
        "an image shared with an account outside (outside the organization and the allowlist; "
        "with --fail-on new, only one new or newly outside since --baseline), or an image "
        "shared in from outside",
    ),
    (USAGE, "usage error: a bad option, file, region or setting; nothing was audited"),
    (
        INCOMPLETE,
        "some image, region or account could not be audited (1 wins over 3); also a setup "
        "that failed at AWS (no answer, credentials refused)",
    ),
    (INTERRUPTED, "interrupted by Ctrl-C (143 by SIGTERM): what finished is kept and summed up"),
    (BROKEN_PIPE, "stdout was closed (| head)"),
)
UNSHARE_STATUSES: Final = (
    (OK, "everything planned is done and verified (or only a plan was shown, or declined)"),
    (USAGE, "usage error: a bad report, option or name; nothing was changed"),
    (INCOMPLETE, "something failed (each failure is named); run again for what is left"),
    (INTERRUPTED, "interrupted (143 by SIGTERM): every action so far is in the action log"),
)


def describe(statuses: tuple[tuple[int, str], ...]) -> str:
    """The statuses as help text, one a line (click keeps lines after a ``\\b``)."""
    return "\b\nExit status:\n" + "\n".join(f"  {code:>3}  {meaning}" for code, meaning in statuses)


def audit_status(*, flagged: int, new_flags: int, incomplete: bool, fail_on: FailOn) -> int:
    """1 for what is flagged (any, or only what is new since the baseline; never, for a demo
    that flags on purpose), else 3 when something could not be audited, else 0."""
    counted = {"any": flagged, "new": new_flags, "never": 0}[fail_on]
    if counted:
        return FLAGGED
    return INCOMPLETE if incomplete else OK
