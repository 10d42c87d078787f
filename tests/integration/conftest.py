"""The real client against the real emulator over loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from imgperms_async import ClientConfig, ImagePermissionsClient
from imgperms_async.emulator import Emulator

ClientFactory = Callable[..., ImagePermissionsClient]


def client_for(emu: Emulator, **config: Any) -> ImagePermissionsClient:
    """A client aimed at ``emu`` with its default (session-token-free) credentials."""
    return ImagePermissionsClient(
        region_name="us-east-1",
        endpoint_url=emu.endpoint_url,
        aws_access_key_id=emu.credentials.access_key,
        aws_secret_access_key=emu.credentials.secret_key,
        config=ClientConfig(**config),
    )


def account(n: int) -> str:
    return f"{n:012d}"


def shared_with(count: int, *, start: int = 1) -> list[str]:
    return [account(start + i) for i in range(count)]


@pytest.fixture
async def many_images_emulator() -> AsyncIterator[Emulator]:
    """Enough images that listing them takes a dozen pages."""
    async with Emulator(images=300, seed=7) as emu:
        yield emu
