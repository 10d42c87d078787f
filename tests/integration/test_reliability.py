"""Nothing lost, nothing silently wrong: throttling at any width, redirects, bodies that are not
answers, and errors no request can get past, against the emulator and small loopback servers."""

from __future__ import annotations

import json
import ssl
from typing import Any

import pytest
import trustme
from aiohttp import web
from botocore.exceptions import SSLError
from servers import LoopbackServer

from imgperms_async import (
    ClientConfig,
    ClientError,
    ImagePermissionsClient,
    InvalidSettingError,
    MalformedResponseError,
)
from imgperms_async.emulator import Emulator

from .conftest import client_for as emulator_client_for

KEYS: dict[str, Any] = {"aws_access_key_id": "AKIDLOOP", "aws_secret_access_key": "loop-secret"}


def client_for(endpoint_url: str, **config: Any) -> ImagePermissionsClient:
    return ImagePermissionsClient(
        region_name="us-east-1",
        endpoint_url=endpoint_url,
        config=ClientConfig(**config),
        **KEYS,
    )


@pytest.mark.parametrize("concurrency", [256, 1024])
async def test_a_rate_limited_audit_loses_no_image_however_wide(concurrency: int) -> None:
    async with (
        Emulator(images=300, seed=4, rate=400, burst=10) as emu,
        emulator_client_for(emu, max_connections=concurrency) as client,
    ):
        results = [r async for r in client.fan_out(emu.owned_image_ids, concurrency=concurrency)]
        throttles = sum(client.stats.throttles.values())

    assert [r.error for r in results if r.error] == []
    assert {r.image_id: r.shared_account_ids for r in results} == dict(emu.truth)
    assert throttles < 60, "slow start never opens with the whole width at once"


def answering(status: int, payload: object, **headers: str) -> web.Application:
    async def handler(request: web.Request) -> web.Response:
        return web.json_response(payload, status=status, headers=headers)

    application = web.Application()
    application.router.add_post("/", handler)
    return application


@pytest.mark.parametrize("status", [302, 307])
async def test_a_redirect_is_an_error_and_never_an_empty_result(
    loopback_server: LoopbackServer, status: int
) -> None:
    followed: list[str] = []

    async def elsewhere(request: web.Request) -> web.Response:
        followed.append(request.path)
        return web.json_response({"status": "ok"})

    application = answering(status, {}, Location="/elsewhere")
    application.router.add_route("*", "/elsewhere", elsewhere)
    url = await loopback_server(application)

    async with client_for(url) as client:
        results = [r async for r in client.fan_out(["wsi-aaaaaaaaa"])]

    (result,) = results
    assert isinstance(result.error, ClientError)
    assert result.error.response["Error"]["Code"] == str(status)
    assert followed == []


@pytest.mark.parametrize(
    "body",
    [
        {"status": "ok"},
        {"ImagePermissions": []},
        {"ImageId": "wsi-somethingelse", "ImagePermissions": []},
        {"ImageId": "wsi-aaaaaaaaa"},
        {"ImageId": "wsi-aaaaaaaaa", "ImagePermissions": "none"},
        {"ImageId": "wsi-aaaaaaaaa", "ImagePermissions": [{"SharedAccountId": 123}]},
        {"ImageId": "wsi-aaaaaaaaa", "ImagePermissions": [], "NextToken": 5},
    ],
    ids=["status", "no-image-id", "other-image", "no-permissions", "not-a-list", "number",
         "token-number"],
)  # fmt: skip
async def test_a_200_that_is_not_this_images_answer_is_malformed(
    loopback_server: LoopbackServer, body: dict[str, object]
) -> None:
    url = await loopback_server(answering(200, body))

    async with client_for(url, max_attempts=2) as client:
        with pytest.raises(MalformedResponseError):
            await client.describe_workspace_image_permissions(ImageId="wsi-aaaaaaaaa")


@pytest.mark.parametrize(
    "body",
    [{"status": "ok"}, {"Images": "none"}, {"Images": [{"Name": "no id"}]}, {"Images": [5]}],
    ids=["status", "not-a-list", "no-image-id", "not-an-object"],
)
async def test_an_image_listing_that_is_not_one_is_malformed(
    loopback_server: LoopbackServer, body: dict[str, object]
) -> None:
    url = await loopback_server(answering(200, body))

    async with client_for(url, max_attempts=2) as client:
        with pytest.raises(MalformedResponseError):
            [image_id async for image_id in client.iter_image_ids()]


async def test_a_rejected_signature_costs_a_few_requests_not_one_per_image() -> None:
    async with (
        Emulator(images=200, seed=4) as emu,
        ImagePermissionsClient(
            region_name="us-east-1",
            endpoint_url=emu.endpoint_url,
            aws_access_key_id=emu.credentials.access_key,
            aws_secret_access_key="not-the-secret",
        ) as client,
    ):
        results = [r async for r in client.fan_out(emu.owned_image_ids, concurrency=32)]

    assert len(results) == 200
    assert {
        r.error.response["Error"]["Code"] for r in results if isinstance(r.error, ClientError)
    } == {"InvalidSignatureException"}
    assert len(emu.requests) <= 32


async def test_an_untrusted_certificate_fails_at_once_and_every_later_image_without_a_request(
    loopback_server: LoopbackServer,
) -> None:
    authority = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    url = await loopback_server(answering(200, {}), ssl_context=context)

    async with client_for(url) as client:
        results = [r async for r in client.fan_out([f"wsi-{n:09d}" for n in range(50)])]
        stats = client.stats

    assert all(isinstance(r.error, SSLError) for r in results)
    assert stats.retries == 0
    assert stats.requests <= 2


@pytest.mark.parametrize("endpoint", ["", "notaurl", "ftp://x", "http://127.0.0.1:99999"])
async def test_the_library_refuses_a_bad_endpoint_naming_it(endpoint: str) -> None:
    with pytest.raises(InvalidSettingError, match=json.dumps(endpoint)[1:-1] or "''"):
        async with client_for(endpoint):
            pass


async def test_the_library_refuses_an_empty_region() -> None:
    with pytest.raises(ValueError, match="region ''"):
        async with ImagePermissionsClient(
            region_name="", endpoint_url="http://127.0.0.1:1", **KEYS
        ):
            pass
