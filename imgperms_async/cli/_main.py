"""The ``imgperms`` command group: each command is imported when it is used."""

from __future__ import annotations

import importlib
from typing import Any, Final

import click

from imgperms_async import __version__

COMMANDS: Final = {
    "audit": "imgperms_async.cli._audit:audit",
    "demo": "imgperms_async.cli._demo:demo",
    "emulator": "imgperms_async.emulator._command:emulator",
    "unshare": "imgperms_async.cli._unshare:unshare",
}
"""Where each command lives: ``imgperms audit`` never loads the emulator or ``aiohttp.web``."""


class _LazyGroup(click.Group):
    """Subcommands imported when they are used (click's documented lazy-loading pattern)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        where = COMMANDS.get(cmd_name)
        if where is None:
            return None
        module, _, name = where.partition(":")
        command: click.Command = getattr(importlib.import_module(module), name)
        return command


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="imgperms")
def main(**_: Any) -> None:
    """Find out which AWS accounts your Amazon WorkSpaces images are shared with.

    Start with `imgperms demo`: it needs no AWS account. Then `imgperms audit --all` audits
    every image you own, with credentials and region from the usual AWS configuration.
    """
