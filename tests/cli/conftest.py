"""Fixtures for CLI tests: the threaded emulator's credentials in the environment, a runner, and
the emulators the tests that act on reports share (one account; an organization audited once)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_support import Cli
from report_support import (
    Audited,
    Served,
    account_emulator,
    audited_once,
    organization_emulator,
    point_at,
    serving,
)

from imgperms_async.emulator import Emulator
from imgperms_async.emulator._credentials import DEFAULT_CREDENTIALS


@pytest.fixture
def emulator_keys(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The keys every emulator accepts unless told otherwise, as botocore's environment variables,
    region left out: for a test that serves an emulator, or another server, of its own."""
    credentials = DEFAULT_CREDENTIALS[0]
    variables = {
        "AWS_ACCESS_KEY_ID": credentials.access_key,
        "AWS_SECRET_ACCESS_KEY": credentials.secret_key,
    }
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    return variables


@pytest.fixture
def aws_env(threaded_emulator: Emulator, emulator_keys: dict[str, str]) -> dict[str, str]:
    """The threaded emulator's credentials in the environment."""
    assert threaded_emulator.credentials.access_key == emulator_keys["AWS_ACCESS_KEY_ID"]
    return emulator_keys


@pytest.fixture
def cli(threaded_emulator: Emulator, aws_env: dict[str, str]) -> Cli:
    return Cli(threaded_emulator.endpoint_url)


@pytest.fixture
def one(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Served]:
    with serving(monkeypatch, tmp_path, account_emulator(), organization=False) as served:
        yield served


@pytest.fixture(scope="module")
def org_audit(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Audited]:
    with audited_once(
        tmp_path_factory.mktemp("org"), organization_emulator(), organization=True
    ) as audited:
        yield audited


@pytest.fixture
def seen(org_audit: Audited, monkeypatch: pytest.MonkeyPatch) -> Audited:
    """The organization audited once, the environment pointed at it: for tests that change
    nothing."""
    point_at(monkeypatch, org_audit.served.emu)
    return org_audit
