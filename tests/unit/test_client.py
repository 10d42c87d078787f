"""The client sends correctly signed JSON 1.1 requests and answers as boto3 does (in-memory transport)."""

from __future__ import annotations

import asyncio
import gc
import json
import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from botocore.exceptions import NoCredentialsError
from multidict import CIMultiDict

from imgperms_async import (
    AuditTotals,
    ClientClosedError,
    ClientConfig,
    HttpRequest,
    Identity,
    ImagePermissionsClient,
    InvalidSettingError,
    MockResponse,
    MockTransport,
    ParamValidationError,
    ResourceNotFoundException,
    ServiceClient,
)
from imgperms_async._aws_config import RetrySettings, ServiceEndpoint
from imgperms_async._client import Resolved, make_transport, scope_client
from imgperms_async._client_config import RetryMode
from imgperms_async._credentials import Credentials, StaticCredentialSource
from imgperms_async._pipeline import CallPipeline, rate_limiter
from imgperms_async._ratelimit import (
    AdaptiveRateLimiter,
    FixedRateLimiter,
    NoRateLimiter,
    SlowStart,
)
from imgperms_async._retry import Retrier
from imgperms_async.emulator import EmulatorCredentials
from imgperms_async.emulator._sigv4 import SignedRequest, SigV4Verifier

ENDPOINT = "https://workspaces.test.example"
IMAGE = "wsi-abc123def"
PAGE = {"ImageId": IMAGE, "ImagePermissions": [{"SharedAccountId": "111122223333"}]}


def answering(
    body: dict[str, Any], *, status: int = 200, headers: dict[str, str] | None = None
) -> MockTransport:
    return MockTransport(
        lambda request: MockResponse(status, headers or {}, json.dumps(body).encode())
    )


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
    transport = answering({**PAGE, "NextToken": "next"}, headers={"x-amzn-RequestId": "rid-1"})
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


async def test_a_listing_of_ids_the_model_refuses_sends_nothing() -> None:
    transport = answering({"Images": []})
    async with client(transport) as c:
        with pytest.raises(ParamValidationError, match="ImageType"):
            [image_id async for image_id in c.iter_image_ids(image_type="owned")]
    assert transport.requests == []


async def test_iter_image_ids_follows_every_page_of_the_listing() -> None:
    pages = iter(
        [
            {"Images": [{"ImageId": IMAGE, "Created": 1700000000.5}], "NextToken": "t1"},
            {"Images": [{"ImageId": "wsi-zzzzzzzzz"}]},
        ]
    )
    transport = MockTransport(lambda request: MockResponse(body=json.dumps(next(pages)).encode()))
    async with client(transport) as c:
        ids = [image_id async for image_id in c.iter_image_ids(page_size=1)]
    assert ids == [IMAGE, "wsi-zzzzzzzzz"]
    sent = [json.loads(request.body) for request in transport.requests]
    assert sent == [
        {"ImageType": "OWNED", "MaxResults": 1},
        {"ImageType": "OWNED", "MaxResults": 1, "NextToken": "t1"},
    ]


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


def test_max_rate_in_adaptive_mode_is_the_ceiling_of_the_adaptive_limiter() -> None:
    limiter = rate_limiter(ClientConfig(max_rate=2.0), RetrySettings())

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
    limiter = rate_limiter(ClientConfig(max_rate=max_rate), RetrySettings(retry_mode=retry_mode))

    assert isinstance(limiter, kind)


def test_the_retry_mode_of_the_config_beats_botocores() -> None:
    limiter = rate_limiter(
        ClientConfig(retry_mode="standard"), RetrySettings(retry_mode="adaptive")
    )

    assert isinstance(limiter, NoRateLimiter)


# --- who calls: an Identity or boto3's keywords -----------------------------------------------


async def test_an_identity_is_the_same_as_boto3s_keywords() -> None:
    transport = answering(PAGE)
    identity = Identity(
        region_name="eu-west-1",
        endpoint_url=ENDPOINT,
        aws_access_key_id="AKIDUNIT",
        aws_secret_access_key="unit-secret",
    )
    async with ImagePermissionsClient(
        identity=identity, config=ClientConfig(max_attempts=1), transport=transport
    ) as c:
        await c.describe_workspace_image_permissions(ImageId=IMAGE)
        assert (c.region_name, c.endpoint_url) == ("eu-west-1", ENDPOINT)
    assert "/eu-west-1/workspaces/aws4_request" in transport.requests[0].headers["Authorization"]


