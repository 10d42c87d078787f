"""How the pages' shell examples are read and their outputs compared (doc_examples.py)."""

from __future__ import annotations

import pytest
from doc_examples import console_commands, sh_commands, shows

PRINTED = "audited 3 images: 2 shared\n12 requests, 31.7 req/s, 0.2 s   \nnot enabled: 57 pairs\n"


@pytest.mark.parametrize(
    "shown",
    [
        "audited 3 images: 2 shared\n12 requests, ~30.1 req/s, ~0.9 s\nnot enabled: 57 pairs",
        "audited 3 images: ...\n...\nnot enabled: 57 pairs\n\n",
        "...\nnot enabled: 57 pairs",
        "audited 3 images: 2 shared\n...\n...\n12 requests, ... s\nnot enabled: 57 pairs",
    ],
)
def test_an_output_is_shown_with_lines_or_text_left_out_and_numbers_that_vary(shown: str) -> None:
    assert shows(shown, PRINTED)


@pytest.mark.parametrize(
    "shown",
    [
        "audited 3 images: 2 shared\n12 requests, ~30.1 req/s, ~0.9 s",  # a line missing
        "audited ~3 images: 2 shared\n12 requests, 31.7 req/s, 0.2 s\nnot enabled: 58 pairs",
        "audited 3 images: 2 shared\n12 requests, ~x req/s, 0.2 s\nnot enabled: 57 pairs",
        "",
    ],
)
def test_an_output_that_differs_is_not_shown(shown: str) -> None:
    assert not shows(shown, PRINTED)


def test_a_console_block_is_commands_each_with_its_output_and_expected_status() -> None:
    block = (
        "$ imgperms audit --all \\\n"
        "    --format csv   # exit 3\n"
        "region,image_id\n"
        "$ echo done\n"
        "done\n"
        "$ imgperms emulator --seed 1      # serves until Ctrl-C\n"
    )

    first, second, server = console_commands(block, first_line=10)

    assert (first.text, first.line, first.shown) == (
        "imgperms audit --all \\\n    --format csv   # exit 3",
        10,
        "region,image_id",
    )
    assert first.statuses == {3}
    assert (second.shown, second.statuses, second.serves) == ("done", {0, 1}, False)
    assert (server.line, server.shown, server.serves) == (15, "", True)


def test_a_sh_block_is_its_commands_without_comments_or_blank_lines() -> None:
    block = "# the plan\nimgperms unshare org.jsonl    # CI: exit 1 on a new share\n\nls\n"

    commands = sh_commands(block, first_line=1)

    assert [(c.line, c.statuses) for c in commands] == [(2, {0, 1}), (4, {0, 1})]


def test_a_console_block_starts_with_a_command() -> None:
    with pytest.raises(ValueError, match="must follow a `\\$ ` command"):
        console_commands("output\n$ ls\n", first_line=1)
