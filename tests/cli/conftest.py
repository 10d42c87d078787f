"""Fixtures for CLI tests: the threaded emulator's credentials in the environment, and a runner."""

from __future__ import annotations

import pytest
from cli_support import Cli

from imgperms_async.emulator import Emulator


@pytest.fixture
def aws_env(threaded_emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The emulator's credentials as botocore's environment variables, region left out."""
    variables = {
        "AWS_ACCESS_KEY_ID": threaded_emulator.credentials.access_key,
        "AWS_SECRET_ACCESS_KEY": threaded_emulator.credentials.secret_key,
    }
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    return variables


@pytest.fixture
def cli(threaded_emulator: Emulator, aws_env: dict[str, str]) -> Cli:
    return Cli(threaded_emulator.endpoint_url)
