"""Id files and allowlists as people keep them: byte order marks, comments, nothing at all."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_support import Cli

from imgperms_async import account_ids_from_text, image_ids_from_text
from imgperms_async.emulator import Emulator

BOM = "\ufeff"


def test_a_byte_order_mark_is_not_part_of_the_first_id() -> None:
    assert image_ids_from_text(BOM + "wsi-aaaaaaaaa\nwsi-bbbbbbbbb\n") == [
        "wsi-aaaaaaaaa",
        "wsi-bbbbbbbbb",
    ]


def test_a_byte_order_mark_is_not_part_of_the_first_allowed_account() -> None:
    assert account_ids_from_text(BOM + "123456789012\n", source="allow.txt") == {"123456789012"}


def test_an_images_file_saved_with_a_byte_order_mark_audits_its_first_image(
    cli: Cli, threaded_emulator: Emulator, tmp_path: Path
) -> None:
    image_id = threaded_emulator.owned_image_ids[0]
    ids = tmp_path / "ids.txt"
    ids.write_bytes((BOM + image_id + "\r\n").encode())

    [record] = json.loads(cli.audit("--images-file", str(ids), "--format", "json").stdout)

    assert record["image_id"] == image_id
    assert record["error"] is None


def test_a_character_outside_ascii_spacing_stays_in_the_id_and_makes_it_invalid(
    cli: Cli, threaded_emulator: Emulator, tmp_path: Path
) -> None:
    text = "wsi-aaaaaaaaa\u00a0\nwsi-bbb\x85bbbbbb\n"
    assert image_ids_from_text(text) == ["wsi-aaaaaaaaa\u00a0", "wsi-bbb\x85bbbbbb"]
    ids = tmp_path / "ids.txt"
    ids.write_text(text, encoding="utf-8")
    threaded_emulator.reset_log()

    records = json.loads(cli.audit("--images-file", str(ids), "--format", "json").stdout)

    assert [r["error"]["code"] for r in records] == ["ParamValidationError"] * 2
    assert threaded_emulator.requests == []


@pytest.mark.parametrize("content", ["", "# only a comment\n\n", BOM])
def test_an_images_file_with_no_id_is_a_usage_error(
    cli: Cli, threaded_emulator: Emulator, tmp_path: Path, content: str
) -> None:
    ids = tmp_path / "ids.txt"
    ids.write_text(content)
    threaded_emulator.reset_log()

    result = cli.audit("--images-file", str(ids))

    assert result.exit_code == 2
    assert "nothing to audit" in result.stderr
    assert threaded_emulator.requests == []


def test_empty_stdin_is_a_usage_error(cli: Cli) -> None:
    result = cli.audit("--images-file", "-", stdin="")

    assert result.exit_code == 2
    assert "nothing to audit" in result.stderr


def test_allow_empty_makes_no_id_a_clean_audit(cli: Cli, tmp_path: Path) -> None:
    ids = tmp_path / "ids.txt"
    ids.write_text("# nothing this week\n")

    result = cli.audit("--images-file", str(ids), "--allow-empty", "--format", "json")

    assert result.exit_code == 0
    assert json.loads(result.stdout) == []


def test_an_id_with_a_trailing_newline_is_invalid_and_never_sent(
    cli: Cli, threaded_emulator: Emulator
) -> None:
    image_id = threaded_emulator.owned_image_ids[0] + "\n"
    threaded_emulator.reset_log()

    [record] = json.loads(cli.audit(image_id, "--format", "json").stdout)

    assert record["error"]["code"] == "ParamValidationError"
    assert threaded_emulator.requests == []


def test_an_allowed_account_with_a_trailing_newline_is_refused(cli: Cli) -> None:
    result = cli.audit("--all", "--allow-account", "123456789012\n")

    assert result.exit_code == 2
    assert "is not an AWS account id" in result.stderr
