"""An ``Endpoint`` calls an ``Operation``: the hot path's JSON 1.1 answers become boto3-shaped
dicts or the right ClientError, whatever the server sends."""

from __future__ import annotations

import json
from typing import Any

import pytest

from imgperms_async import (
    AccessDeniedException,
    ClientError,
    InvalidParameterValuesException,
    MalformedResponseError,
    ResourceNotFoundException,
    ThrottlingException,
)
from imgperms_async._http import HttpRequest, HttpResponse
from imgperms_async._protocol import (
    IMAGE_IDS,
    IMAGE_PERMISSIONS,
    Endpoint,
    JsonOperation,
    parse_error,
)

OPERATION = "DescribeWorkspaceImagePermissions"
EMPTY_PAGE = {"ImageId": "wsi-abc123def", "ImagePermissions": []}


def answer(status: int, body: bytes | dict[str, Any], **headers: str) -> HttpResponse:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    merged = {
        "x-amzn-requestid": "req-1",
        **{k.lower().replace("_", "-"): v for k, v in headers.items()},
    }
    return HttpResponse(status, merged, raw, sent_at=100.0, received_at=100.2)


class Recorder:
    def __init__(self, response: HttpResponse) -> None:
        self.response = response
        self.requests: list[HttpRequest] = []
        self.dates: list[tuple[str | None, float, float]] = []

    async def send(self, request: HttpRequest) -> HttpResponse:
        self.requests.append(request)
        return self.response

    def observe(self, date_header: str | None, *, sent_at: float, received_at: float) -> None:
        self.dates.append((date_header, sent_at, received_at))


def endpoint(recorder: Recorder, url: str = "https://workspaces.example") -> Endpoint:
    return Endpoint(url=url, send=recorder.send, observe_date=recorder.observe)


async def call(response: HttpResponse, params: dict[str, Any] | None = None) -> dict[str, Any]:
    recorder = Recorder(response)
    return await endpoint(recorder).call(IMAGE_PERMISSIONS, params or {"ImageId": "wsi-abc123def"})


async def test_request_is_a_json_1_1_post_to_the_target() -> None:
    recorder = Recorder(answer(200, EMPTY_PAGE))
    await endpoint(recorder).call(IMAGE_PERMISSIONS, {"ImageId": "wsi-abc123def", "MaxResults": 5})
    (request,) = recorder.requests
    assert request.url == "https://workspaces.example/"
    assert request.method == "POST"
    assert request.headers == {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "WorkspacesService.DescribeWorkspaceImagePermissions",
    }
    assert json.loads(request.body) == {"ImageId": "wsi-abc123def", "MaxResults": 5}


async def test_success_is_shaped_like_boto3() -> None:
    body = {
        "ImageId": "wsi-abc123def",
        "ImagePermissions": [{"SharedAccountId": "111122223333"}],
        "NextToken": "t1",
    }
    result = await call(answer(200, body, date="Sun, 29 Nov 2026 01:00:00 GMT"))
    assert result == {
        **body,
        "ResponseMetadata": {
            "RequestId": "req-1",
            "HTTPStatusCode": 200,
            "HTTPHeaders": {"x-amzn-requestid": "req-1", "date": "Sun, 29 Nov 2026 01:00:00 GMT"},
            "RetryAttempts": 0,
        },
    }


async def test_null_next_token_is_omitted_as_boto3_does() -> None:
    result = await call(
        answer(200, {"ImageId": "wsi-abc123def", "ImagePermissions": [], "NextToken": None})
    )
    assert "NextToken" not in result


async def test_unknown_members_are_dropped() -> None:
    result = await call(answer(200, {**EMPTY_PAGE, "Surprise": 1}))
    assert "Surprise" not in result


async def test_date_header_is_reported_with_send_and_receive_times() -> None:
    recorder = Recorder(answer(200, EMPTY_PAGE, date="Sun, 29 Nov 2026 01:00:00 GMT"))
    await endpoint(recorder, "http://h").call(IMAGE_PERMISSIONS, {"ImageId": "wsi-abc123def"})
    assert recorder.dates == [("Sun, 29 Nov 2026 01:00:00 GMT", 100.0, 100.2)]


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[1, 2]",
        b'{"ImageId": "wsi-abc123def", "ImagePermissions": "all"}',
        b'{"ImageId": "wsi-abc123def", "ImagePermissions": [5]}',
        b'{"ImageId": "wsi-abc123def", "ImagePermissions": [{"SharedAccountId": 123}]}',
        b'{"ImageId": "wsi-abc123def", "ImagePermissions": [], "NextToken": 7}',
        b'{"ImageId": "wsi-abc123def"}',
        b"",
    ],
)
async def test_malformed_success_body_is_an_error_not_a_crash(body: bytes) -> None:
    with pytest.raises(MalformedResponseError):
        await call(answer(200, body))


