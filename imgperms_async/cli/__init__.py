"""The ``imgperms`` command line: parses, calls the public API, writes. One module a command."""

from imgperms_async.cli._main import main

__all__ = ["main"]
