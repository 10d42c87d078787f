"""Fixtures for CLI tests: a threaded emulator, its credentials in the environment, a runner."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from cli_support import Cli

from imgperms_async.emulator import Emulator


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator(images=40, seed=7) as emulator:
        yield emulator


@pytest.fixture
def aws_env(emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The emulator's credentials as botocore's environment variables, region left out."""
    variables = {
        "AWS_ACCESS_KEY_ID": emu.credentials.access_key,
        "AWS_SECRET_ACCESS_KEY": emu.credentials.secret_key,
    }
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    return variables


@pytest.fixture
def cli(emu: Emulator, aws_env: dict[str, str]) -> Cli:
    return Cli(emu.endpoint_url)
