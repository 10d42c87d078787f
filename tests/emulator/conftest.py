"""Fixtures for emulator tests: boto3 clients, raw signed and unsigned requests, an organization.

The served `emulator` and `threaded_emulator` come from the root conftest; `organization` is a
small seeded organization served from a thread; `aws(emulator, service, ...)` makes boto3 clients.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any, Protocol

import aiohttp
import pytest
from emulator_support import Answer, AwsClients, aws_client, botocore_signed

from imgperms_async.emulator import Emulator


class Send(Protocol):
    def __call__(
        self, headers: dict[str, str], body: bytes, *, method: str = ..., path: str = ...
    ) -> Awaitable[Answer]: ...


@pytest.fixture
async def http_session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def send(emulator: Emulator, http_session: aiohttp.ClientSession) -> Send:
    async def send(
        headers: dict[str, str], body: bytes, *, method: str = "POST", path: str = "/"
    ) -> Answer:
        async with http_session.request(
            method, emulator.endpoint_url + path, headers=headers, data=body
        ) as response:
            return Answer(response.status, dict(response.headers), await response.read())

    return send


@pytest.fixture
def sign(emulator: Emulator) -> Callable[..., tuple[dict[str, str], bytes]]:
    def sign(operation: str, payload: dict[str, Any] | bytes, **options: Any) -> Any:
        return botocore_signed(emulator, operation, payload, **options)

    return sign


@pytest.fixture
def post(http_session: aiohttp.ClientSession) -> Callable[..., Awaitable[Answer]]:
    """Send prepared headers and body to a given emulator."""

    async def post(target: Emulator, headers: dict[str, str], body: bytes) -> Answer:
        async with http_session.post(
            target.endpoint_url + "/", headers=headers, data=body
        ) as response:
            return Answer(response.status, dict(response.headers), await response.read())

    return post


@pytest.fixture
def ask(post: Callable[..., Awaitable[Answer]]) -> Callable[..., Awaitable[Answer]]:
    """Sign with botocore and send to a given emulator: the common well-formed request."""

    async def ask(
        target: Emulator, operation: str, payload: dict[str, Any] | bytes, **options: Any
    ) -> Answer:
        return await post(target, *botocore_signed(target, operation, payload, **options))

    return ask


@pytest.fixture
def call(
    emulator: Emulator, ask: Callable[..., Awaitable[Answer]]
) -> Callable[..., Awaitable[Answer]]:
    """`ask` the default emulator."""

    async def call(operation: str, payload: dict[str, Any] | bytes, **options: Any) -> Answer:
        return await ask(emulator, operation, payload, **options)

    return call


@pytest.fixture
def aws() -> Iterator[AwsClients]:
    """`aws(emulator, "sts", ...)`: boto3 clients as aws_client makes them, closed afterwards."""
    made: list[Any] = []

    def make(target: Emulator, service: str, **options: Any) -> Any:
        made.append(aws_client(target, service, **options))
        return made[-1]

    yield make
    for client in made:
        client.close()


@pytest.fixture
def boto_factory(threaded_emulator: Emulator, aws: AwsClients) -> Callable[..., Any]:
    """WorkSpaces clients for the threaded default emulator."""

    def factory(**options: Any) -> Any:
        return aws(threaded_emulator, "workspaces", **options)

    return factory


@pytest.fixture
def boto(boto_factory: Callable[..., Any]) -> Any:
    return boto_factory()


@pytest.fixture
def organization() -> Iterator[Emulator]:
    """Six members in us-east-1, eu-west-1 and af-south-1: one suspended, some without
    af-south-1, images of every kind."""
    with Emulator(accounts=6, seed=11) as served:
        yield served