def test_an_identity_and_boto3s_keywords_together_are_refused() -> None:
    with pytest.raises(InvalidSettingError, match="identity= or region_name"):
        ImagePermissionsClient(identity=Identity(), region_name="us-east-1")


def test_a_bad_argument_is_refused_when_the_client_is_made() -> None:
    with pytest.raises(InvalidSettingError, match="eu-wset-1"):
        ImagePermissionsClient(region_name="eu-wset-1")


# --- a client whose settings are already resolved (an audit's scope) --------------------------


def resolved(url: str = ENDPOINT, region: str = "ap-south-1") -> Resolved:
    return Resolved(
        ServiceEndpoint(url, region, "workspaces"),
        StaticCredentialSource(Credentials("AKIDSCOPE", "scope-secret")),
        RetrySettings(max_attempts=1),
    )


async def test_a_scope_client_uses_its_endpoint_and_credentials_without_reading_botocore(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(
        "imgperms_async._client.read_config", lambda *a, **k: pytest.fail("configuration read")
    )
    transport = answering(PAGE)
    async with scope_client(
        resolved(), config=ClientConfig(), totals=AuditTotals(), transport=transport
    ) as c:
        await c.describe_workspace_image_permissions(ImageId=IMAGE)
        assert c.region_name == "ap-south-1"
    authorization = transport.requests[0].headers["Authorization"]
    assert "Credential=AKIDSCOPE/" in authorization
    assert "/ap-south-1/workspaces/aws4_request" in authorization


async def test_a_scope_clients_calls_add_to_the_audits_totals_as_they_are_made() -> None:
    totals = AuditTotals(requests=5)
    async with scope_client(
        resolved(), config=ClientConfig(), totals=totals, transport=answering(PAGE)
    ) as c:
        await c.describe_workspace_image_permissions(ImageId=IMAGE)
        assert totals == AuditTotals(requests=6)


async def test_a_scope_client_leaves_the_shared_transport_open() -> None:
    closed: list[bool] = []

    class Shared(MockTransport):
        async def aclose(self) -> None:
            closed.append(True)

    async with scope_client(
        resolved(),
        config=ClientConfig(),
        totals=AuditTotals(),
        transport=Shared(lambda r: MockResponse()),
    ):
        pass

    assert closed == []


async def test_a_scope_client_leaves_its_accounts_credentials_to_the_audit() -> None:
    # Every scope of an account shares its credentials: closing them at one scope's end would
    # cancel a renewal another scope of the account has in flight.
    closed: list[bool] = []

    class Shared(StaticCredentialSource):
        async def aclose(self) -> None:
            closed.append(True)

    given = resolved()
    given = Resolved(given.endpoint, Shared(Credentials("AKIDSCOPE", "s")), given.retry)
    async with scope_client(
        given, config=ClientConfig(), totals=AuditTotals(), transport=answering(PAGE)
    ) as c:
        await c.describe_workspace_image_permissions(ImageId=IMAGE)

    assert closed == []


def test_the_transport_made_uses_botocores_ca_bundle_when_the_config_names_none(
    tmp_path: Path,
) -> None:
    with pytest.raises(InvalidSettingError, match=r"from-botocore\.pem"):
        make_transport(ClientConfig(), RetrySettings(ca_bundle=str(tmp_path / "from-botocore.pem")))


def test_the_ca_bundle_of_the_config_beats_botocores(tmp_path: Path) -> None:
    with pytest.raises(InvalidSettingError, match=r"from-config\.pem"):
        make_transport(
            ClientConfig(ca_bundle=str(tmp_path / "from-config.pem")),
            RetrySettings(ca_bundle=str(tmp_path / "from-botocore.pem")),
        )


# --- any modeled operation, over the same pipeline --------------------------------------------


def pipeline(transport: MockTransport, service: str = "organizations") -> CallPipeline:
    return CallPipeline(
        service_endpoint=ServiceEndpoint("https://example.test", "us-east-1", service),
        credentials=StaticCredentialSource(Credentials("AKIDPIPE", "pipe-secret")),
        transport=transport,
        config=ClientConfig(max_attempts=2, retry_mode="standard"),
        retry=RetrySettings(),
    )


async def test_a_service_client_calls_any_modeled_operation_by_name() -> None:
    transport = answering({"Organization": {"Id": "o-abc", "MasterAccountId": "111122223333"}})
    organizations = ServiceClient("organizations", pipeline(transport))

    answer = await organizations.call("DescribeOrganization")

    assert answer["Organization"]["Id"] == "o-abc"
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 200
    (request,) = transport.requests
    assert request.headers["X-Amz-Target"] == "AWSOrganizationsV20161128.DescribeOrganization"
    assert "/us-east-1/organizations/aws4_request" in request.headers["Authorization"]


async def test_a_service_client_validates_before_sending() -> None:
    transport = answering({})
    organizations = ServiceClient("organizations", pipeline(transport))

    with pytest.raises(ParamValidationError, match="MaxResults"):
        await organizations.call("ListAccounts", MaxResults="many")

    assert transport.requests == []


async def test_a_service_client_retries_as_every_call_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    slept: list[float] = []

    async def sleep(secs: float) -> None:
        slept.append(secs)

    monkeypatch.setattr("imgperms_async._pipeline.Retrier", partial(Retrier, sleep=sleep))
    answers = iter(
        [
            MockResponse(500, {}, b'{"__type": "InternalFailure"}'),
            MockResponse(body=b'{"Accounts": []}'),
        ]
    )
    transport = MockTransport(lambda request: next(answers))
    organizations = ServiceClient("organizations", pipeline(transport))

    answer = await organizations.call("ListAccounts")

    assert answer["ResponseMetadata"]["RetryAttempts"] == 1
    assert len(transport.requests) == 2
    assert organizations.stats.snapshot().retries == 1
    assert len(slept) == 1, "it backed off once, on the injected sleep"


async def test_an_update_error_carries_its_modeled_members_as_boto3s_does() -> None:
    transport = answering(
        {"__type": "ResourceNotFoundException", "message": "gone", "ResourceId": IMAGE},
        status=400,
    )
    async with client(transport) as c:
        with pytest.raises(ResourceNotFoundException) as caught:
            await c.update_workspace_image_permission(
                ImageId=IMAGE, SharedAccountId="111122223333", AllowCopyImage=False
            )
    response: dict[str, Any] = dict(caught.value.response)
    assert (response["ResourceId"], response["message"]) == (IMAGE, "gone")


SCOPE = Resolved(
    ServiceEndpoint(ENDPOINT, "us-east-1", "workspaces"),
    StaticCredentialSource(Credentials("AKIDSCOPE", "scope-secret")),
    RetrySettings(),
)
"""What an audit resolves for one (account, region) before it makes the scope's client."""


async def test_closing_a_scope_client_whose_fan_outs_ended_takes_no_turn_of_the_loop() -> None:
    # An audit closes one per (account, region): waiting on its finished workers cost a turn.
    scope = scope_client(
        SCOPE, config=ClientConfig(), totals=AuditTotals(), transport=answering(PAGE)
    )
    turned: list[bool] = []
    async with scope:
        assert [r.image_id async for r in scope.fan_out([IMAGE])] == [IMAGE]
        asyncio.get_running_loop().call_soon(turned.append, True)

    assert turned == []


async def test_a_scope_client_is_freed_when_it_closes_without_the_cyclic_collector() -> None:
    # An audit makes one per (account, region): in a cycle, each waited for the collector,
    # whose passes over thousands of them took a fifth of a large audit's CPU.
    transport = answering(PAGE)

    async def one_scope() -> None:
        async with scope_client(
            SCOPE, config=ClientConfig(), totals=AuditTotals(), transport=transport
        ) as scope:
            assert [r.image_id async for r in scope.fan_out([IMAGE])] == [IMAGE]
            assert scope.stats.requests == 1

    await one_scope()  # whatever is made once per process is made now
    gc.collect()
    gc.disable()
    try:
        await one_scope()
        assert gc.collect() == 0
    finally:
        gc.enable()
