"""SigV4 with botocore's signer, done at the moment a request goes on the wire.

The signing step of the data path: once the transport has a connection slot free, the request is
signed with whatever credentials are current and sent at once, so no signature ages in a queue.

botocore's ``SigV4Auth`` builds the canonical request, the string to sign and the credential scope.
Around it, what can be built once is: the host is derived from the endpoint URL once, by botocore;
the headers to sign are a plain dict rather than an ``email.message``-based ``HTTPHeaders``; the
signed-header list comes out of the same pass as the canonical request; the request object is a
slotted stand-in for ``AWSRequest``; the timestamp string is made once a second; and the derived
signing key is kept per (secret, day, region) instead of four HMACs per request. The time comes
from the skew-corrected clock rather than botocore's, so a client with a wrong clock can still be
accepted.
"""

from __future__ import annotations

import functools
import hmac
import time
from collections.abc import Callable
from hashlib import sha256
from typing import TYPE_CHECKING, Any, Final, cast
from urllib.parse import urlsplit

from botocore.auth import SIGNED_HEADERS_BLACKLIST, SigV4Auth

from imgperms_async._credentials import Credentials, CredentialSource
from imgperms_async._http import HttpRequest, HttpResponse, Transport

if TYPE_CHECKING:
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import ReadOnlyCredentials

_UNSIGNED: Final = frozenset(SIGNED_HEADERS_BLACKLIST)
_HOSTS: Final[dict[str, str]] = {}
_URL_PARTS: Final[dict[tuple[str, str], str]] = {}
"""What depends on the URL alone, worked out once per process rather than once per signer: an
audit makes a signer for each of its thousands of (account, region) scopes. Keyed by endpoint
URLs, of which a process calls few."""


class _SigningRequest:
    """The attributes of ``AWSRequest`` that ``SigV4Auth`` reads, without its per-request cost."""

    __slots__ = ("body", "context", "headers", "method", "params", "url")

    def __init__(
        self, method: str, url: str, headers: dict[str, str], body: bytes, timestamp: str
    ) -> None:
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.params: dict[str, str] = {}
        self.context: dict[str, Any] = {"timestamp": timestamp}


class _CachedKeySigV4Auth(SigV4Auth):
    """botocore's SigV4 with the day's derived key reused, and what depends on the URL alone (the
    host, the canonical path and query) worked out once per URL."""

    def __init__(self, credentials: Credentials, service: str, region_name: str) -> None:
        # Our Credentials has the same three attributes as botocore's and hides the secret in reprs.
        super().__init__(cast("ReadOnlyCredentials", credentials), service, region_name)
        self.source = credentials
        self.service = service
        self.region_name = region_name
        self._key_day = ""
        self._key = b""

    def canonical_request_and_signed_headers(self, request: AWSRequest) -> tuple[str, str]:
        """botocore's canonical request, line for line, with its first three lines kept per URL;
        and its signed-header list, which is one of those lines."""
        url, method = cast(str, request.url), cast(str, request.method)
        start = _URL_PARTS.get((method, url))
        if start is None:
            path = self._normalize_url_path(urlsplit(url).path)  # type: ignore[attr-defined]
            query = self.canonical_query_string(request)
            start = _URL_PARTS[method, url] = f"{method}\n{path}\n{query}\n"
        headers = self._headers_to_sign(request)
        names = sorted(headers)
        signed = ";".join(names)
        # botocore's canonical_headers and signed_headers, for headers sent once each.
        canonical = "\n".join(f"{name}:{' '.join(headers[name].split())}" for name in names)
        return f"{start}{canonical}\n\n{signed}\n{self.payload(request)}", signed

    def _headers_to_sign(self, request: AWSRequest) -> dict[str, str]:
        url = cast(str, request.url)
        host = _HOSTS.get(url)
        if host is None:
            host = _HOSTS[url] = self.headers_to_sign(request)["host"]
        headers = {
            name.lower(): value
            for name, value in request.headers.items()
            if name.lower() not in _UNSIGNED
        }
        headers.setdefault("host", host)
        return headers

    def signature(self, string_to_sign: str, request: AWSRequest) -> str:
        day: str = request.context["timestamp"][0:8]
        if day != self._key_day:
            self._key = derive_signing_key(
                self.source.secret_key, day, self.region_name, self.service
            )
            self._key_day = day
        return hmac.digest(self._key, string_to_sign.encode(), "sha256").hex()


def derive_signing_key(secret_key: str, day: str, region_name: str, service: str) -> bytes:
    """The SigV4 key chain: valid for one day, region and service, so it is computed once per day."""
    key = f"AWS4{secret_key}".encode()
    for part in (day, region_name, service, "aws4_request"):
        key = hmac.new(key, part.encode(), sha256).digest()
    return key


@functools.lru_cache(maxsize=4)
def _amz_date(second: int) -> str:
    """``X-Amz-Date`` has one-second resolution, so each second is formatted once, for every
    signer: an audit's thousands of scopes each have one. A few are kept, for clients whose
    clocks are corrected by different skews."""
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(second))


class RequestSigner:
    """Turns an unsigned request into one signed, for one service (its SigV4 signing name) in one
    region, with the credentials it is given."""

    def __init__(self, *, service: str, region_name: str, now: Callable[[], float]) -> None:
        self._service = service
        self._region_name = region_name
        self._now = now
        self._auth: _CachedKeySigV4Auth | None = None

    def sign_with(self, credentials: Credentials, request: HttpRequest) -> HttpRequest:
        """Synchronous, so the common case (credentials already at hand) costs no await."""
        auth = self._auth
        if auth is None or auth.source is not credentials:
            auth = self._auth = _CachedKeySigV4Auth(credentials, self._service, self._region_name)
        timestamp = _amz_date(int(self._now()))
        headers = dict(request.headers)
        headers["X-Amz-Date"] = timestamp
        if credentials.token:
            headers["X-Amz-Security-Token"] = credentials.token
        signing_request = cast(
            "AWSRequest",
            _SigningRequest(request.method, request.url, headers, request.body, timestamp),
        )
        canonical, signed = auth.canonical_request_and_signed_headers(signing_request)
        string_to_sign = auth.string_to_sign(signing_request, canonical)
        headers["Authorization"] = (
            f"AWS4-HMAC-SHA256 Credential={auth.scope(signing_request)}, "
            f"SignedHeaders={signed}, "
            f"Signature={auth.signature(string_to_sign, signing_request)}"
        )
        return HttpRequest(request.url, headers, request.body, request.method)


class SigningSender:
    """Sends through a transport, signing each request only once a connection slot is free."""

    __slots__ = ("_credentials", "_signer", "_transport")

    def __init__(
        self, transport: Transport, signer: RequestSigner, credentials: CredentialSource
    ) -> None:
        self._transport = transport
        self._signer = signer
        self._credentials = credentials

    async def send(self, request: HttpRequest) -> HttpResponse:
        fetched = False
        while True:
            credentials = self._credentials.usable()
            if credentials is None:
                # Never awaited while holding a slot: the renewal (AssumeRole) goes through the
                # same pool, and must not wait for a slot held by a request waiting for it.
                credentials, fetched = await self._credentials.get(), True
            async with self._transport.slot():
                current = self._credentials.usable()
                if current is not None or fetched:
                    signed = self._signer.sign_with(current or credentials, request)
                    return await self._transport.send(signed)
            # They fell due while this request waited for a slot: renew them, then sign.
