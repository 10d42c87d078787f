"""What stops a run before its work: a problem with what was given is a usage error (exit 2,
nothing sent); a setup AWS or the network refuses is exit 3, as any part of an audit not done.
Either way one line, no traceback, and no report written."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_support import Cli, closed_port_url
from click.testing import Result
from organization_support import MEMBERS, organization
from report_support import become

from imgperms_async.emulator import Emulator

pytestmark = pytest.mark.usefixtures("one_botocore_loader")


@pytest.fixture
def org(monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    with organization() as served:
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", served.credentials.access_key)
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", served.credentials.secret_key)
        monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        yield served


def audit(endpoint_url: str, *args: str) -> Result:
    return Cli(endpoint_url)(
        "audit", "--endpoint-url", endpoint_url, "--no-progress", "--region", "us-east-1",
        "--max-attempts", "1", *args,
    )  # fmt: skip


def one_line(result: Result) -> str:
    assert "Traceback" not in result.output
    [line] = result.stderr.splitlines()
    return line


@pytest.mark.parametrize("where", [["--organization"], ["--account", MEMBERS[0]]])
def test_credentials_aws_refuses_stop_an_audit_of_accounts_with_exit_3(
    org: Emulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, where: list[str]
) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
    report = tmp_path / "report.json"

    result = audit(org.endpoint_url, *where, "--format", "json", "--output", str(report))

    assert result.exit_code == 3
    assert "SignatureDoesNotMatch" in one_line(result)
    assert not report.exists()


def test_an_endpoint_nobody_answers_stops_an_audit_of_accounts_with_exit_3(
    emulator_keys: dict[str, str], tmp_path: Path
) -> None:
    report = tmp_path / "report.json"

    result = audit(closed_port_url(), "--organization", "--format", "json", "--output", str(report))

    assert result.exit_code == 3
    assert "Could not connect to the endpoint URL" in one_line(result)
    assert not report.exists()


def test_an_organization_that_cannot_be_listed_is_exit_3(
    org: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    become(monkeypatch, org, MEMBERS[0])

    result = audit(org.endpoint_url, "--organization")

    assert result.exit_code == 3
    assert "cannot list the organization's accounts" in one_line(result)
    assert [r for r in org.requests if r.service == "workspaces"] == []


@pytest.mark.parametrize("where", [["--all"], ["--organization"]])
def test_no_credentials_found_is_a_usage_error_before_any_request(
    org: Emulator, monkeypatch: pytest.MonkeyPatch, where: list[str]
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")

    result = audit(org.endpoint_url, *where)

    assert result.exit_code == 2
    assert "no AWS credentials found" in one_line(result)
    assert org.requests == []


def test_a_profile_that_does_not_exist_is_a_usage_error_before_any_request(org: Emulator) -> None:
    result = audit(org.endpoint_url, "--organization", "--profile", "nobody")

    assert result.exit_code == 2
    assert "nobody" in one_line(result)
    assert org.requests == []


def test_an_unshare_that_cannot_reach_aws_is_exit_3_and_changes_nothing(
    emulator_keys: dict[str, str], tmp_path: Path
) -> None:
    report = tmp_path / "report.jsonl"
    report.write_text(
        '{"region": "us-east-1", "image_id": "wsi-aaaaaaaaa", "shared_account_ids": '
        '["111122223333"], "unexpected_account_ids": ["111122223333"], "pages": 1, '
        '"error": null}\n'
    )

    result = Cli("")(
        "unshare", str(report), "--endpoint-url", closed_port_url(), "--region", "us-east-1",
        "--max-attempts", "1", "--apply", "--yes", "--action-log", str(tmp_path / "log.jsonl"),
    )  # fmt: skip

    assert result.exit_code == 3
    assert "Could not connect" in one_line(result)
    assert not (tmp_path / "log.jsonl").exists()
