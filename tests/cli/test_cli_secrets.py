"""`--debug` shows what happens and never a secret: not the caller's key, not a key or token of a
role session the run assumed, not the ExternalId, in an organization audit or an unshare, in
stdout or stderr. Each run is a process of its own, as a user runs it, so nothing the test process
learned earlier can help the redaction."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from organization_support import MEMBERS, organization

from imgperms_async.emulator import Emulator

pytestmark = pytest.mark.slow


@pytest.fixture
def org() -> Iterator[Emulator]:
    """An organization one member of which trusts its role only with the ExternalId."""
    with organization(external_id_role=[MEMBERS[0]]) as served:
        yield served


def run(emu: Emulator, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "imgperms_async", *args, "--endpoint-url", emu.endpoint_url,
         "--external-id", str(emu.external_id), "--max-rate", "10000", "--debug"],
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
            "AWS_ACCESS_KEY_ID": emu.credentials.access_key,
            "AWS_SECRET_ACCESS_KEY": emu.credentials.secret_key,
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
        },
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def secrets_of(emu: Emulator) -> dict[str, str]:
    """Every secret the run used, from the emulator's side: its own secret key, the ExternalId,
    and the secret key and session token of each role session it issued and then saw used.

    The request log names each caller by its access key id, as CloudTrail does; the emulator's
    table of the sessions it issued (``_identities``, private) gives that key's secret and token,
    independently of anything the CLI remembers."""
    assert emu.external_id is not None
    found = {"the emulator's secret key": emu.credentials.secret_key,
             "the ExternalId": emu.external_id}  # fmt: skip
    sessions = {
        r.access_key for r in emu.requests if r.access_key and r.access_key.startswith("ASIA")
    }
    for access_key in sessions:
        principal = emu._identities.principal(access_key)
        assert principal is not None
        assert principal.credentials.session_token is not None
        found[f"the secret key of {principal.arn}"] = principal.credentials.secret_key
        found[f"the session token of {principal.arn}"] = principal.credentials.session_token
    return found


def shown(secrets: dict[str, str], output: str) -> list[str]:
    return [what for what, secret in secrets.items() if secret in output]


def test_an_organization_audit_with_debug_shows_no_secret(org: Emulator) -> None:
    result = run(org, "audit", "--organization", "--region", "us-east-1", "--format", "jsonl")

    secrets = secrets_of(org)
    assert result.returncode == 1, result.stderr
    assert "DEBUG" in result.stderr
    sessions = [what for what in secrets if what.startswith("the session token")]
    assert len(sessions) == len(MEMBERS), "every member reached through its role"
    assert shown(secrets, result.stdout + result.stderr) == []


def test_an_unshare_applied_with_debug_shows_no_secret(org: Emulator, tmp_path: Path) -> None:
    report = tmp_path / "report.jsonl"
    audited = run(
        org, "audit", "--organization", "--region", "eu-west-1", "--region", "us-east-1",
        "--format", "jsonl", "--output", str(report), "--no-progress",
    )  # fmt: skip
    assert audited.returncode == 1, audited.stderr
    org.reset_log()

    result = run(org, "unshare", str(report), "--apply", "--yes",
                 "--action-log", str(tmp_path / "actions.jsonl"))  # fmt: skip

    secrets = secrets_of(org)
    assert result.returncode == 0, result.stderr
    assert "DEBUG" in result.stderr
    assert any(what.startswith("the session token") for what in secrets)
    actions = [json.loads(line) for line in (tmp_path / "actions.jsonl").read_text().splitlines()]
    assert {a["outcome"] for a in actions} == {"unshared", "verified"}
    assert shown(secrets, result.stdout + result.stderr) == []
    assert shown(secrets, (tmp_path / "actions.jsonl").read_text()) == []
