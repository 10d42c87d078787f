"""Secrets never reach the terminal: a logging filter that masks keys, tokens and signatures."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable
from typing import Final

_SECRET_ASSIGNMENT: Final = re.compile(
    r"(?P<name>authorization|(?:aws_)?secret_access_key|secretaccesskey|secret_key"
    r"|(?:aws_)?session_token|sessiontoken|security_token|x-amz-security-token)"
    r"(?P<sep>['\"]?\s*[:=]\s*['\"]?)(?P<value>[^'\"\n,}]+)",
    re.IGNORECASE,
)
_SIGNATURE: Final = re.compile(r"Signature=[0-9a-f]{16,}")
REDACTED: Final = "***"


def redact(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    text = _SECRET_ASSIGNMENT.sub(lambda m: f"{m['name']}{m['sep']}{REDACTED}", text)
    return _SIGNATURE.sub(f"Signature={REDACTED}", text)


class RedactSecrets(logging.Filter):
    """Rewrites each record (traceback included) so that no key, token or signature is shown.

    Known secret values are replaced wherever they appear; anything that looks like an assignment
    to a secret field or an Authorization header is masked too, for secrets we were never told.
    """

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._secrets = tuple(sorted({s for s in secrets if s}, key=len, reverse=True))

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        if record.stack_info:
            text += "\n" + record.stack_info
        record.msg, record.args = redact(text, self._secrets), None
        record.exc_info = record.exc_text = record.stack_info = None
        return True


def environment_secrets() -> list[str]:
    names = ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")
    return [os.environ[name] for name in names if os.environ.get(name)]
