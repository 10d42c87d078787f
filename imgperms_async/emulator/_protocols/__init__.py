"""The envelopes the emulated services speak: AWS JSON 1.1, the query protocol, REST-JSON.

A protocol reads a request into an operation and its parameters, wraps an answer, and renders an
error in its service's words, so the pipeline treats every service alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from multidict import MultiMapping

from .._errors import ServiceError

__all__ = ["Params", "RawRequest", "WireProtocol"]

Params = Mapping[str, object]


@dataclass(frozen=True, slots=True)
class RawRequest:
    """An HTTP request as it arrived: `path` decoded for routing, `raw_path` as sent, which is
    what the signature covers."""

    method: str
    path: str
    raw_path: str
    query_string: str
    headers: MultiMapping[str]
    body: bytes


class WireProtocol(Protocol):
    """What the pipeline asks of an envelope."""

    @property
    def content_type(self) -> str: ...

    def addressed_by(self, request: RawRequest) -> bool:
        """Whether an unsigned request's envelope names this protocol's service."""
        ...

    def operation(self, request: RawRequest) -> str | None:
        """The operation the request names, for the log and the rate limit; never raises."""
        ...

    def read(self, request: RawRequest) -> tuple[str, Params]:
        """The operation and its parameters, or the error AWS answers for the envelope."""
        ...

    def wrap(self, operation: str, payload: bytes, request_id: str) -> bytes: ...

    def error(
        self, error: ServiceError, request_id: str
    ) -> tuple[int, str, dict[str, str], bytes]: ...
