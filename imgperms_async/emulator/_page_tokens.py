"""Opaque pagination tokens that are bound to what they paginate and cannot be forged."""

from __future__ import annotations

import base64
import binascii
import hmac

from ._errors import ServiceError

__all__ = ["PageTokens"]

_MAC_BYTES = 16


class PageTokens:
    """Issues tokens as base64(scope | offset | HMAC) so a token only resumes its own listing."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def issue(self, scope: str, offset: int) -> str:
        payload = f"{scope}|{offset}".encode()
        return base64.urlsafe_b64encode(payload + self._mac(payload)).decode()

    def offset(self, scope: str, token: str) -> int:
        """Return where the listing resumes, or raise as AWS does for a token it did not issue."""
        try:
            raw = base64.urlsafe_b64decode(token.encode())
        except (binascii.Error, ValueError):
            raise _invalid() from None
        payload, mac = raw[:-_MAC_BYTES], raw[-_MAC_BYTES:]
        if not hmac.compare_digest(mac, self._mac(payload)):
            raise _invalid()
        token_scope, _, offset = payload.decode().rpartition("|")
        if token_scope != scope:
            raise _invalid()
        return int(offset)

    def _mac(self, payload: bytes) -> bytes:
        return hmac.digest(self._secret, payload, "sha256")[:_MAC_BYTES]


def _invalid() -> ServiceError:
    return ServiceError("InvalidParameterValuesException", "The pagination token is invalid.")
