"""HTTP over aiohttp: the only module that touches aiohttp's client, and where its errors end.

Every aiohttp or socket failure is converted once, to botocore's own exception class, so no layer
above ever sees an aiohttp type. Redirects are never followed: an AWS API never redirects a signed
POST, and whatever a redirect leads to is not the operation's answer.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Final, Self

import aiohttp
from aiohttp.helpers import get_env_proxy_for_url
from botocore.exceptions import (
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    HTTPClientError,
    ReadTimeoutError,
    SSLError,
)
from yarl import URL

from imgperms_async._exceptions import ClientClosedError, InvalidSettingError
from imgperms_async._http import HttpRequest, HttpResponse
from imgperms_async._version import __version__

DEFAULT_USER_AGENT: Final = f"imgperms-async/{__version__}"
Proxy = tuple[URL | None, aiohttp.BasicAuth | None]


class AiohttpTransport:
    """One aiohttp session whose pool and in-flight limit have the same size.

    Share one between clients (``ImagePermissionsClient(transport=...)``) to audit many accounts
    and regions over one connection pool; whoever creates it closes it (``async with``).
    """

    def __init__(
        self,
        *,
        max_connections: int = 64,
        connect_timeout_secs: float = 10.0,
        read_timeout_secs: float = 60.0,
        verify_tls: bool = True,
        ca_bundle: str | None = None,
        user_agent: str = DEFAULT_USER_AGENT,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """Loads the CA bundle at once, so a missing or broken one is an error here, not per request."""
        self._max_connections = max_connections
        self._timeout = aiohttp.ClientTimeout(
            total=None, sock_connect=connect_timeout_secs, sock_read=read_timeout_secs
        )
        self._ssl = _ssl_setting(verify_tls, ca_bundle)
        self._user_agent = user_agent
        self._clock = clock
        self._slots = asyncio.Semaphore(max_connections)
        self._session: aiohttp.ClientSession | None = None
        self._closed = False
        self._proxies: dict[str, Proxy] = {}
        """Each URL's proxy, read from the environment once (aiohttp's ``trust_env`` reads it,
        and ~/.netrc, in a worker thread for every request)."""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    def slot(self) -> asyncio.Semaphore:
        return self._slots

    async def aclose(self) -> None:
        self._closed = True
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    async def send(self, request: HttpRequest) -> HttpResponse:
        session = self._session or self._open()
        url = request.url
        proxy = self._proxies.get(url)
        if proxy is None:
            proxy = self._proxies[url] = await asyncio.to_thread(_env_proxy, url)
        sent_at = self._clock()
        try:
            async with session.request(
                request.method,
                url,
                data=request.body,
                headers=request.headers,
                allow_redirects=False,
                proxy=proxy[0],
                proxy_auth=proxy[1],
            ) as response:
                body = await response.read()
                status = response.status
                response_headers = _lower_case_headers(response.headers.items())
        except (aiohttp.ClientError, OSError) as exc:
            raise _botocore_error(exc, url) from exc
        return HttpResponse(status, response_headers, body, sent_at, self._clock())

    def _open(self) -> aiohttp.ClientSession:
        """The session is made on first use, inside the event loop that will run it."""
        if self._closed:
            raise ClientClosedError("the transport is closed")
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(
                limit=self._max_connections,
                limit_per_host=self._max_connections,
                ssl=self._ssl,
            ),
            timeout=self._timeout,
            headers={"User-Agent": self._user_agent},
            skip_auto_headers=("Content-Type",),
            raise_for_status=False,
        )
        return self._session


def _env_proxy(url: str) -> Proxy:
    """The proxy that HTTP(S)_PROXY and NO_PROXY give ``url``, as botocore honours them (read by
    aiohttp's own helper, as its ``trust_env`` reads them); it may read ~/.netrc: call it in a
    thread."""
    try:
        return get_env_proxy_for_url(URL(url))
    except LookupError:
        return None, None


def _botocore_error(error: Exception, url: str) -> Exception:
    """The botocore class boto3 users already catch for each way a request can fail."""
    if isinstance(error, aiohttp.ClientConnectorCertificateError):
        return SSLError(endpoint_url=url, error=error)
    if isinstance(error, aiohttp.ClientConnectorError):
        return EndpointConnectionError(endpoint_url=url, error=error)
    if isinstance(error, aiohttp.ConnectionTimeoutError):
        return ConnectTimeoutError(endpoint_url=url, error=error)
    if isinstance(error, aiohttp.ServerTimeoutError | TimeoutError):
        return ReadTimeoutError(endpoint_url=url, error=error)
    if isinstance(
        error, aiohttp.ServerDisconnectedError | aiohttp.ClientPayloadError | aiohttp.ClientOSError
    ):
        return ConnectionClosedError(endpoint_url=url, error=error)
    if isinstance(error, aiohttp.ClientError):
        return HTTPClientError(error=error)
    return ConnectionClosedError(endpoint_url=url, error=error)


def _lower_case_headers(items: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Repeated headers joined with ", ", as urllib3 (and so boto3) reports them."""
    pairs = list(items)
    headers = {name.lower(): value for name, value in pairs}
    if len(headers) == len(pairs):
        return headers
    headers = {}
    for name, value in pairs:
        key = name.lower()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return headers


def _ssl_setting(verify_tls: bool, ca_bundle: str | None) -> ssl.SSLContext | bool:
    if not verify_tls:
        return False
    if not ca_bundle:
        return True
    try:
        return ssl.create_default_context(cafile=ca_bundle)
    except (OSError, ssl.SSLError) as error:
        reason = error.strerror or str(error)
        raise InvalidSettingError(
            error_msg=f"cannot load the CA bundle {ca_bundle!r}: {reason}"
        ) from None
