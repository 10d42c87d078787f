"""The AWS query protocol of STS and EC2: form-encoded requests, XML answers, two error dialects.

botocore parses these answers with its own XML parsers, so the shapes follow AWS's documented
responses element for element. STS wraps results in `<OpResult>` and errors in `<ErrorResponse>`;
EC2 puts its members beside a `requestId` and errors in `<Response><Errors>`. Each dialect also
has its own words for the failures the JSON services share.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

from .._errors import AuthFailure, AuthKind, ServiceError
from . import Params, RawRequest
from .json11 import not_at_root

__all__ = ["FORM_CONTENT_TYPE", "QueryProtocol", "element"]

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
_XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
_EC2_CREDENTIALS = "AWS was not able to validate the provided access credentials"
_EC2_EXPIRED = "Request has expired."
Dialect = Literal["sts", "ec2"]
Translation = tuple[str, int, str | None]
"""A dialect's code, HTTP status and, where its words differ, message."""

_AUTH: Mapping[Dialect, Mapping[AuthKind, Translation]] = {
    "sts": {
        "missing": ("MissingAuthenticationToken", 403, "Request is missing Authentication Token"),
        "incomplete": ("IncompleteSignature", 400, None),
        "signature": ("SignatureDoesNotMatch", 403, None),
        "stale": ("SignatureDoesNotMatch", 403, None),
        "unrecognized": ("InvalidClientTokenId", 403, None),
        "expired_token": ("ExpiredToken", 400, None),
    },
    "ec2": {
        "missing": ("MissingAuthenticationToken", 401, "Request is missing Authentication Token"),
        "incomplete": ("IncompleteSignature", 400, None),
        "signature": ("AuthFailure", 401, _EC2_CREDENTIALS),
        "stale": ("RequestExpired", 400, _EC2_EXPIRED),
        "unrecognized": ("AuthFailure", 401, _EC2_CREDENTIALS),
        "expired_token": ("RequestExpired", 400, _EC2_EXPIRED),
    },
}
_CODES: Mapping[Dialect, Mapping[str, Translation]] = {
    "sts": {
        "ThrottlingException": ("Throttling", 400, None),
        "InternalFailure": ("InternalFailure", 500, None),
        "ServiceUnavailable": ("ServiceUnavailable", 503, None),
    },
    "ec2": {
        "ThrottlingException": ("RequestLimitExceeded", 503, "Request limit exceeded."),
        "InternalFailure": ("InternalError", 500, "An internal error has occurred"),
        "ServiceUnavailable": (
            "Unavailable", 503, "The server is overloaded and can't handle the request."
        ),
    },
}  # fmt: skip


def element(name: str, value: object) -> str:
    """`<name>value</name>`, the value escaped: text from requests is echoed, never markup."""
    return f"<{name}>{escape(str(value))}</{name}>"


def _form(body: bytes) -> dict[str, str]:
    try:
        return dict(parse_qsl(body.decode(), keep_blank_values=True, strict_parsing=bool(body)))
    except (UnicodeDecodeError, ValueError):
        raise ServiceError("MalformedQueryString", "The query string is malformed.", 404) from None


@dataclass(frozen=True, slots=True)
class QueryProtocol:
    """One service's query envelope: its API version, XML namespace, error dialect, and the
    actions it has (an unsigned form names its service only by its action)."""

    version: str
    xmlns: str
    dialect: Dialect
    actions: frozenset[str]
    content_type: str = "text/xml"

    def addressed_by(self, request: RawRequest) -> bool:
        form = request.headers.get("Content-Type", "").startswith(FORM_CONTENT_TYPE)
        return form and self.operation(request) in self.actions

    def operation(self, request: RawRequest) -> str | None:
        try:
            return _form(request.body).get("Action")
        except ServiceError:
            return None

    def read(self, request: RawRequest) -> tuple[str, Params]:
        if request.path != "/":
            raise not_at_root(request)
        content_type = request.headers.get("Content-Type", "").partition(";")[0].strip()
        if content_type != FORM_CONTENT_TYPE:
            raise ServiceError(
                "InvalidParameterValue", f"Content-Type must be {FORM_CONTENT_TYPE}."
            )
        params = _form(request.body)
        action = params.pop("Action", "")
        if not action:
            raise ServiceError("MissingAction", "Missing Action")
        version = params.pop("Version", "")
        if version != self.version:
            raise ServiceError(
                "InvalidAction", f"Could not find operation {action} for version {version}"
            )
        return action, params

    def wrap(self, operation: str, payload: bytes, request_id: str) -> bytes:
        """The answer document around the operation's members."""
        if self.dialect == "ec2":
            inner = f"{element('requestId', request_id)}{payload.decode()}"
        else:
            metadata = f"<ResponseMetadata>{element('RequestId', request_id)}</ResponseMetadata>"
            inner = f"<{operation}Result>{payload.decode()}</{operation}Result>{metadata}"
        document = f'<{operation}Response xmlns="{self.xmlns}">{inner}</{operation}Response>'
        return (_XML_DECLARATION + document).encode()

    def error(self, error: ServiceError, request_id: str) -> tuple[int, str, dict[str, str], bytes]:
        """Status, code, headers and body of the error answer, in the dialect's words."""
        if isinstance(error, AuthFailure):
            code, status, message = _AUTH[self.dialect][error.kind]
        else:
            code, status, message = _CODES[self.dialect].get(
                error.code, (error.code, error.status, None)
            )
        text = error.message if message is None else message
        fault = element("Code", code) + element("Message", text)
        if self.dialect == "ec2":
            document = (
                f"<Response><Errors><Error>{fault}</Error></Errors>"
                f"{element('RequestID', request_id)}</Response>"
            )
        else:
            kind = "Receiver" if status >= 500 else "Sender"
            document = (
                f'<ErrorResponse xmlns="{self.xmlns}"><Error>{element("Type", kind)}{fault}'
                f"</Error>{element('RequestId', request_id)}</ErrorResponse>"
            )
        body = (_XML_DECLARATION + document).encode()
        return status, code, {"Content-Type": self.content_type}, body
