"""Regions as the user names them: one botocore does not know is a usage error before any request,
wherever it is given; a real region without WorkSpaces is a scope not audited, said so, exit 3."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_support import Cli
from click.testing import Result
from organization_support import MANAGEMENT, MEMBERS, organization

from imgperms_async.emulator import Emulator

pytestmark = pytest.mark.usefixtures("one_botocore_loader")

TYPO = "eu-wset-1"
NO_WORKSPACES = "us-west-1"
"""A region AWS has, where WorkSpaces is not offered."""


@pytest.fixture
def org(monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    with organization() as served:
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", served.credentials.access_key)
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", served.credentials.secret_key)
        monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        yield served


def audit(emu: Emulator, *args: str) -> Result:
    return Cli(emu.endpoint_url)(
        "audit", "--endpoint-url", emu.endpoint_url, "--no-progress", "--max-rate", "10000", *args
    )


@pytest.mark.parametrize(
    "where",
    [["--all"], ["--organization"], ["--account", MEMBERS[0]]],
    ids=["one-account", "organization", "accounts"],
)
def test_a_region_botocore_does_not_know_is_a_usage_error_naming_it_before_any_request(
    org: Emulator, where: list[str]
) -> None:
    result = audit(org, *where, "--region", "us-east-1", "--region", TYPO)

    assert result.exit_code == 2
    assert f"region '{TYPO}' (--region) is not an AWS region botocore knows" in result.stderr
    assert org.requests == []


def test_a_region_botocore_does_not_know_in_an_accounts_file_names_the_file_and_line(
    org: Emulator, tmp_path: Path
) -> None:
    accounts = tmp_path / "accounts.yml"
    accounts.write_text(
        f"accounts:\n  - account_id: '{MEMBERS[0]}'\n    regions: [{NO_WORKSPACES}, ap-east-9]\n"
    )

    result = audit(org, "--accounts-file", str(accounts), "--region", "us-east-1")

    assert result.exit_code == 2
    [line] = result.stderr.splitlines()
    assert line.startswith(f"Error: {accounts}, line 2: region 'ap-east-9'")
    assert "is not an AWS region botocore knows" in line
    assert org.requests == []


def test_a_one_account_region_without_workspaces_is_a_scope_not_audited_and_exit_3(
    org: Emulator,
) -> None:
    result = audit(org, "--all", "--region", NO_WORKSPACES, "--format", "json")

    assert json.loads(result.stdout) == [
        {"kind": "scope", "account_id": None, "account_name": None, "region": NO_WORKSPACES,
         "status": "not_offered", "error": None},
    ]  # fmt: skip
    assert result.exit_code == 3
    assert f"not audited: {NO_WORKSPACES}: WorkSpaces is not offered in that region" in (
        result.stderr.splitlines()
    )
    assert [r for r in org.requests if r.service == "workspaces"] == []


def test_an_organization_region_without_workspaces_is_a_scope_of_each_account_and_exit_3(
    org: Emulator,
) -> None:
    result = audit(org, "--organization", "--region", NO_WORKSPACES, "--format", "jsonl")

    records = [json.loads(line) for line in result.stdout.splitlines()]
    not_offered = [r for r in records if r["status"] == "not_offered"]
    assert sorted(r["account_id"] for r in not_offered) == sorted([*MEMBERS, MANAGEMENT])
    assert {r["region"] for r in not_offered} == {NO_WORKSPACES}
    assert result.exit_code == 3
    lines = result.stderr.splitlines()
    for record in not_offered:
        assert (
            f"not audited: account {record['account_id']} ({record['account_name']}), "
            f"{NO_WORKSPACES}: WorkSpaces is not offered in that region"
        ) in lines
    assert [r for r in org.requests if r.service == "workspaces"] == []
