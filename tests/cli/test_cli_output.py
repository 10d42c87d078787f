"""`--output`: whole documents replace the target atomically; jsonl appends line by line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_support import Cli

from imgperms_async.cli import _output
from imgperms_async.emulator import Emulator


@pytest.mark.parametrize("output_format", ["json", "csv", "table"])
def test_document_output_replaces_the_file_and_leaves_no_temporary(
    cli: Cli, tmp_path: Path, output_format: str
) -> None:
    target = tmp_path / "report"
    target.write_text("previous report\n")

    result = cli.audit("--all", "--format", output_format, "--output", str(target))

    assert result.exit_code == 0
    assert result.stdout == ""
    assert target.read_text() != "previous report\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report"]


def test_json_output_file_matches_the_emulator(cli: Cli, emu: Emulator, tmp_path: Path) -> None:
    target = tmp_path / "report.json"

    cli.audit("--all", "--format", "json", "--output", str(target))

    records = json.loads(target.read_text())
    assert {r["image_id"]: tuple(r["shared_account_ids"]) for r in records} == dict(emu.truth)


def test_run_that_fails_before_writing_leaves_the_previous_file_untouched(
    cli: Cli, emu: Emulator, tmp_path: Path
) -> None:
    target = tmp_path / "report.json"
    target.write_text("previous report\n")

    result = cli("audit", "--all", "--endpoint-url", emu.endpoint_url, "--output", str(target))

    assert result.exit_code == 2
    assert target.read_text() == "previous report\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_failed_write_leaves_the_previous_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "report.json"
    target.write_text("previous report\n")

    def refuse(source: str, destination: Path) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(_output.os, "replace", refuse)
    sink = _output.open_output(target, append=False)
    sink.write("new report\n")
    with pytest.raises(OSError, match="disk full"):
        sink.commit()

    assert target.read_text() == "previous report\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_output_into_a_missing_directory_is_a_usage_error(cli: Cli, tmp_path: Path) -> None:
    result = cli.audit("--all", "--output", str(tmp_path / "nowhere" / "report.json"))

    assert result.exit_code == 2
    assert "not a writable directory" in result.stderr


def test_jsonl_output_appends_to_an_existing_file(cli: Cli, emu: Emulator, tmp_path: Path) -> None:
    target = tmp_path / "report.jsonl"
    first, second = emu.owned_image_ids[:2]

    cli.audit(first, "--format", "jsonl", "--output", str(target))
    cli.audit(second, "--format", "jsonl", "--output", str(target))

    lines = target.read_text().splitlines()
    assert [json.loads(line)["image_id"] for line in lines] == [first, second]


def test_debug_logs_never_show_keys_or_tokens(
    cli: Cli, emu: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    credentials = emu.session_credentials
    assert credentials.session_token is not None
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", credentials.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", credentials.secret_key)
    monkeypatch.setenv("AWS_SESSION_TOKEN", credentials.session_token)

    result = cli.audit("--all", "--debug", "--format", "jsonl")

    assert result.exit_code == 0
    assert "DEBUG" in result.stderr
    assert credentials.secret_key not in result.output
    assert credentials.session_token not in result.output
