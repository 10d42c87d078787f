"""Operations on the wire: parameters out as a request, the answer back as boto3's dict or error.

An ``Operation`` knows its own wire format; ``Endpoint`` calls any of them at one URL: build the
request, send it (the step below signs it), measure clock skew from the answer, parse it.
WorkSpaces' hot path (DescribeWorkspaceImagePermissions, and DescribeWorkspaceImages read for its
ids) is AWS JSON 1.1 written out here, with error codes parsed as botocore does
(``X-Amzn-ErrorType``, then ``__type``, then ``code``) and every answer checked, so a malformed one
is ``MalformedResponseError`` instead of a crash above.
Every other operation, of any service, is read from botocore's models (``_modeled.py``).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from http.client import responses as http_reasons
from typing import Any, Final, Protocol

from imgperms_async._exceptions import ClientError, MalformedResponseError, error_class_for
from imgperms_async._http import HttpRequest, HttpResponse

WORKSPACES_TARGET_PREFIX: Final = "WorkspacesService."
JSON_CONTENT_TYPE: Final = "application/x-amz-json-1.1"
_ENCODE: Final = json.JSONEncoder(separators=(",", ":")).encode
"""One encoder for every request: ``json.dumps`` with separators builds a new one each call."""

Send = Callable[[HttpRequest], Awaitable[HttpResponse]]
"""The step below: signs and sends (``SigningSender.send``)."""

Shaper = Callable[[Mapping[str, Any], HttpResponse, Any], dict[str, Any]]
"""Turns a decoded 200 body into the operation's boto3 output, or raises MalformedResponseError;
given the request's parameters, so an answer can be checked against what was asked."""


class ObserveDate(Protocol):
    """Told each answer's ``Date`` header and when the exchange began and ended (wall clock)."""

    def __call__(self, date_header: str | None, *, sent_at: float, received_at: float) -> None: ...


class Operation(Protocol):
    """One API operation's wire format."""

    @property
    def name(self) -> str: ...

    def request(self, params: Mapping[str, Any], base_url: str) -> HttpRequest:
        """The unsigned request for these parameters, at the endpoint ``base_url``."""

    def result(self, params: Mapping[str, Any], response: HttpResponse) -> dict[str, Any]:
        """A success answer as boto3 returns it, without ``ResponseMetadata``."""

    def error(self, response: HttpResponse) -> ClientError:
        """The error an answer of status 300 or more stands for."""


class JsonOperation:
    """An AWS JSON 1.1 operation whose output ``shape`` is checked by hand (the hot path)."""

    __slots__ = ("_headers", "_shape", "name")

    def __init__(self, target_prefix: str, name: str, shape: Shaper) -> None:
        self.name = name
        self._shape = shape
        self._headers: Mapping[str, str] = {
            "Content-Type": JSON_CONTENT_TYPE,
            "X-Amz-Target": target_prefix + name,
        }

    def request(self, params: Mapping[str, Any], base_url: str) -> HttpRequest:
        return HttpRequest(base_url, self._headers, _ENCODE(params).encode())

    def result(self, params: Mapping[str, Any], response: HttpResponse) -> dict[str, Any]:
        try:
            decoded = json.loads(response.body)
        except ValueError as exc:
            raise MalformedResponseError(
                f"{self.name} answered HTTP {response.status} with a body that is not JSON "
                f"({len(response.body)} bytes)"
            ) from exc
        return self._shape(params, response, decoded)

    def error(self, response: HttpResponse) -> ClientError:
        return parse_error(response, self.name)


class Endpoint:
    """Calls operations at one URL: build, send, measure clock skew, parse."""

    __slots__ = ("_observe_date", "_send", "url")

    def __init__(self, *, url: str, send: Send, observe_date: ObserveDate) -> None:
        self.url = url.rstrip("/") + "/"
        self._send = send
        self._observe_date = observe_date

    async def call(self, operation: Operation, params: Mapping[str, Any]) -> dict[str, Any]:
        response = await self._send(operation.request(params, self.url))
        self._observe_date(
            response.headers.get("date"), sent_at=response.sent_at, received_at=response.received_at
        )
        if response.status >= 300:
            raise operation.error(response)
        result = operation.result(params, response)
        result["ResponseMetadata"] = response_metadata(response)
        return result


def response_metadata(response: HttpResponse) -> dict[str, Any]:
    """boto3's ``ResponseMetadata``; the retry layer fills in the real ``RetryAttempts``."""
    metadata: dict[str, Any] = {}
    request_id = response.headers.get("x-amzn-requestid") or response.headers.get(
        "x-amz-request-id"
    )
    if request_id is not None:
        metadata["RequestId"] = request_id
    metadata["HTTPStatusCode"] = response.status
    metadata["HTTPHeaders"] = dict(response.headers)
    metadata["RetryAttempts"] = 0
    return metadata


