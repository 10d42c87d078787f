"""Fixtures for emulator tests: boto3 as the reference client, raw signed and unsigned requests.

The served `emulator` and `threaded_emulator` come from the root conftest."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp
import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

from imgperms_async.emulator import Emulator, EmulatorCredentials

JSON_11 = "application/x-amz-json-1.1"


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def error_code(self) -> str:
        return str(self.json["__type"])


def botocore_signed(
    emulator: Emulator,
    operation: str,
    payload: dict[str, Any] | bytes,
    *,
    credentials: EmulatorCredentials | None = None,
    region: str = "us-east-1",
    content_type: str = JSON_11,
) -> tuple[dict[str, str], bytes]:
    """Headers and body exactly as botocore's reference signer produces them."""
    cred = credentials or emulator.credentials
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    request = AWSRequest(
        method="POST",
        url=emulator.endpoint_url + "/",
        data=body,
        headers={"Content-Type": content_type, "X-Amz-Target": f"WorkspacesService.{operation}"},
    )
    SigV4Auth(
        Credentials(cred.access_key, cred.secret_key, cred.session_token), "workspaces", region
    ).add_auth(request)
    return dict(request.headers.items()), body


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
def ask(http_session: aiohttp.ClientSession) -> Callable[..., Awaitable[Answer]]:
    """Sign with botocore and send to a given emulator: the common well-formed request."""

    async def ask(
        target: Emulator, operation: str, payload: dict[str, Any] | bytes, **options: Any
    ) -> Answer:
        headers, body = botocore_signed(target, operation, payload, **options)
        async with http_session.post(
            target.endpoint_url + "/", headers=headers, data=body
        ) as response:
            return Answer(response.status, dict(response.headers), await response.read())

    return ask


@pytest.fixture
def call(
    emulator: Emulator, ask: Callable[..., Awaitable[Answer]]
) -> Callable[..., Awaitable[Answer]]:
    """`ask` the default emulator."""

    async def call(operation: str, payload: dict[str, Any] | bytes, **options: Any) -> Answer:
        return await ask(emulator, operation, payload, **options)

    return call


def make_boto_client(
    target: Emulator, *, credentials: EmulatorCredentials | None = None, region: str = "us-east-1"
) -> Any:
    cred = credentials or target.credentials
    return boto3.session.Session().client(
        "workspaces",
        endpoint_url=target.endpoint_url,
        region_name=region,
        aws_access_key_id=cred.access_key,
        aws_secret_access_key=cred.secret_key,
        aws_session_token=cred.session_token,
        config=Config(retries={"max_attempts": 1}),
    )


@pytest.fixture
def boto_factory(threaded_emulator: Emulator) -> Iterator[Callable[..., Any]]:
    clients: list[Any] = []

    def factory(**options: Any) -> Any:
        clients.append(make_boto_client(threaded_emulator, **options))
        return clients[-1]

    yield factory
    for client in clients:
        client.close()


@pytest.fixture
def boto(boto_factory: Callable[..., Any]) -> Any:
    return boto_factory()
