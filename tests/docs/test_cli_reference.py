"""docs/cli.md shows every command's ``--help`` verbatim, so the page lists every command and
option with the words the code gives them: a change to either fails here until the page is
regenerated with ``.venv/bin/python tests/docs/test_cli_reference.py``."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from imgperms_async.cli import main

PAGE = Path(__file__).resolve().parents[2] / "docs" / "cli.md"
COMMANDS = ("", "audit", "unshare", "demo", "emulator")
"""The group, then each command, as the page presents them."""
WIDTH = 78
"""What click wraps help to in a terminal 80 or more columns wide."""


def help_text(command: str) -> str:
    arguments = [*command.split(), "--help"]
    result = CliRunner().invoke(main, arguments, prog_name="imgperms", terminal_width=WIDTH)
    assert result.exit_code == 0, result.output
    return result.output


def _block(command: str) -> re.Pattern[str]:
    prompt = re.escape(" ".join(["$ imgperms", *command.split(), "--help"]))
    return re.compile(rf"(```console\n{prompt}\n)(.*?)(```)", re.DOTALL)


def shown_help(page: str, command: str) -> str | None:
    found = _block(command).search(page)
    return None if found is None else found.group(2)


def test_the_page_presents_every_command() -> None:
    assert set(COMMANDS) - {""} == set(main.list_commands(None))  # type: ignore[arg-type]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c or "imgperms")
def test_the_page_shows_the_help_verbatim(command: str) -> None:
    shown = shown_help(PAGE.read_text(), command)
    assert shown is not None, f"docs/cli.md has no console block for `imgperms {command} --help`"
    assert shown == help_text(command), (
        "docs/cli.md is not the help the code gives: run "
        ".venv/bin/python tests/docs/test_cli_reference.py to rewrite its help blocks"
    )


def rewrite() -> None:
    """Puts each command's help in its block of the page."""
    page = PAGE.read_text()
    for command in COMMANDS:
        if _block(command).search(page) is None:
            sys.exit(f"docs/cli.md has no block for `imgperms {command} --help`: add one first")
        page = _block(command).sub(
            lambda found, c=command: found.group(1) + help_text(c) + found.group(3), page
        )
    PAGE.write_text(page)


if __name__ == "__main__":
    rewrite()
