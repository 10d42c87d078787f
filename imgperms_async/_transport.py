"""HTTP over aiohttp: the only module that touches aiohttp's client, and where its errors end.

Requests are signed here, after a connection slot is free, because a request signed before a long
wait in the pool can arrive with an expired signature. Every aiohttp or socket failure is converted
once, to botocore's own exception class, so no layer above ever sees an aiohttp type.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass

import aiohttp
from botocore.exceptions import (
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    HTTPClientError,
    ReadTimeoutError,
    SSLError,
)

from imgperms_async._exceptions import ClientClosedError


@dataclass(frozen=True, slots=True)
class HttpRequest:
    """An unsigned POST: every header here is covered by the signature."""

    url: str
    headers: Mapping[str, str]
    body: bytes


@dataclass(frozen=True, slots=True)
class HttpResponse:
    """A complete answer; header names are lower-case. Times are wall-clock seconds for skew."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    sent_at: float
    received_at: float


Sign = Callable[[HttpRequest], Awaitable[Mapping[str, str]]]
"""Returns the full set of headers to send, authorization included."""

Send = Callable[[HttpRequest], Awaitable[HttpResponse]]


@dataclass(frozen=True, slots=True)
class TransportConfig:
    max_connections: int = 64
    connect_timeout_secs: float = 10.0
    read_timeout_secs: float = 60.0
    verify_tls: bool = True
    ca_bundle: str | None = None
    user_agent: str = ""


class AiohttpTransport:
    """One aiohttp session whose pool and in-flight limit have the same size."""

    def __init__(
        self, config: TransportConfig, *, sign: Sign, clock: Callable[[], float] = time.time
    ) -> None:
        self._config = config
        self._sign = sign
        self._clock = clock
        self._slots = asyncio.Semaphore(config.max_connections)
        self._session: aiohttp.ClientSession | None = None

    async def open(self) -> None:
        config = self._config
        connector = aiohttp.TCPConnector(
            limit=config.max_connections,
            limit_per_host=config.max_connections,
            ssl=_ssl_setting(config),
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(
                total=None,
                sock_connect=config.connect_timeout_secs,
                sock_read=config.read_timeout_secs,
            ),
            headers={"User-Agent": config.user_agent},
            skip_auto_headers=("Content-Type",),
            raise_for_status=False,
        )

    async def aclose(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    async def send(self, request: HttpRequest) -> HttpResponse:
        session = self._session
        if session is None:
            raise ClientClosedError("the transport is closed")
        url = request.url
        async with self._slots:
            headers = await self._sign(request)
            sent_at = self._clock()
            try:
                async with session.post(url, data=request.body, headers=headers) as response:
                    body = await response.read()
                    status = response.status
                    response_headers = _lower_case_headers(response.headers.items())
            except aiohttp.ClientConnectorCertificateError as exc:
                raise SSLError(endpoint_url=url, error=exc) from exc
            except aiohttp.ClientConnectorError as exc:
                raise EndpointConnectionError(endpoint_url=url, error=exc) from exc
            except aiohttp.ConnectionTimeoutError as exc:
                raise ConnectTimeoutError(endpoint_url=url, error=exc) from exc
            except (aiohttp.ServerTimeoutError, TimeoutError) as exc:
                raise ReadTimeoutError(endpoint_url=url, error=exc) from exc
            except (
                aiohttp.ServerDisconnectedError,
                aiohttp.ClientPayloadError,
                aiohttp.ClientOSError,
            ) as exc:
                raise ConnectionClosedError(endpoint_url=url, error=exc) from exc
            except aiohttp.ClientError as exc:
                raise HTTPClientError(error=exc) from exc
        return HttpResponse(status, response_headers, body, sent_at, self._clock())


def _lower_case_headers(items: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Repeated headers joined with ", ", as urllib3 (and so boto3) reports them."""
    headers: dict[str, str] = {}
    for name, value in items:
        key = name.lower()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return headers


def _ssl_setting(config: TransportConfig) -> ssl.SSLContext | bool:
    if not config.verify_tls:
        return False
    if config.ca_bundle:
        return ssl.create_default_context(cafile=config.ca_bundle)
    return True
