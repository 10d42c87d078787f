"""AWS JSON 1.1, the envelope of WorkSpaces, Organizations and the tagging API.

The operation is named by `X-Amz-Target` (`<prefix>.<Operation>`), the body is one JSON object,
and errors name their code in the body's `__type` and in `x-amzn-ErrorType`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from .._errors import ServiceError
from . import Params, RawRequest

__all__ = ["CONTENT_TYPE", "JsonProtocol", "dumps", "json_object", "not_at_root"]

CONTENT_TYPE = "application/x-amz-json-1.1"


@dataclass(frozen=True, slots=True)
class JsonProtocol:
    """One service's JSON 1.1 envelope; Organizations spells the message key `Message`."""

    target_prefix: str
    message_key: str = "message"
    content_type: str = CONTENT_TYPE

    def addressed_by(self, request: RawRequest) -> bool:
        return request.headers.get("X-Amz-Target", "").startswith(self.target_prefix)

    def operation(self, request: RawRequest) -> str | None:
        target = request.headers.get("X-Amz-Target")
        if target is None:
            return None
        return target.removeprefix(self.target_prefix)

    def read(self, request: RawRequest) -> tuple[str, Params]:
        if request.path != "/":
            raise not_at_root(request)
        content_type = request.headers.get("Content-Type", "").partition(";")[0].strip()
        if content_type != CONTENT_TYPE:
            raise ServiceError("SerializationException", f"Content-Type must be {CONTENT_TYPE}.")
        target = request.headers.get("X-Amz-Target", "")
        if not target.startswith(self.target_prefix):
            raise ServiceError("UnknownOperationException", f"Unknown target '{target}'.")
        return target[len(self.target_prefix) :], json_object(
            request.body, "SerializationException"
        )

    def wrap(self, operation: str, payload: bytes, request_id: str) -> bytes:
        """A JSON 1.1 answer is the payload itself; the request id travels in a header."""
        return payload

    def error(self, error: ServiceError, request_id: str) -> tuple[int, str, dict[str, str], bytes]:
        body = {"__type": error.code, self.message_key: error.message, **error.fields}
        headers = {"x-amzn-ErrorType": error.code, "Content-Type": self.content_type}
        return error.status, error.code, headers, json.dumps(body).encode()


def json_object(body: bytes, code: str) -> Params:
    """The request body as a JSON object (an empty body is an empty one), or `code`'s error."""
    if not body:
        return {}
    try:
        params = json.loads(body)
    except ValueError:
        raise ServiceError(code, "The request body is not valid JSON.") from None
    if not isinstance(params, dict):
        raise ServiceError(code, "The request body must be a JSON object.")
    return params


def not_at_root(request: RawRequest) -> ServiceError:
    """What a service whose every operation is `POST /` answers for another path."""
    return ServiceError(
        "UnknownOperationException", f"No operation is served at {request.path}.", 404
    )


def dumps(payload: object) -> bytes:
    """Compact JSON, as AWS sends it."""
    return json.dumps(payload, separators=(",", ":")).encode()
