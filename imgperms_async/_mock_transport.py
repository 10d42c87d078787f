"""An in-memory transport: a function answers each request, so the layers above run without a network.

As httpx's ``MockTransport``: tests of the protocol, retries and fan-out (ours and users') give the
client ``transport=MockTransport(handler)`` instead of patching the HTTP library.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass, field

from imgperms_async._http import HttpRequest, HttpResponse


@dataclass(frozen=True, slots=True)
class MockResponse:
    """What a handler answers; the transport adds the times and lower-cases the header names."""

    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b"{}"


Handler = Callable[[HttpRequest], MockResponse | Awaitable[MockResponse]]


class MockTransport:
    """Answers every request with ``handler(request)`` (plain or async); ``requests`` lists them.

    ``max_in_flight`` bounds requests at once, as a connection pool would; by default there is
    no bound. An exception the handler raises reaches the client as a transport failure would.
    """

    def __init__(
        self,
        handler: Handler,
        *,
        max_in_flight: int | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._handler = handler
        self._clock = clock
        self._slots = None if max_in_flight is None else asyncio.Semaphore(max_in_flight)
        self.requests: list[HttpRequest] = []

    def slot(self) -> AbstractAsyncContextManager[object]:
        return self._slots if self._slots is not None else nullcontext()

    async def send(self, request: HttpRequest) -> HttpResponse:
        self.requests.append(request)
        sent_at = self._clock()
        answer = self._handler(request)
        if inspect.isawaitable(answer):
            answer = await answer
        headers = {name.lower(): value for name, value in answer.headers.items()}
        return HttpResponse(answer.status, headers, answer.body, sent_at, self._clock())

    async def aclose(self) -> None:
        return
