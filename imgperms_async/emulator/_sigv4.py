"""SigV4 verification written from the AWS specification with hashlib and hmac.

The emulator checks a client's signer instead of agreeing with it, so nothing here comes from
botocore. The clock and the service name are parameters so AWS's published test vectors (which
use service "service" in 2015) can be checked with the same code that guards the server.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from urllib.parse import parse_qsl, quote

from multidict import MultiMapping

from ._credentials import EmulatorCredentials
from ._errors import AuthFailure
from ._regions import scope_region_message

__all__ = [
    "INVALID_TOKEN",
    "CredentialLookup",
    "CredentialScope",
    "SigV4Verifier",
    "SignedRequest",
    "canonical_request",
    "credential_scope",
    "signing_key",
    "string_to_sign",
]

ALGORITHM = "AWS4-HMAC-SHA256"
MAX_SKEW_SECS = 300.0
_AMZ_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
_AMZ_DATE = re.compile(r"[0-9]{8}T[0-9]{6}Z")
_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your"
    " AWS Secret Access Key and signing method. Consult the service documentation for details."
)
INVALID_TOKEN = "The security token included in the request is invalid."
_EXPIRED_TOKEN = "The security token included in the request is expired"
CredentialLookup = Callable[[str], EmulatorCredentials | None]
_ADMITTED_CLAIMS = 4096
"""Claims a verifier remembers as checked; beyond that it starts over, so memory stays bounded."""


@dataclass(frozen=True, slots=True)
class SignedRequest:
    """The parts of an HTTP request a signature covers; headers must be case-insensitive."""

    method: str
    raw_path: str
    query_string: str
    headers: MultiMapping[str]
    body: bytes


@dataclass(frozen=True, slots=True)
class _Claim:
    """What an Authorization header claims besides the signature itself.

    A client sends the same claim on every request of a day, so it is parsed (and, per
    verifier, checked) once, and only the signature is new each time.
    """

    access_key: str
    date: str
    region: str
    service: str
    terminator: str
    signed_headers: tuple[str, ...]


def _incomplete(message: str) -> AuthFailure:
    return AuthFailure("incomplete", message)


def _signature(message: str) -> AuthFailure:
    return AuthFailure("signature", message)


def _missing(parameter: str) -> AuthFailure:
    # AWS goes on to echo the header; the emulator keeps it out of every answer.
    return _incomplete(f"Authorization header requires '{parameter}' parameter.")


@lru_cache(maxsize=4096)
def _parse_claim(head: str) -> _Claim:
    algorithm, _, rest = head.partition(" ")
    if algorithm != ALGORITHM:
        raise _incomplete(f"Unsupported AWS 'algorithm': '{algorithm}'")
    params: dict[str, str] = {}
    for part in rest.split(","):
        key, _, val = part.strip().partition("=")
        params[key] = val
    for required in ("Credential", "SignedHeaders"):
        if not params.get(required):
            raise _missing(required)
    scope = params["Credential"].split("/")
    if len(scope) != 5:
        raise _incomplete(
            "Credential should be scoped to a valid region, not a malformed credential scope."
        )
    return _Claim(
        access_key=scope[0],
        date=scope[1],
        region=scope[2],
        service=scope[3],
        terminator=scope[4],
        signed_headers=tuple(params["SignedHeaders"].split(";")),
    )


def _parse_authorization(value: str) -> tuple[_Claim, str]:
    """The claim and the signature; the claim parsed once for every header that shares it."""
    head, found, tail = value.partition("Signature=")
    signature, comma, rest = tail.partition(",")
    claim = _parse_claim(head + rest if comma else head)
    if not found or not signature.strip():
        raise _missing("Signature")
    return claim, signature.strip()


def _encode(text: str) -> str:
    return quote(text, safe="-_.~")


def _canonical_query(query_string: str) -> str:
    if not query_string:
        return ""
    query = sorted(
        (_encode(key), _encode(val)) for key, val in parse_qsl(query_string, keep_blank_values=True)
    )
    return "&".join(f"{key}={val}" for key, val in query)


def canonical_request(request: SignedRequest, signed_headers: Iterable[str]) -> str:
    """Build the canonical request of the specification's task 1 (non-S3 rules).

    Written as plain loops with the common cases first (path "/", no query, one value per
    header): this runs for every request the emulator serves.
    """
    signed = tuple(signed_headers)
    getall = request.headers.getall
    lines = []
    for name in signed:
        values = getall(name, ())
        value = (
            " ".join(values[0].split())
            if len(values) == 1
            else ",".join(" ".join(v.split()) for v in values)
        )
        lines.append(f"{name}:{value}\n")
    path = request.raw_path
    return "\n".join(
        (
            request.method,
            "/" if path in ("", "/") else quote(path, safe="/~"),
            _canonical_query(request.query_string),
            "".join(lines),
            ";".join(signed),
            hashlib.sha256(request.body).hexdigest(),
        )
    )


def string_to_sign(amz_date: str, scope: str, canonical: str) -> str:
    """Build the string to sign of the specification's task 2."""
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    return f"{ALGORITHM}\n{amz_date}\n{scope}\n{digest}"


@lru_cache(maxsize=1024)
def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    """Derive the signing key; cached because it only changes once a day per credential scope."""
    key = hmac.digest(f"AWS4{secret}".encode(), date.encode(), "sha256")
    for part in (region, service, "aws4_request"):
        key = hmac.digest(key, part.encode(), "sha256")
    return key


