"""Text from input or from a server is shown literally: no markup, no escape sequences, no formulas."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from aiohttp import web
from cli_support import Cli, serving_in_thread

from imgperms_async.cli._literal import csv_cell, literal
from imgperms_async.emulator import Emulator


@pytest.mark.parametrize("image_id", ["wsi-[/bold]", "[red]wsi-x[/red]", "wsi-[bold]x"])
def test_markup_in_an_id_is_shown_as_typed_and_breaks_nothing(cli: Cli, image_id: str) -> None:
    result = cli.audit(image_id)

    assert result.exit_code == 3
    assert "Traceback" not in result.output
    assert image_id in result.stdout
    assert image_id in result.stderr


def test_escape_sequences_in_an_id_never_reach_the_terminal(cli: Cli) -> None:
    result = cli.audit("wsi-\x1b[31mred", "--format", "table")

    assert "\x1b" not in result.output
    assert "wsi-\\x1b[31mred" in result.stdout
    assert "wsi-\\x1b[31mred" in result.stderr


def test_json_keeps_untrusted_text_exactly(cli: Cli) -> None:
    image_id = "wsi-\x1b[31m=HYPERLINK()"

    [record] = json.loads(cli.audit(image_id, "--format", "json").stdout)

    assert record["image_id"] == image_id


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_csv_cell_a_spreadsheet_would_run_is_quoted(cli: Cli, start: str) -> None:
    image_id = f'{start}HYPERLINK("http://evil.example")'

    result = cli.audit("--format", "csv", "--", image_id)

    rows = list(csv.reader(io.StringIO(result.stdout)))

    assert rows[1][1] == "'" + image_id


def test_ordinary_csv_cells_are_left_alone() -> None:
    assert csv_cell("wsi-abc123def") == "wsi-abc123def"
    assert csv_cell("123456789012") == "123456789012"


def test_literal_shows_control_and_direction_characters_as_escapes() -> None:
    assert literal("a\x1b[0m\x07b\u202ec\x9b") == "a\\x1b[0m\\x07b\\u202ec\\x9b"


def test_a_servers_error_message_is_shown_literally_in_the_summary(
    emulator_keys: dict[str, str],
) -> None:
    async def hostile(request: web.Request) -> web.Response:
        return web.json_response(
            {"__type": "AccessDeniedException", "message": "[bold]no[/bold] \x1b[2J"}, status=400
        )

    application = web.Application()
    application.router.add_post("/", hostile)
    with serving_in_thread(application) as url:
        result = Cli(url).audit("wsi-aaaaaaaaa", "--max-attempts", "1")

    assert result.exit_code == 3
    assert "[bold]no[/bold] \\x1b[2J" in result.stderr
    assert "\x1b" not in result.stderr


def test_a_new_share_with_an_account_id_like_an_escape_is_literal_in_the_summary(
    emulator_keys: dict[str, str], tmp_path: Path
) -> None:
    hostile_account = "\x1b[2J123456789012"

    async def permissions(request: web.Request) -> web.Response:
        image_id = (await request.json())["ImageId"]
        return web.json_response(
            {"ImageId": image_id, "ImagePermissions": [{"SharedAccountId": hostile_account}]},
            content_type="application/x-amz-json-1.1",
        )

    baseline = tmp_path / "baseline.jsonl"
    baseline.write_text(
        json.dumps(
            {"image_id": "wsi-aaaaaaaaa", "region": "us-east-1", "shared_account_ids": [],
             "unexpected_account_ids": [], "error": None}
        ) + "\n"
    )  # fmt: skip
    application = web.Application()
    application.router.add_post("/", permissions)
    with serving_in_thread(application) as url:
        result = Cli(url).audit(
            "wsi-aaaaaaaaa", "--baseline", str(baseline), "--allow-account", "111111111111"
        )

    assert "new since the baseline" in result.stderr
    assert "\\x1b[2J123456789012" in result.stderr
    assert "\x1b" not in result.stderr


def test_untrusted_text_in_debug_logs_is_literal(cli: Cli) -> None:
    result = cli.audit("wsi-\x1b[31mx", "--debug")

    assert "\x1b" not in result.stderr


def test_the_table_shows_shares_of_an_image_named_like_markup(
    cli: Cli, threaded_emulator: Emulator
) -> None:
    image_id = next(i for i, shared in threaded_emulator.truth.items() if shared)

    result = cli.audit(image_id, "[red]x[/red]")

    assert image_id in result.stdout
    assert threaded_emulator.truth[image_id][0] in result.stdout
    assert "[red]x[/red]" in result.stdout
