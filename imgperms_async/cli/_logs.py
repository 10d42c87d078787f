"""Logging for one command: a single stderr handler, redacted, removed when the command ends."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable
from typing import Final

import click

from imgperms_async.cli._literal import literal
from imgperms_async.cli._redact import RedactSecrets, environment_secrets

_BODY_LOGGERS: Final = ("botocore.parsers", "botocore.endpoint")
"""botocore's loggers of whole request and response bodies (an AssumeRole answer holds keys):
kept at INFO, whatever --debug asks, so no secret depends on being recognised to stay hidden."""


def configure_logging(*, debug: bool, secrets: Iterable[str] = ()) -> None:
    """Every logger goes through one filtered handler, so even warnings pass the redaction;
    embedding the CLI leaves logging as it was once the command returns."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets([*environment_secrets(), *secrets]))
    handler.addFilter(_ShowLiterally())
    root = logging.getLogger()
    previous_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if debug else logging.WARNING)
    quieted = {name: logging.getLogger(name).level for name in _BODY_LOGGERS}
    for name in _BODY_LOGGERS:
        logging.getLogger(name).setLevel(logging.INFO)

    def restore() -> None:
        root.removeHandler(handler)
        root.setLevel(previous_level)
        for name, level in quieted.items():
            logging.getLogger(name).setLevel(level)

    click.get_current_context().call_on_close(restore)


class _ShowLiterally(logging.Filter):
    """Control characters from ids or server answers never reach the terminal; the line breaks of
    a traceback are kept, and only they."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = "\n".join(literal(line) for line in record.getMessage().split("\n"))
        record.args = None
        return True
