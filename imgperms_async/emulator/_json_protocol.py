"""AWS JSON 1.1, the envelope of WorkSpaces, Organizations and the tagging API.

The operation is named by `X-Amz-Target` (`<prefix>.<Operation>`), the body is one JSON object,
and errors name their code in the body's `__type` and in `x-amzn-ErrorType`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from multidict import MultiMapping

from ._errors import ServiceError

__all__ = ["CONTENT_TYPE", "JsonProtocol", "Params", "dumps"]

CONTENT_TYPE = "application/x-amz-json-1.1"
Params = Mapping[str, object]


@dataclass(frozen=True, slots=True)
class JsonProtocol:
    """One service's JSON 1.1 envelope; Organizations spells the message key `Message`."""

    target_prefix: str
    message_key: str = "message"
    content_type: str = CONTENT_TYPE

    def operation(self, headers: MultiMapping[str], body: bytes) -> str | None:
        """The operation the request names, for the log; never raises."""
        target = headers.get("X-Amz-Target")
        if target is None:
            return None
        return (
            target[len(self.target_prefix) :] if target.startswith(self.target_prefix) else target
        )

    def read(self, headers: MultiMapping[str], body: bytes) -> tuple[str, Params]:
        """The operation and its parameters, or the error AWS answers for the envelope."""
        if headers.get("Content-Type", "").partition(";")[0].strip() != CONTENT_TYPE:
            raise ServiceError("SerializationException", f"Content-Type must be {CONTENT_TYPE}.")
        target = headers.get("X-Amz-Target", "")
        if not target.startswith(self.target_prefix):
            raise ServiceError("UnknownOperationException", f"Unknown target '{target}'.")
        operation = target[len(self.target_prefix) :]
        if not body:
            return operation, {}
        try:
            params = json.loads(body)
        except ValueError:
            raise ServiceError(
                "SerializationException", "The request body is not valid JSON."
            ) from None
        if not isinstance(params, dict):
            raise ServiceError("SerializationException", "The request body must be a JSON object.")
        return operation, params

    def wrap(self, operation: str, payload: bytes, request_id: str) -> bytes:
        """A JSON 1.1 answer is the payload itself; the request id travels in a header."""
        return payload

    def error(self, error: ServiceError, request_id: str) -> tuple[int, str, dict[str, str], bytes]:
        """Status, code, headers and body of the error answer."""
        body = {"__type": error.code, self.message_key: error.message, **error.fields}
        headers = {"x-amzn-ErrorType": error.code, "Content-Type": self.content_type}
        return error.status, error.code, headers, json.dumps(body).encode()


def dumps(payload: object) -> bytes:
    """Compact JSON, as AWS sends it."""
    return json.dumps(payload, separators=(",", ":")).encode()
