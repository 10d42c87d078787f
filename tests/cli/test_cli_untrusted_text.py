"""Text from input or from a server is shown literally: no markup, no escape sequences, no formulas."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from xml.etree import ElementTree

import pytest
from aiohttp import web
from cli_support import Cli, serving_in_thread
from click.testing import Result
from report_support import organization_emulator, serving

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


def serving_shares(*accounts: str) -> web.Application:
    """A WorkSpaces endpoint that answers every image's permissions with ``accounts``."""

    async def permissions(request: web.Request) -> web.Response:
        image_id = (await request.json())["ImageId"]
        return web.json_response(
            {"ImageId": image_id,
             "ImagePermissions": [{"SharedAccountId": account} for account in accounts]},
            content_type="application/x-amz-json-1.1",
        )  # fmt: skip

    application = web.Application()
    application.router.add_post("/", permissions)
    return application


def test_a_shared_account_id_like_an_escape_is_that_images_error_shown_literally(
    emulator_keys: dict[str, str],
) -> None:
    hostile_account = "\x1b[2J123456789012"

    with serving_in_thread(serving_shares(hostile_account)) as url:
        result = Cli(url).audit(
            "wsi-aaaaaaaaa", "wsi-bbbbbbbbb", "--allow-account", "111111111111", "--format", "json"
        )

    records = json.loads(result.stdout)
    assert [(r["image_id"], r["error"]["code"]) for r in records] == [
        ("wsi-aaaaaaaaa", "MalformedResponseError"),
        ("wsi-bbbbbbbbb", "MalformedResponseError"),
    ]
    assert all(r["shared_account_ids"] == [] for r in records)
    assert result.exit_code == 3
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


HOSTILE_NAME = '=HYPERLINK("http://evil.example")[bold red]x[/]\x1b[2J\u202eevil'
"""An account name Organizations would refuse, that the emulator serves: a formula, markup, an
escape sequence that clears the screen and a bidirectional override."""


@pytest.fixture(scope="module")
def hostile_names(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Result]]:
    """An organization one member of which has a hostile name, audited in four formats."""
    organization = organization_emulator().scoped_truth.organization
    assert organization is not None
    member = organization.accounts[1].account_id
    with (
        pytest.MonkeyPatch.context() as monkeypatch,
        serving(
            monkeypatch, tmp_path_factory.mktemp("names"),
            organization_emulator(account_names={member: HOSTILE_NAME}), organization=True,
        ) as served,
    ):  # fmt: skip
        outputs = {
            form: served.audit("--format", form) for form in ("table", "json", "csv", "junit")
        }
        outputs["member"] = member  # type: ignore[assignment]
        yield outputs


def test_a_hostile_account_name_is_kept_exactly_in_json(hostile_names: dict[str, Result]) -> None:
    member = str(hostile_names["member"])
    records = json.loads(hostile_names["json"].stdout)

    assert {r["account_name"] for r in records if r["account_id"] == member} == {HOSTILE_NAME}


def test_a_hostile_account_name_is_shown_literally_in_the_table_and_the_summary(
    hostile_names: dict[str, Result],
) -> None:
    member = str(hostile_names["member"])
    result = hostile_names["table"]
    shown = literal(HOSTILE_NAME)

    assert "\x1b" not in result.output
    assert "\u202e" not in result.output
    assert "[bold red]x[/]" in " ".join(result.stdout.split())
    first_column = "".join(
        line.split("│")[1].strip() for line in result.stdout.splitlines() if line.startswith("│")
    )
    assert f"{member}({shown})".replace(" ", "") in first_column.replace(" ", ""), "folded, whole"
    assert any(
        line.startswith(f"account {member} ({shown}): ") for line in result.stderr.splitlines()
    )


def test_a_hostile_account_name_leaves_csv_and_junit_well_formed(
    hostile_names: dict[str, Result],
) -> None:
    rows = list(csv.DictReader(io.StringIO(hostile_names["csv"].stdout)))
    ElementTree.fromstring(hostile_names["junit"].stdout)

    assert rows
    assert all(not cell.startswith("=") for row in rows for cell in row.values())
    for form in ("csv", "junit"):
        assert "\x1b" not in hostile_names[form].output
        assert "\u202e" not in hostile_names[form].output
