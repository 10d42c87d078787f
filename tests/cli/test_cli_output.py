"""`--output`: regular files are replaced atomically (jsonl appends); anything else is written to
directly; every problem is found before the first request, and a failed write loses nothing."""

from __future__ import annotations

import json
import os
import re
import stat
import threading
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


def test_json_output_file_matches_the_emulator(
    cli: Cli, threaded_emulator: Emulator, tmp_path: Path
) -> None:
    target = tmp_path / "report.json"

    cli.audit("--all", "--format", "json", "--output", str(target))

    records = json.loads(target.read_text())
    assert {r["image_id"]: tuple(r["shared_account_ids"]) for r in records} == dict(
        threaded_emulator.truth
    )


def test_run_that_fails_before_writing_leaves_the_previous_file_untouched(
    cli: Cli, threaded_emulator: Emulator, tmp_path: Path
) -> None:
    target = tmp_path / "report.json"
    target.write_text("previous report\n")

    result = cli(
        "audit", "--all", "--endpoint-url", threaded_emulator.endpoint_url, "--output", str(target)
    )

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


def test_jsonl_output_appends_to_an_existing_file(
    cli: Cli, threaded_emulator: Emulator, tmp_path: Path
) -> None:
    target = tmp_path / "report.jsonl"
    first, second = threaded_emulator.owned_image_ids[:2]

    cli.audit(first, "--format", "jsonl", "--output", str(target))
    cli.audit(second, "--format", "jsonl", "--output", str(target))

    lines = target.read_text().splitlines()
    assert [json.loads(line)["image_id"] for line in lines] == [first, second]


def test_debug_logs_never_show_keys_or_tokens(
    cli: Cli, threaded_emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    credentials = threaded_emulator.session_credentials
    assert credentials.session_token is not None
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", credentials.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", credentials.secret_key)
    monkeypatch.setenv("AWS_SESSION_TOKEN", credentials.session_token)

    result = cli.audit("--all", "--debug", "--format", "jsonl")

    assert result.exit_code == 0
    assert "DEBUG" in result.stderr
    assert credentials.secret_key not in result.output
    assert credentials.session_token not in result.output


def test_a_symlinked_output_replaces_its_target_and_keeps_the_link_and_mode(
    cli: Cli, threaded_emulator: Emulator, tmp_path: Path
) -> None:
    target = tmp_path / "target.json"
    target.write_text("previous report\n")
    target.chmod(0o640)
    link = tmp_path / "link.json"
    link.symlink_to(target.name)

    result = cli.audit("--all", "--format", "json", "--output", str(link))

    assert result.exit_code == 0
    assert link.is_symlink()
    assert (target.stat().st_mode & 0o777) == 0o640
    records = json.loads(target.read_text())
    assert len(records) == len(threaded_emulator.truth)


@pytest.mark.parametrize("output_format", ["json", "jsonl", "csv", "table"])
def test_a_fifo_is_written_to_directly(cli: Cli, tmp_path: Path, output_format: str) -> None:
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()

    result = cli.audit("--all", "--format", output_format, "--output", str(fifo))
    reader.join(timeout=20)

    assert result.exit_code == 0
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert len(received) == 1
    assert received[0]


def test_a_pipe_named_by_a_dev_fd_path_is_written_to_as_a_process_substitution_is(
    cli: Cli, threaded_emulator: Emulator
) -> None:
    read_end, write_end = os.pipe()
    chunks: list[bytes] = []

    def drain() -> None:
        with os.fdopen(read_end, "rb") as stream:
            chunks.append(stream.read())

    reader = threading.Thread(target=drain)
    reader.start()
    try:
        result = cli.audit("--all", "--format", "json", "--output", f"/dev/fd/{write_end}")
    finally:
        os.close(write_end)
    reader.join(timeout=20)

    assert result.exit_code == 0
    assert len(json.loads(b"".join(chunks))) == len(threaded_emulator.truth)


def test_a_device_that_fails_every_write_leaves_the_report_in_the_file_the_error_names(
    cli: Cli, threaded_emulator: Emulator
) -> None:
    result = cli.audit("--all", "--format", "json", "--output", "/dev/full")

    assert result.exit_code == 2
    assert "/dev/full" in result.stderr
    saved = result.stderr.rsplit("it was saved to ", 1)[1].strip()
    try:
        assert len(json.loads(Path(saved).read_text())) == len(threaded_emulator.truth)
    finally:
        Path(saved).unlink()
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


