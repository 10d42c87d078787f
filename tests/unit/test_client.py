"""The client sends correctly signed JSON 1.1 requests and answers as boto3 does (in-memory transport)."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from botocore.exceptions import NoCredentialsError
from multidict import CIMultiDict

from imgperms_async import (
    ClientClosedError,
    ClientConfig,
    HttpRequest,
    ImagePermissionsClient,
    MockResponse,
    MockTransport,
    ParamValidationError,
    ResourceNotFoundException,
)
from imgperms_async._botocore_settings import Settings
from imgperms_async._client import _rate_limiter
from imgperms_async._client_config import RetryMode
from imgperms_async._credentials import Credentials
from imgperms_async._ratelimit import (
    AdaptiveRateLimiter,
    FixedRateLimiter,
    NoRateLimiter,
    SlowStart,
)
from imgperms_async.emulator import EmulatorCredentials
from imgperms_async.emulator._sigv4 import SignedRequest, SigV4Verifier

ENDPOINT = "https://workspaces.test.example"
IMAGE = "wsi-abc123def"
PAGE = {"ImageId": IMAGE, "ImagePermissions": [{"SharedAccountId": "111122223333"}]}


def answering(body: dict[str, Any], *, status: int = 200, **headers: str) -> MockTransport:
    return MockTransport(lambda request: MockResponse(status, headers, json.dumps(body).encode()))


def client(transport: MockTransport | None = None, **overrides: Any) -> ImagePermissionsClient:
    arguments: dict[str, Any] = {
        "region_name": "us-east-1",
        "endpoint_url": ENDPOINT,
        "aws_access_key_id": "AKIDUNIT",
        "aws_secret_access_key": "unit-secret",
        "config": ClientConfig(max_attempts=1),
        "transport": transport if transport is not None else answering(PAGE),
    }
    arguments.update(overrides)
    return ImagePermissionsClient(**arguments)


def verify_independently(
    request: HttpRequest, credentials: EmulatorCredentials, *, body: bytes | None = None
) -> None:
    headers = CIMultiDict(request.headers)
    headers["Host"] = urlsplit(ENDPOINT).netloc
    SigV4Verifier([credentials], clock=time.time).verify(
        SignedRequest("POST", "/", "", headers, request.body if body is None else body)
    )


async def test_request_is_a_signed_json_1_1_post() -> None:
    transport = answering(PAGE)
    async with client(transport) as c:
        await c.describe_workspace_image_permissions(ImageId=IMAGE, MaxResults=10)
    (request,) = transport.requests
    assert request.url == ENDPOINT + "/"
    assert request.headers["X-Amz-Target"] == "WorkspacesService.DescribeWorkspaceImagePermissions"
    assert request.headers["Content-Type"] == "application/x-amz-json-1.1"
    assert json.loads(request.body) == {"ImageId": IMAGE, "MaxResults": 10}


async def test_signed_headers_are_host_date_target_and_content_type() -> None:
    transport = answering(PAGE)
    async with client(transport) as c:
        await c.describe_workspace_image_permissions(ImageId=IMAGE)
    authorization = transport.requests[0].headers["Authorization"]
    assert "SignedHeaders=content-type;host;x-amz-date;x-amz-target," in authorization
    assert "Credential=AKIDUNIT/" in authorization
    assert "/us-east-1/workspaces/aws4_request" in authorization


async def test_signature_passes_an_independent_sigv4_verifier() -> None:
    transport = answering(PAGE)
    async with client(transport) as c:
        await c.describe_workspace_image_permissions(ImageId=IMAGE)
    verify_independently(transport.requests[0], EmulatorCredentials("AKIDUNIT", "unit-secret"))


async def test_session_token_is_sent_signed_and_verified() -> None:
    transport = answering(PAGE)
    async with client(transport, aws_session_token="the-token") as c:
        await c.describe_workspace_image_permissions(ImageId=IMAGE)
    (request,) = transport.requests
    assert request.headers["X-Amz-Security-Token"] == "the-token"
    assert "x-amz-security-token" in request.headers["Authorization"]
    verify_independently(request, EmulatorCredentials("AKIDUNIT", "unit-secret", "the-token"))


async def test_tampered_body_fails_the_independent_verifier() -> None:
    transport = answering(PAGE)
    async with client(transport) as c:
        await c.describe_workspace_image_permissions(ImageId=IMAGE)
    with pytest.raises(Exception, match="signature"):
        verify_independently(
            transport.requests[0],
            EmulatorCredentials("AKIDUNIT", "unit-secret"),
            body=b'{"ImageId":"wsi-other0000"}',
        )


async def test_response_is_shaped_like_boto3() -> None:
    transport = answering({**PAGE, "NextToken": "next"}, **{"x-amzn-RequestId": "rid-1"})
    async with client(transport) as c:
        response = await c.describe_workspace_image_permissions(ImageId=IMAGE)
    metadata = response.pop("ResponseMetadata")
    assert response == {**PAGE, "NextToken": "next"}
    assert metadata["RequestId"] == "rid-1"
    assert metadata["HTTPStatusCode"] == 200
    assert metadata["RetryAttempts"] == 0


async def test_modeled_error_is_reachable_on_client_exceptions() -> None:
    transport = answering({"__type": "ResourceNotFoundException", "message": "gone"}, status=400)
    async with client(transport) as c:
        with pytest.raises(c.exceptions.ResourceNotFoundException) as caught:
            await c.describe_workspace_image_permissions(ImageId=IMAGE)
    assert isinstance(caught.value, ResourceNotFoundException)
    assert caught.value.response["Error"] == {
        "Code": "ResourceNotFoundException",
        "Message": "gone",
    }


def test_client_exceptions_name_only_modeled_errors() -> None:
    with pytest.raises(AttributeError, match="NotAnError"):
        _ = client().exceptions.NotAnError


async def test_invalid_input_raises_before_any_request() -> None:
    transport = answering(PAGE)
    async with client(transport) as c:
        with pytest.raises(ParamValidationError, match="ImageId"):
            await c.describe_workspace_image_permissions(ImageId="not-an-image")
    assert transport.requests == []


async def test_describe_workspace_images_validates_with_the_service_model() -> None:
    transport = answering(PAGE)
    async with client(transport) as c:
        with pytest.raises(ParamValidationError, match="MaxResults"):
            await c.describe_workspace_images(MaxResults=0)
    assert transport.requests == []


async def test_describe_workspace_images_parses_timestamps_as_boto3_does() -> None:
    transport = answering({"Images": [{"ImageId": IMAGE, "Created": 1700000000.5}]})
    async with client(transport) as c:
        response = await c.describe_workspace_images(ImageType="OWNED")
    (image,) = response["Images"]
    assert image["Created"].timestamp() == 1700000000.5
    assert transport.requests[0].headers["X-Amz-Target"] == (
        "WorkspacesService.DescribeWorkspaceImages"
    )


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


async def test_a_given_transport_is_left_open_for_its_owner() -> None:
    closed: list[bool] = []

    class Owned(MockTransport):
        async def aclose(self) -> None:
            closed.append(True)

    async with client(Owned(lambda request: MockResponse(body=json.dumps(PAGE).encode()))):
        pass

    assert closed == []


async def test_no_credentials_fail_before_any_request() -> None:
    transport = answering(PAGE)
    with pytest.raises(NoCredentialsError):
        async with client(transport, aws_access_key_id=None, aws_secret_access_key=None):
            pass
    assert transport.requests == []


def test_repr_shows_no_secret() -> None:
    text = repr(client(aws_session_token="tok-secret"))
    assert "unit-secret" not in text
    assert "tok-secret" not in text


def run_in_another_loop(call: Callable[[], Any]) -> BaseException | None:
    """Await ``call()`` in a fresh event loop on another thread; the exception it raised."""
    failures: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(call())
        except BaseException as error:
            failures.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return failures[0] if failures else None


async def test_a_client_used_from_another_event_loop_says_so_and_sends_nothing() -> None:
    transport = answering(PAGE)

    async def fan_out(c: ImagePermissionsClient) -> None:
        c.fan_out([IMAGE])

    async with client(transport) as c:
        errors = [
            run_in_another_loop(lambda: c.describe_workspace_image_permissions(ImageId=IMAGE)),
            run_in_another_loop(lambda: fan_out(c)),
        ]

    for error in errors:
        assert isinstance(error, RuntimeError)
        assert "belongs to the loop that opened it" in str(error)
    assert transport.requests == []


async def test_a_plain_break_out_of_fan_out_sends_nothing_more() -> None:
    release = asyncio.Event()

    async def held(request: HttpRequest) -> MockResponse:
        image_id = json.loads(request.body)["ImageId"]
        if image_id != "wsi-000000000":
            await release.wait()
        return MockResponse(body=json.dumps({"ImageId": image_id, "ImagePermissions": []}).encode())

    transport = MockTransport(held)
    ids = [f"wsi-{n:09d}" for n in range(100)]
    async with client(transport) as c:
        before = asyncio.all_tasks()
        async for _ in c.fan_out(ids, concurrency=8):
            break
        for _ in range(5):
            await asyncio.sleep(0)
        sent = len(transport.requests)
        release.set()
        for _ in range(5):
            await asyncio.sleep(0)

        assert asyncio.all_tasks() - before == set()
        assert len(transport.requests) == sent <= 8


def settings_of(retry_mode: RetryMode | None = None) -> Settings:
    return Settings(
        region_name="us-east-1",
        endpoint_url="https://workspaces.us-east-1.amazonaws.com",
        credentials=Credentials("AKIDEXAMPLE", "secret"),
        ca_bundle=None,
        max_attempts=None,
        retry_mode=retry_mode,
    )


def test_max_rate_in_adaptive_mode_is_the_ceiling_of_the_adaptive_limiter() -> None:
    limiter = _rate_limiter(ClientConfig(max_rate=2.0), settings_of())

    assert isinstance(limiter, AdaptiveRateLimiter)
    assert limiter.enabled
    assert limiter.rate_per_sec == 2.0


@pytest.mark.parametrize(
    ("retry_mode", "max_rate", "kind"),
    [
        ("adaptive", None, SlowStart),
        ("standard", 2.0, FixedRateLimiter),
        ("standard", None, NoRateLimiter),
    ],
)
def test_each_retry_mode_and_max_rate_gets_its_limiter(
    retry_mode: RetryMode, max_rate: float | None, kind: type[object]
) -> None:
    limiter = _rate_limiter(ClientConfig(max_rate=max_rate), settings_of(retry_mode))

    assert isinstance(limiter, kind)