def parse_error(response: HttpResponse, operation_name: str) -> ClientError:
    """The error an answer stands for, as the modeled subclass when the code has one."""
    body = _json_object(response.body)
    code = _error_code(response.headers.get("x-amzn-errortype"), body)
    message = next(
        (str(value) for key, value in body.items() if key.lower() == "message" and value), ""
    )
    if not code:
        code = str(response.status)
        message = message or http_reasons.get(response.status, "")
    error_response: dict[str, Any] = {
        "Error": {"Message": message, "Code": code},
        "ResponseMetadata": response_metadata(response),
    }
    error_class = error_class_for(code)
    for member in error_class.members:
        if isinstance(value := body.get(member), str):
            error_response[member] = value
    return error_class(error_response, operation_name)  # type: ignore[arg-type]


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        decoded = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return decoded if isinstance(decoded, dict) else {}


def _error_code(header: str | None, body: Mapping[str, Any]) -> str:
    """``Code:http://...`` and ``aws.protocol#Code`` both mean ``Code``."""
    raw = header or body.get("__type") or body.get("code") or ""
    if not isinstance(raw, str):
        return ""
    return raw.split(":", 1)[0].rsplit("#", 1)[-1].strip()


def shape_image_permissions(
    params: Mapping[str, Any], response: HttpResponse, decoded: Any
) -> dict[str, Any]:
    """DescribeWorkspaceImagePermissions output, checked member by member as botocore's parser
    would shape it (unknown members dropped, nulls omitted), on the hot path without its cost.

    Only an answer for the image asked about counts: a body without ``ImageId`` and
    ``ImagePermissions`` (what a redirect target or a proxy's status page sends) would otherwise
    read as "shared with nobody".
    """
    if not isinstance(decoded, dict):
        raise malformed(response, "the body is not a JSON object")
    image_id = decoded.get("ImageId")
    if image_id != params["ImageId"]:
        problem = "ImageId is missing" if image_id is None else f"ImageId is {image_id!r}"
        raise malformed(response, f"{problem}, not {params['ImageId']!r} as asked")
    permissions = decoded.get("ImagePermissions")
    if not isinstance(permissions, list):
        raise malformed(response, "ImagePermissions is missing or not a list")
    result: dict[str, Any] = {
        "ImageId": image_id,
        "ImagePermissions": permissions  # freshly decoded and already in boto3's shape
        if _plain(permissions)
        else [_shape_permission(response, entry) for entry in permissions],
    }
    token = decoded.get("NextToken")
    if token is not None:
        result["NextToken"] = _expect_str(response, "NextToken", token)
    return result


def _plain(permissions: list[Any]) -> bool:
    """Every entry an object holding one string ``SharedAccountId``, and nothing else (a loop:
    ``all`` over a generator costs a third more, once per page)."""
    for entry in permissions:
        if type(entry) is not dict or len(entry) != 1:
            return False
        if type(entry.get("SharedAccountId")) is not str:
            return False
    return True


def _shape_permission(response: HttpResponse, entry: object) -> dict[str, str]:
    if not isinstance(entry, dict):
        raise malformed(response, "an ImagePermissions entry is not an object")
    account = entry.get("SharedAccountId")
    if account is None:
        return {}
    return {"SharedAccountId": _expect_str(response, "SharedAccountId", account)}


def _expect_str(response: HttpResponse, name: str, value: object) -> str:
    if not isinstance(value, str):
        raise malformed(response, f"{name} is a {type(value).__name__}, not a string")
    return value


def shape_image_ids(
    params: Mapping[str, Any], response: HttpResponse, decoded: Any
) -> dict[str, Any]:
    """DescribeWorkspaceImages read for the ids alone: ``{"ImageIds": [...], "NextToken": ...}``.

    Listing is half an audit's requests when its scopes hold an image or two, and botocore's
    parser (timestamps, every member shaped) costs more than the rest of such a request. Only
    what a listing cannot be read without is checked: ``Images`` a list of objects, each with a
    string ``ImageId``, and the token a string; the members nobody reads here are left unread.
    ``describe_workspace_images`` still answers boto3's whole page.
    """
    if not isinstance(decoded, dict):
        raise malformed(response, "the body is not a JSON object")
    images = decoded.get("Images")
    if not isinstance(images, list):
        raise malformed(response, "Images is missing or not a list")
    image_ids: list[str] = []
    for index, image in enumerate(images):
        if not isinstance(image, dict):
            raise malformed(response, f"Images[{index}] is not an object")
        image_id = image.get("ImageId")
        if image_id is None:
            raise malformed(response, f"Images[{index}]: ImageId is missing")
        image_ids.append(_expect_str(response, f"Images[{index}].ImageId", image_id))
    result: dict[str, Any] = {"ImageIds": image_ids}
    token = decoded.get("NextToken")
    if token is not None:
        result["NextToken"] = _expect_str(response, "NextToken", token)
    return result


def malformed(response: HttpResponse, problem: str) -> MalformedResponseError:
    request_id = response.headers.get("x-amzn-requestid", "unknown")
    return MalformedResponseError(f"Malformed response (request id {request_id}): {problem}")


IMAGE_PERMISSIONS: Final = JsonOperation(
    WORKSPACES_TARGET_PREFIX, "DescribeWorkspaceImagePermissions", shape_image_permissions
)
IMAGE_IDS: Final = JsonOperation(
    WORKSPACES_TARGET_PREFIX, "DescribeWorkspaceImages", shape_image_ids
)
