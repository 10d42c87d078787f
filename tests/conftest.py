"""Every test starts from an empty AWS environment: no real profile, credentials or IMDS is consulted.

`emulator` and `threaded_emulator` are the suite's one default emulator (40 images, seed 7), served
in the test's event loop or from a background thread for synchronous clients; `loopback_server`
serves the small aiohttp apps some tests need.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from botocore.loaders import create_loader
from servers import LoopbackServer, loopback_servers

from imgperms_async.emulator import Emulator


@pytest.fixture(autouse=True)
def isolated_aws_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
async def emulator() -> AsyncIterator[Emulator]:
    async with Emulator(images=40, seed=7) as served:
        yield served


@pytest.fixture
def threaded_emulator() -> Iterator[Emulator]:
    with Emulator(images=40, seed=7) as served:
        yield served


@pytest.fixture
async def loopback_server() -> AsyncIterator[LoopbackServer]:
    """Serves aiohttp apps on 127.0.0.1 with a free port; stopped after the test."""
    async with loopback_servers() as serve:
        yield serve


_LOADER = create_loader()


@pytest.fixture
def one_botocore_loader(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each organization audit reads botocore's configuration into a session of its own, which
    would load the STS, Organizations and EC2 models again (a good part of a second, each time):
    with this fixture every session shares one loader."""
    monkeypatch.setattr("botocore.session.create_loader", lambda *args, **kwargs: _LOADER)
