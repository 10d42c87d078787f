"""The client sends correctly signed JSON 1.1 requests and answers as boto3 does (HTTP mocked)."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from aioresponses import CallbackResult, aioresponses
from botocore.exceptions import ConnectionClosedError, EndpointConnectionError, NoCredentialsError
from multidict import CIMultiDict

import imgperms_async
from imgperms_async import (
    ClientClosedError,
    ClientConfig,
    ImagePermissionsClient,
    ParamValidationError,
    ResourceNotFoundException,
)
from imgperms_async.emulator import EmulatorCredentials
from imgperms_async.emulator._sigv4 import SignedRequest, SigV4Verifier

ENDPOINT = "https://workspaces.test.example"
URL = re.compile(r"^https://workspaces\.test\.example/$")
IMAGE = "wsi-abc123def"
PAGE = {"ImageId": IMAGE, "ImagePermissions": [{"SharedAccountId": "111122223333"}]}


def client(**overrides: Any) -> ImagePermissionsClient:
    arguments: dict[str, Any] = {
        "region_name": "us-east-1",
        "endpoint_url": ENDPOINT,
        "aws_access_key_id": "AKIDUNIT",
        "aws_secret_access_key": "unit-secret",
        "config": ClientConfig(max_attempts=1),
    }
    arguments.update(overrides)
    return ImagePermissionsClient(**arguments)


@pytest.fixture
def http() -> AsyncIterator[aioresponses]:
    with aioresponses() as mocked:
        yield mocked


def sent(http: aioresponses) -> list[dict[str, Any]]:
    """Each request aioresponses saw, as keyword arguments."""
    return [call.kwargs for calls in http.requests.values() for call in calls]


def verify_independently(
    request: dict[str, Any], credentials: EmulatorCredentials, *, now: float | None = None
) -> None:
    headers = CIMultiDict(request["headers"])
    headers["Host"] = urlsplit(ENDPOINT).netloc
    clock = (lambda: now) if now is not None else __import__("time").time
    SigV4Verifier([credentials], clock=clock).verify(
        SignedRequest("POST", "/", "", headers, request["data"])
    )


async def test_request_is_a_signed_json_1_1_post(http: aioresponses) -> None:
    http.post(URL, payload=PAGE)
    async with client() as c:
        await c.describe_workspace_image_permissions(ImageId=IMAGE, MaxResults=10)
    (request,) = sent(http)
    assert (
        request["headers"]["X-Amz-Target"] == "WorkspacesService.DescribeWorkspaceImagePermissions"
    )
    assert request["headers"]["Content-Type"] == "application/x-amz-json-1.1"
    assert json.loads(request["data"]) == {"ImageId": IMAGE, "MaxResults": 10}


async def test_signed_headers_are_host_date_target_and_content_type(http: aioresponses) -> None:
    http.post(URL, payload=PAGE)
    async with client() as c:
        await c.describe_workspace_image_permissions(ImageId=IMAGE)
    authorization = sent(http)[0]["headers"]["Authorization"]
    assert "SignedHeaders=content-type;host;x-amz-date;x-amz-target," in authorization
    assert "Credential=AKIDUNIT/" in authorization
    assert "/us-east-1/workspaces/aws4_request" in authorization


async def test_signature_passes_an_independent_sigv4_verifier(http: aioresponses) -> None:
    http.post(URL, payload=PAGE)
    async with client() as c:
        await c.describe_workspace_image_permissions(ImageId=IMAGE)
    verify_independently(sent(http)[0], EmulatorCredentials("AKIDUNIT", "unit-secret"))


async def test_session_token_is_sent_signed_and_verified(http: aioresponses) -> None:
    http.post(URL, payload=PAGE)
    async with client(aws_session_token="the-token") as c:
        await c.describe_workspace_image_permissions(ImageId=IMAGE)
    request = sent(http)[0]
    assert request["headers"]["X-Amz-Security-Token"] == "the-token"
    assert "x-amz-security-token" in request["headers"]["Authorization"]
    verify_independently(request, EmulatorCredentials("AKIDUNIT", "unit-secret", "the-token"))


async def test_tampered_body_fails_the_independent_verifier(http: aioresponses) -> None:
    http.post(URL, payload=PAGE)
    async with client() as c:
        await c.describe_workspace_image_permissions(ImageId=IMAGE)
    request = {**sent(http)[0], "data": b'{"ImageId":"wsi-other0000"}'}
    with pytest.raises(Exception, match="signature"):
        verify_independently(request, EmulatorCredentials("AKIDUNIT", "unit-secret"))


async def test_user_agent_names_the_package_and_version(http: aioresponses) -> None:
    seen: list[str] = []

    def capture(url: Any, **kwargs: Any) -> CallbackResult:
        return CallbackResult(payload=PAGE)

    http.post(URL, callback=capture)
    async with client() as c:
        await c.describe_workspace_image_permissions(ImageId=IMAGE)
        seen.append(c._open.transport._session.headers["User-Agent"])  # type: ignore[union-attr]
    assert seen == [f"imgperms-async/{imgperms_async.__version__}"]


async def test_response_is_shaped_like_boto3(http: aioresponses) -> None:
    http.post(URL, payload={**PAGE, "NextToken": "next"}, headers={"x-amzn-RequestId": "rid-1"})
    async with client() as c:
        response = await c.describe_workspace_image_permissions(ImageId=IMAGE)
    metadata = response.pop("ResponseMetadata")
    assert response == {**PAGE, "NextToken": "next"}
    assert metadata["RequestId"] == "rid-1"
    assert metadata["HTTPStatusCode"] == 200
    assert metadata["RetryAttempts"] == 0
    assert all(name == name.lower() for name in metadata["HTTPHeaders"])


async def test_modeled_error_is_reachable_on_client_exceptions(http: aioresponses) -> None:
    http.post(URL, status=400, payload={"__type": "ResourceNotFoundException", "message": "gone"})
    async with client() as c:
        with pytest.raises(c.exceptions.ResourceNotFoundException) as caught:
            await c.describe_workspace_image_permissions(ImageId=IMAGE)
    assert isinstance(caught.value, ResourceNotFoundException)
    assert caught.value.response["Error"] == {
        "Code": "ResourceNotFoundException",
        "Message": "gone",
    }


async def test_invalid_input_raises_before_any_request(http: aioresponses) -> None:
    async with client() as c:
        with pytest.raises(ParamValidationError, match="ImageId"):
            await c.describe_workspace_image_permissions(ImageId="not-an-image")
    assert sent(http) == []


async def test_describe_workspace_images_validates_with_the_service_model(
    http: aioresponses,
) -> None:
    async with client() as c:
        with pytest.raises(ParamValidationError, match="MaxResults"):
            await c.describe_workspace_images(MaxResults=0)
    assert sent(http) == []


async def test_describe_workspace_images_parses_timestamps_as_boto3_does(
    http: aioresponses,
) -> None:
    http.post(URL, payload={"Images": [{"ImageId": IMAGE, "Created": 1700000000.5}]})
    async with client() as c:
        response = await c.describe_workspace_images(ImageType="OWNED")
    (image,) = response["Images"]
    assert image["Created"].timestamp() == 1700000000.5
    assert sent(http)[0]["headers"]["X-Amz-Target"] == "WorkspacesService.DescribeWorkspaceImages"


async def test_connection_failure_is_botocores_endpoint_error(http: aioresponses) -> None:
    from aiohttp import ClientConnectorError
    from aiohttp.client_reqrep import ConnectionKey

    key = ConnectionKey("workspaces.test.example", 443, True, True, None, None, None)
    http.post(URL, exception=ClientConnectorError(key, OSError(111, "refused")))
    async with client() as c:
        with pytest.raises(EndpointConnectionError, match=r"workspaces\.test\.example"):
            await c.describe_workspace_image_permissions(ImageId=IMAGE)


async def test_server_disconnect_is_botocores_connection_closed(http: aioresponses) -> None:
    from aiohttp import ServerDisconnectedError

    http.post(URL, exception=ServerDisconnectedError())
    async with client() as c:
        with pytest.raises(ConnectionClosedError):
            await c.describe_workspace_image_permissions(ImageId=IMAGE)


async def test_using_the_client_outside_async_with_is_a_clear_error() -> None:
    with pytest.raises(ClientClosedError, match="async with"):
        await client().describe_workspace_image_permissions(ImageId=IMAGE)


async def test_using_the_client_after_close_is_a_clear_error() -> None:
    c = client()
    async with c:
        pass
    with pytest.raises(ClientClosedError, match="closed"):
        await c.describe_workspace_image_permissions(ImageId=IMAGE)


async def test_closing_twice_is_harmless() -> None:
    c = client()
    async with c:
        pass
    await c.aclose()
    await c.aclose()


async def test_no_credentials_fail_before_any_request(http: aioresponses) -> None:
    with pytest.raises(NoCredentialsError):
        async with client(aws_access_key_id=None, aws_secret_access_key=None):
            pass
    assert sent(http) == []


def test_repr_shows_no_secret() -> None:
    text = repr(client(aws_session_token="tok-secret"))
    assert "unit-secret" not in text
    assert "tok-secret" not in text