@pytest.mark.parametrize(
    ("response", "code"),
    [
        (
            answer(400, {"__type": "ResourceNotFoundException", "message": "m"}),
            "ResourceNotFoundException",
        ),
        (
            answer(
                400, {"__type": "com.amazonaws.workspaces#AccessDeniedException", "message": "m"}
            ),
            "AccessDeniedException",
        ),
        (
            answer(400, {"code": "InvalidParameterValuesException", "message": "m"}),
            "InvalidParameterValuesException",
        ),
        (
            answer(
                400,
                {"__type": "Ignored"},
                x_amzn_errortype="ThrottlingException:http://internal.amazon.com/",
            ),
            "ThrottlingException",
        ),
        (answer(400, {"__type": "aws.protocoljson#SomethingElse:extra"}), "SomethingElse"),
    ],
)
def test_error_code_is_parsed_as_botocore_does(response: HttpResponse, code: str) -> None:
    assert parse_error(response, OPERATION).response["Error"]["Code"] == code


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        ("ResourceNotFoundException", ResourceNotFoundException),
        ("AccessDeniedException", AccessDeniedException),
        ("InvalidParameterValuesException", InvalidParameterValuesException),
        ("ThrottlingException", ThrottlingException),
    ],
)
def test_modeled_errors_raise_their_subclass(code: str, cls: type[ClientError]) -> None:
    error = parse_error(answer(400, {"__type": code, "message": "m"}), OPERATION)
    assert type(error) is cls


def test_unmodeled_error_is_a_plain_client_error() -> None:
    error = parse_error(
        answer(400, {"__type": "UnrecognizedClientException", "message": "bad"}), OPERATION
    )
    assert type(error) is ClientError


@pytest.mark.parametrize("key", ["message", "Message", "MESSAGE"])
def test_message_key_is_case_insensitive(key: str) -> None:
    error = parse_error(answer(400, {"__type": "X", key: "the text"}), OPERATION)
    assert error.response["Error"]["Message"] == "the text"


def test_error_text_reads_like_botocores() -> None:
    error = parse_error(
        answer(400, {"__type": "ResourceNotFoundException", "message": "gone"}), OPERATION
    )
    assert str(error) == (
        "An error occurred (ResourceNotFoundException) when calling the "
        "DescribeWorkspaceImagePermissions operation: gone"
    )


def test_modeled_members_are_copied_to_the_top_as_boto3_does() -> None:
    error = parse_error(
        answer(
            400, {"__type": "ResourceNotFoundException", "message": "gone", "ResourceId": "wsi-1"}
        ),
        OPERATION,
    )
    response: dict[str, Any] = dict(error.response)
    assert response["message"] == "gone"
    assert response["ResourceId"] == "wsi-1"


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [(502, b"<html>Bad Gateway</html>", "Bad Gateway"), (500, b"", "Internal Server Error")],
)
def test_non_json_error_uses_the_status_as_code(status: int, body: bytes, message: str) -> None:
    error = parse_error(answer(status, body), OPERATION)
    assert type(error) is ClientError
    assert error.response["Error"] == {"Code": str(status), "Message": message}
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == status


def test_error_metadata_carries_request_id_and_headers() -> None:
    error = parse_error(answer(400, {"__type": "X"}), OPERATION)
    assert error.response["ResponseMetadata"] == {
        "RequestId": "req-1",
        "HTTPStatusCode": 400,
        "HTTPHeaders": {"x-amzn-requestid": "req-1"},
        "RetryAttempts": 0,
    }


async def test_error_status_raises_from_call() -> None:
    with pytest.raises(ResourceNotFoundException):
        await call(answer(400, {"__type": "ResourceNotFoundException", "message": "gone"}))


async def test_unknown_members_of_a_permission_are_dropped() -> None:
    body = {**EMPTY_PAGE, "ImagePermissions": [{"SharedAccountId": "111122223333", "Extra": 1}, {}]}
    result = await call(answer(200, body))
    assert result["ImagePermissions"] == [{"SharedAccountId": "111122223333"}, {}]


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"status": "ok"}, "ImageId is missing, not 'wsi-abc123def' as asked"),
        ({"ImagePermissions": []}, "ImageId is missing"),
        (
            {"ImageId": "wsi-other0000", "ImagePermissions": []},
            "ImageId is 'wsi-other0000', not 'wsi-abc123def' as asked",
        ),
    ],
)
async def test_an_answer_about_another_image_or_none_is_malformed_not_an_empty_page(
    body: dict[str, Any], problem: str
) -> None:
    with pytest.raises(MalformedResponseError, match=problem):
        await call(answer(200, body))


