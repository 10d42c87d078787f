"""AWS REST-JSON, the envelope of Security Hub: the operation is the method and path, the body
one JSON object, and errors carry `Code` and `Message` in the body and the code in
`x-amzn-ErrorType`. Authentication failures are 403 there, where the JSON 1.1 services say 400."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from .._errors import AuthFailure, ServiceError
from . import Params, RawRequest
from .json11 import json_object

__all__ = ["RestJsonProtocol"]


@dataclass(frozen=True, slots=True)
class RestJsonProtocol:
    """One service's routes, `(method, path) -> operation`, and the code it uses for a body
    that is not a JSON object."""

    routes: Mapping[tuple[str, str], str]
    malformed_body_code: str
    content_type: str = "application/json"

    def addressed_by(self, request: RawRequest) -> bool:
        return self.operation(request) is not None

    def operation(self, request: RawRequest) -> str | None:
        return self.routes.get((request.method, request.path))

    def read(self, request: RawRequest) -> tuple[str, Params]:
        operation = self.operation(request)
        if operation is None:
            raise ServiceError(
                "UnknownOperationException",
                f"No operation is served at {request.method} {request.path}.",
                404,
            )
        return operation, json_object(request.body, self.malformed_body_code)

    def wrap(self, operation: str, payload: bytes, request_id: str) -> bytes:
        return payload

    def error(self, error: ServiceError, request_id: str) -> tuple[int, str, dict[str, str], bytes]:
        body = {"Code": error.code, "Message": error.message, **error.fields}
        headers = {"x-amzn-ErrorType": error.code, "Content-Type": self.content_type}
        status = 403 if isinstance(error, AuthFailure) else error.status
        return status, error.code, headers, json.dumps(body).encode()