@lru_cache(maxsize=64)
def _parse_amz_date(value: str) -> float:
    """Exactly ``YYYYMMDDTHHMMSSZ``: ``strptime`` alone also takes shorter fields."""
    try:
        if not _AMZ_DATE.fullmatch(value):
            raise ValueError(value)
        parsed = datetime.strptime(value, _AMZ_DATE_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        raise _incomplete(
            f"Date must be in ISO-8601 'basic format'. Got '{value}'. See"
            " http://en.wikipedia.org/wiki/ISO_8601"
        ) from None
    return parsed.timestamp()


def _format_amz_date(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime(_AMZ_DATE_FORMAT)


class SigV4Verifier:
    """Accepts a request only if it is signed, fresh, and scoped as AWS would demand.

    One verifier stands for one endpoint: a service and the regions it serves. A scope for any
    other region is refused, as an AWS endpoint refuses a signature meant for another.
    """

    def __init__(
        self,
        credentials: Iterable[EmulatorCredentials] | CredentialLookup,
        *,
        service: str = "workspaces",
        regions: Collection[str] = ("us-east-1",),
        clock: Callable[[], float] = time.time,
    ) -> None:
        """`credentials` is a fixed set, or a lookup by access key for a set that grows (STS)."""
        self._lookup = (
            credentials
            if callable(credentials)
            else {cred.access_key: cred for cred in credentials}.get
        )
        self._service = service
        self._regions = frozenset(regions)
        self._clock = clock
        self._admitted: set[_Claim] = set()

    def verify(self, request: SignedRequest) -> EmulatorCredentials:
        """Return the credential that signed the request, or raise the error AWS would answer."""
        header = request.headers.get("Authorization")
        if not header:
            raise AuthFailure("missing", "Missing Authentication Token")
        auth, signature = _parse_authorization(header)
        amz_date = request.headers.get("X-Amz-Date")
        if amz_date is None:
            raise _incomplete(
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date'"
                " header."
            )
        if auth not in self._admitted:
            self._check_scope(auth)
            if len(self._admitted) >= _ADMITTED_CLAIMS:
                self._admitted.clear()
            self._admitted.add(auth)
        if auth.date != amz_date[:8]:
            raise _signature(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date"
                f" from HTTP: '{auth.date}' != '{amz_date[:8]}', from '{amz_date}'.",
            )
        credential = self._lookup(auth.access_key)
        if credential is None:
            raise AuthFailure("unrecognized", INVALID_TOKEN)
        self._check_session_token(credential, auth, request)
        now = self._clock()
        if credential.expiration is not None and now >= credential.expiration:
            raise AuthFailure("expired_token", _EXPIRED_TOKEN)
        self._check_freshness(amz_date, now)
        scope = f"{auth.date}/{auth.region}/{auth.service}/{auth.terminator}"
        to_sign = string_to_sign(amz_date, scope, canonical_request(request, auth.signed_headers))
        key = signing_key(credential.secret_key, auth.date, auth.region, auth.service)
        expected = hmac.digest(key, to_sign.encode(), "sha256").hex()
        if not hmac.compare_digest(expected, signature):
            raise _signature(_MISMATCH)
        return credential

    def _check_scope(self, auth: _Claim) -> None:
        """The checks that depend on the claim alone, done once per claim."""
        if "host" not in auth.signed_headers:
            raise _signature(
                "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
            )
        if "x-amz-date" not in auth.signed_headers:
            raise _signature(
                "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.",
            )
        if auth.region not in self._regions:
            raise _signature(scope_region_message(auth.region))
        if auth.service != self._service:
            raise _signature(
                f"Credential should be scoped to correct service: '{self._service}'. ",
            )
        if auth.terminator != "aws4_request":
            raise _signature(
                "Credential should be scoped with a valid terminator: 'aws4_request',"
                f" not '{auth.terminator}'.",
            )

    @staticmethod
    def _check_session_token(
        credential: EmulatorCredentials, auth: _Claim, request: SignedRequest
    ) -> None:
        sent = request.headers.get("X-Amz-Security-Token")
        if credential.session_token is None:
            if sent is not None:
                raise AuthFailure("unrecognized", INVALID_TOKEN)
            return
        if (
            sent is None
            or "x-amz-security-token" not in auth.signed_headers
            or not hmac.compare_digest(sent.encode(), credential.session_token.encode())
        ):
            raise AuthFailure("unrecognized", INVALID_TOKEN)

    @staticmethod
    def _check_freshness(amz_date: str, now: float) -> None:
        signed_at = _parse_amz_date(amz_date)
        if signed_at < now - MAX_SKEW_SECS:
            raise AuthFailure(
                "stale",
                f"Signature expired: {amz_date} is now earlier than"
                f" {_format_amz_date(now - MAX_SKEW_SECS)} ({_format_amz_date(now)} - 5 min.)",
            )
        if signed_at > now + MAX_SKEW_SECS:
            raise AuthFailure(
                "stale",
                f"Signature not yet current: {amz_date} is still later than"
                f" {_format_amz_date(now + MAX_SKEW_SECS)} ({_format_amz_date(now)} + 5 min.)",
            )


@dataclass(frozen=True, slots=True)
class CredentialScope:
    """What a signature claims before it is checked: whose key, for which region and service."""

    access_key: str
    region: str
    service: str


def credential_scope(authorization: str | None) -> CredentialScope | None:
    """Read the scope without verifying: it picks the service, and names the caller when
    verification is off."""
    if not authorization:
        return None
    try:
        claim, _ = _parse_authorization(authorization)
    except AuthFailure:
        return None
    return CredentialScope(access_key=claim.access_key, region=claim.region, service=claim.service)
