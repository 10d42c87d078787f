"""The transport seam: a request ready for the wire, the answer as received, and what sends one.

Everything above this seam (protocol, retries, fan-out) works on these two frozen values, so it can
be tested with an in-memory transport; only an adapter below it knows the HTTP library.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class HttpRequest:
    """A request as it goes on the wire; signed by the time a transport sees it. Every AWS
    operation this package calls is a POST, whatever its protocol."""

    url: str
    headers: Mapping[str, str]
    body: bytes
    method: str = "POST"


@dataclass(frozen=True, slots=True)
class HttpResponse:
    """A complete answer; header names are lower-case. Times are wall-clock seconds for skew."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    sent_at: float
    received_at: float


class Transport(Protocol):
    """Sends requests over a bounded pool of connections.

    ``slot()`` waits until a request can go at once: the signing step holds one while it signs
    and sends, so a request is never signed and then left waiting for a connection, where its
    signature could age. Failures surface as botocore's exception classes.
    """

    def slot(self) -> AbstractAsyncContextManager[object]: ...

    async def send(self, request: HttpRequest) -> HttpResponse: ...

    async def aclose(self) -> None: ...
