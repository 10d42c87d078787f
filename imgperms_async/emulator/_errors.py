"""The exceptions the request pipeline raises to answer with an AWS error.

Codes are the JSON 1.1 services' own; the query-protocol services (STS, EC2) translate them into
their dialect when they render the answer. Authentication failures carry a kind, because the
services disagree most there (EC2 says AuthFailure where WorkSpaces says three different things).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

__all__ = ["AuthFailure", "AuthKind", "ServiceError", "Throttled"]

AuthKind = Literal["missing", "incomplete", "signature", "stale", "unrecognized", "expired_token"]
_JSON_CODES: Mapping[AuthKind, str] = {
    "missing": "MissingAuthenticationTokenException",
    "incomplete": "IncompleteSignatureException",
    "signature": "InvalidSignatureException",
    "stale": "InvalidSignatureException",
    "unrecognized": "UnrecognizedClientException",
    "expired_token": "ExpiredTokenException",
}


class ServiceError(Exception):
    """An error answer: raised anywhere in the pipeline, rendered once by the service's protocol.

    `fields` are extra members of the error body some services add (Organizations' `Reason`).
    """

    def __init__(
        self,
        code: str,
        message: str,
        status: int = 400,
        *,
        fields: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.fields = fields or {}


class AuthFailure(ServiceError):
    """A request the caller could not be authenticated for, by kind of failure."""

    def __init__(self, kind: AuthKind, message: str) -> None:
        super().__init__(_JSON_CODES[kind], message)
        self.kind = kind


class Throttled(ServiceError):
    """A request over its rate limit: the pipeline adds `x-amz-retry-after` to these alone."""
