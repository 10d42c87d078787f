"""boto3 is the reference: for the same server answer, this client returns the same dict."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import boto3_clients
import pytest
from aiohttp import web
from botocore.config import Config
from botocore.exceptions import ClientError as BotocoreClientError
from moto_support import moto_server, seed_moto_image

from imgperms_async import ClientConfig, ImagePermissionsClient

CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
FIXED_HEADERS = {"x-amzn-RequestId": "fixed-request-id", "Date": "Sun, 29 Nov 2026 01:00:00 GMT"}
ANSWERS: dict[str, tuple[int, dict[str, Any]]] = {
    "DescribeWorkspaceImagePermissions": (
        200,
        {
            "ImageId": "wsi-abc123def",
            "ImagePermissions": [
                {"SharedAccountId": "111122223333"},
                {"SharedAccountId": "444455556666"},
            ],
            "NextToken": "page-2",
        },
    ),
    "DescribeWorkspaceImages": (
        200,
        {
            "Images": [
                {
                    "ImageId": "wsi-abc123def",
                    "Name": "golden",
                    "OperatingSystem": {"Type": "WINDOWS"},
                    "State": "AVAILABLE",
                    "Created": 1700000000.25,
                    "OwnerAccountId": "123456789012",
                }
            ]
        },
    ),
}


def boto3_client(endpoint_url: str) -> Any:
    return boto3_clients.client(
        "workspaces",
        endpoint_url=endpoint_url,
        region_name="us-east-1",
        config=Config(retries={"mode": "standard", "max_attempts": 1}),
        **CREDENTIALS,
    )


def our_client(endpoint_url: str) -> ImagePermissionsClient:
    return ImagePermissionsClient(
        endpoint_url=endpoint_url,
        region_name="us-east-1",
        config=ClientConfig(max_attempts=1),
        aws_access_key_id=CREDENTIALS["aws_access_key_id"],
        aws_secret_access_key=CREDENTIALS["aws_secret_access_key"],
    )


@pytest.fixture
async def canned_server() -> AsyncIterator[str]:
    """Answers each operation with a fixed body and fixed headers, so two clients see the same."""
    failing = {"wsi-missing00": ("ResourceNotFoundException", "The image does not exist.")}

    async def handle(request: web.Request) -> web.Response:
        operation = request.headers["X-Amz-Target"].split(".", 1)[1]
        body = await request.json()
        if (error := failing.get(body.get("ImageId", ""))) is not None:
            code, message = error
            payload = {"__type": code, "message": message}
            return web.Response(
                status=400,
                body=json.dumps(payload),
                headers={**FIXED_HEADERS, "Content-Type": "application/x-amz-json-1.1"},
            )
        status, payload = ANSWERS[operation]
        return web.Response(
            status=status,
            body=json.dumps(payload),
            headers={**FIXED_HEADERS, "Content-Type": "application/x-amz-json-1.1"},
        )

    app = web.Application()
    app.router.add_post("/", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    yield f"http://{host}:{port}"
    await runner.cleanup()


@pytest.mark.parametrize(
    ("method", "params"),
    [
        ("describe_workspace_image_permissions", {"ImageId": "wsi-abc123def", "MaxResults": 2}),
        ("describe_workspace_images", {"ImageType": "OWNED"}),
    ],
)
async def test_same_answer_gives_the_same_dict_as_boto3(
    canned_server: str, method: str, params: dict[str, Any]
) -> None:
    expected = await asyncio.to_thread(getattr(boto3_client(canned_server), method), **params)
    async with our_client(canned_server) as client:
        actual = await getattr(client, method)(**params)
    assert actual == expected


async def test_same_error_gives_the_same_response_as_boto3(canned_server: str) -> None:
    with pytest.raises(BotocoreClientError) as reference:
        await asyncio.to_thread(
            boto3_client(canned_server).describe_workspace_image_permissions,
            ImageId="wsi-missing00",
        )
    async with our_client(canned_server) as client:
        with pytest.raises(BotocoreClientError) as ours:
            await client.describe_workspace_image_permissions(ImageId="wsi-missing00")
    assert ours.value.response == reference.value.response
    assert str(ours.value) == str(reference.value)
    assert type(ours.value).__name__ == type(reference.value).__name__


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    with moto_server() as url:
        yield url


def without_volatile_metadata(response: dict[str, Any]) -> dict[str, Any]:
    """Request ids and dates differ between two requests; everything else must not."""
    metadata = dict(response["ResponseMetadata"])
    headers = {
        k: v
        for k, v in metadata.pop("HTTPHeaders").items()
        if k not in {"date", "x-amzn-requestid"}
    }
    metadata.pop("RequestId")
    return {**response, "ResponseMetadata": {**metadata, "HTTPHeaders": headers}}


@pytest.mark.slow
async def test_answers_equal_boto3s_from_motos_server(moto_endpoint: str) -> None:
    accounts = ["111122223333", "444455556666", "777788889999"]
    image_id = await asyncio.to_thread(seed_moto_image, moto_endpoint, accounts)
    expected = await asyncio.to_thread(
        boto3_client(moto_endpoint).describe_workspace_image_permissions, ImageId=image_id
    )
    async with our_client(moto_endpoint) as client:
        actual = await client.describe_workspace_image_permissions(ImageId=image_id)
        owned = [i async for i in client.iter_image_ids()]
    assert without_volatile_metadata(actual) == without_volatile_metadata(expected)
    assert [p["SharedAccountId"] for p in actual["ImagePermissions"]] == accounts
    assert image_id in owned


@pytest.mark.slow
async def test_image_listing_equals_boto3s_from_motos_server(moto_endpoint: str) -> None:
    await asyncio.to_thread(seed_moto_image, moto_endpoint, [])
    expected = await asyncio.to_thread(
        boto3_client(moto_endpoint).describe_workspace_images, ImageType="OWNED"
    )
    async with our_client(moto_endpoint) as client:
        actual = await client.describe_workspace_images(ImageType="OWNED")
    assert without_volatile_metadata(actual) == without_volatile_metadata(expected)