def test_jsonl_that_fails_mid_run_keeps_the_rest_in_a_fallback_file(
    cli: Cli, threaded_emulator: Emulator
) -> None:
    result = cli.audit("--all", "--format", "jsonl", "--output", "/dev/full")

    assert result.exit_code == 2
    saved = result.stderr.rsplit("the records from then on are in ", 1)[1].strip()
    try:
        lines = Path(saved).read_text().splitlines()
    finally:
        Path(saved).unlink()
    assert len(lines) == len(threaded_emulator.truth)


@pytest.mark.parametrize("output_format", ["json", "jsonl", "csv", "table"])
def test_a_read_only_target_is_refused_before_any_request(
    cli: Cli, threaded_emulator: Emulator, tmp_path: Path, output_format: str
) -> None:
    target = tmp_path / "report"
    target.write_text("previous report\n")
    target.chmod(0o444)
    threaded_emulator.reset_log()

    result = cli.audit("--all", "--format", output_format, "--output", str(target))

    assert result.exit_code == 2
    assert "read-only" in result.stderr
    assert threaded_emulator.requests == []
    assert target.read_text() == "previous report\n"


def test_output_problems_are_found_before_the_first_request(
    cli: Cli, threaded_emulator: Emulator, tmp_path: Path
) -> None:
    threaded_emulator.reset_log()

    result = cli.audit("--all", "--output", str(tmp_path / "nowhere" / "report.json"))

    assert result.exit_code == 2
    assert threaded_emulator.requests == []


def test_jsonl_appended_to_a_file_without_a_final_newline_starts_a_line_of_its_own(
    cli: Cli, threaded_emulator: Emulator, tmp_path: Path
) -> None:
    target = tmp_path / "report.jsonl"
    target.write_text('{"earlier": "record"}')

    cli.audit(threaded_emulator.owned_image_ids[0], "--format", "jsonl", "--output", str(target))

    lines = target.read_text().splitlines()
    assert json.loads(lines[0]) == {"earlier": "record"}
    assert json.loads(lines[1])["image_id"] == threaded_emulator.owned_image_ids[0]


@pytest.mark.parametrize("option", ["--images-file", "--allowlist"])
def test_an_output_that_is_also_an_input_is_refused(
    cli: Cli, threaded_emulator: Emulator, tmp_path: Path, option: str
) -> None:
    source = tmp_path / "input.txt"
    content = (
        threaded_emulator.owned_image_ids[0] if option == "--images-file" else "123456789012"
    ) + "\n"
    source.write_text(content)
    first = () if option == "--images-file" else (threaded_emulator.owned_image_ids[0],)

    result = cli.audit(*first, option, str(source), "--format", "json", "--output", str(source))

    assert result.exit_code == 2
    assert "also an input" in result.stderr
    assert source.read_text() == content


def test_ids_from_stdin_may_be_audited_into_an_existing_output(
    cli: Cli, threaded_emulator: Emulator, tmp_path: Path
) -> None:
    target = tmp_path / "report.json"
    target.write_text("[]\n")
    image_id = threaded_emulator.owned_image_ids[0]

    result = cli.audit(
        "--images-file", "-", "--format", "json", "--output", str(target), stdin=image_id + "\n"
    )

    assert result.exit_code in (0, 1), result.stderr
    assert [r["image_id"] for r in json.loads(target.read_text())] == [image_id]


def test_html_output_is_one_self_contained_file(
    cli: Cli, threaded_emulator: Emulator, tmp_path: Path
) -> None:
    """A smoke test: the browser tests of the page itself are in tests/html."""
    target = tmp_path / "report.html"

    result = cli.audit("--all", "--format", "html", "--output", str(target))

    page = target.read_text()
    assert result.exit_code == 0, result.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]
    assert page.startswith("<!DOCTYPE html>")
    assert '<meta http-equiv="Content-Security-Policy"' in page
    assert re.search(r"<(script|link|img)[^>]*\b(src|href)=", page) is None, "nothing fetched"
    stats = dict(re.findall(r'data-stat="([a-z-]+)" value="(\d+)"', page))
    assert int(stats["images-audited"]) == len(threaded_emulator.truth)
    assert int(stats["images-shared"]) == sum(bool(s) for s in threaded_emulator.truth.values())
