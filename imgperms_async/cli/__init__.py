"""The ``imgperms`` command line: everything only the CLI uses lives in this package."""

from imgperms_async.cli._commands import main

__all__ = ["main"]