async def test_the_endpoint_url_gets_one_trailing_slash() -> None:
    recorder = Recorder(answer(200, EMPTY_PAGE))
    await endpoint(recorder, "https://workspaces.example///").call(
        IMAGE_PERMISSIONS, {"ImageId": "wsi-abc123def"}
    )
    assert recorder.requests[0].url == "https://workspaces.example/"


async def test_any_operation_is_called_through_the_endpoint() -> None:
    def shape(params: Any, response: HttpResponse, decoded: Any) -> dict[str, Any]:
        return {"Echo": decoded, "Asked": dict(params)}

    operation = JsonOperation("Prefix.", "Anything", shape)
    recorder = Recorder(answer(200, {"x": 1}))

    result = await endpoint(recorder).call(operation, {"A": 2})

    assert recorder.requests[0].headers["X-Amz-Target"] == "Prefix.Anything"
    assert (result["Echo"], result["Asked"]) == ({"x": 1}, {"A": 2})
    assert result["ResponseMetadata"]["RequestId"] == "req-1"


async def test_the_date_is_observed_before_an_error_is_raised() -> None:
    recorder = Recorder(answer(400, {"__type": "X"}, date="Sun, 29 Nov 2026 01:00:00 GMT"))
    with pytest.raises(ClientError):
        await endpoint(recorder).call(IMAGE_PERMISSIONS, {"ImageId": "wsi-abc123def"})
    assert recorder.dates == [("Sun, 29 Nov 2026 01:00:00 GMT", 100.0, 100.2)]


def test_a_request_is_a_post_unless_told_otherwise() -> None:
    assert HttpRequest("https://h/", {}, b"").method == "POST"
    assert HttpRequest("https://h/", {}, b"", "GET").method == "GET"


async def list_ids(body: bytes | dict[str, Any]) -> dict[str, Any]:
    return await endpoint(Recorder(answer(200, body))).call(IMAGE_IDS, {"ImageType": "OWNED"})


async def test_a_listing_of_ids_is_describe_workspace_images_over_json_1_1() -> None:
    recorder = Recorder(answer(200, {"Images": []}))
    await endpoint(recorder).call(IMAGE_IDS, {"ImageType": "OWNED", "MaxResults": 3})
    (request,) = recorder.requests
    assert request.headers["X-Amz-Target"] == "WorkspacesService.DescribeWorkspaceImages"
    assert json.loads(request.body) == {"ImageType": "OWNED", "MaxResults": 3}


async def test_a_listing_of_ids_keeps_each_id_in_order_and_the_token() -> None:
    images = [
        {"ImageId": "wsi-bbbbbbbbb", "Name": "b", "Created": 1700000000.5, "State": "AVAILABLE"},
        {"ImageId": "wsi-aaaaaaaaa", "Surprise": {"nested": [1]}},
    ]
    result = await list_ids({"Images": images, "NextToken": "t2"})
    assert (result["ImageIds"], result["NextToken"]) == (["wsi-bbbbbbbbb", "wsi-aaaaaaaaa"], "t2")


async def test_a_null_token_ends_a_listing_of_ids() -> None:
    assert "NextToken" not in await list_ids({"Images": [], "NextToken": None})


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"{not json", "not JSON"),
        (b"[]", "not a JSON object"),
        ({"status": "ok"}, "Images is missing or not a list"),
        ({"Images": {"ImageId": "wsi-aaaaaaaaa"}}, "Images is missing or not a list"),
        ({"Images": [{"ImageId": "wsi-aaaaaaaaa"}, 5]}, r"Images\[1\] is not an object"),
        ({"Images": [{"Name": "no id"}]}, r"Images\[0\]: ImageId is missing"),
        ({"Images": [{"ImageId": 7}]}, r"Images\[0\]\.ImageId is a int"),
        ({"Images": [], "NextToken": 7}, "NextToken is a int"),
    ],
)
async def test_a_listing_without_readable_ids_is_malformed_never_empty(
    body: bytes | dict[str, Any], problem: str
) -> None:
    with pytest.raises(MalformedResponseError, match=problem):
        await list_ids(body)
