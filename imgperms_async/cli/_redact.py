"""Secrets never reach the terminal: a logging filter that masks keys, tokens and signatures.

Every secret the process holds is masked wherever it appears, whatever the shape of the line
that carries it: those given (the environment's keys) and those the package learns as it runs
(assumed roles' keys and tokens, ExternalIds), read at the moment each line is written. Anything
shaped like an assignment to a secret field, or a signature, is masked too, for secrets nobody
told us of.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable
from typing import Final

from imgperms_async import known_secrets

_SECRET_ASSIGNMENT: Final = re.compile(
    r"(?P<name>authorization|(?:aws_)?secret_access_key|secretaccesskey|secret_key"
    r"|(?:aws_)?session_token|sessiontoken|security_token|x-amz-security-token|externalid"
    r"|external_id)"
    r"(?P<sep>['\"]?\s*[:=>]\s*['\"]?)(?P<value>[^'\"\s,}<]+)",
    re.IGNORECASE,
)
_SIGNATURE: Final = re.compile(r"Signature=[0-9a-f]{16,}")
REDACTED: Final = "***"


def redact(text: str, secrets: Iterable[str]) -> str:
    """Every known secret and every value shaped like one, found in the text as given and masked
    together: masking one first could hide the other's shape (an ExternalId "secret" inside the
    name ``aws_secret_access_key``)."""
    spans = [
        (found.start(), found.end())
        for secret in secrets
        if secret
        for found in re.finditer(re.escape(secret), text)
    ]
    spans += [found.span("value") for found in _SECRET_ASSIGNMENT.finditer(text)]
    spans += [
        (found.start() + len("Signature="), found.end()) for found in _SIGNATURE.finditer(text)
    ]
    shown, end = [], 0
    for start, stop in sorted(spans):
        if stop <= end:
            continue
        if start >= end:
            shown += [text[end:start], REDACTED]
        end = stop
    return "".join([*shown, text[end:]])


class RedactSecrets(logging.Filter):
    """Rewrites each record (traceback included) so that no key, token or signature is shown."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._given = frozenset(s for s in secrets if s)

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        if record.stack_info:
            text += "\n" + record.stack_info
        record.msg, record.args = redact(text, self._given | known_secrets()), None
        record.exc_info = record.exc_text = record.stack_info = None
        return True


def environment_secrets() -> list[str]:
    names = ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")
    return [os.environ[name] for name in names if os.environ.get(name)]
