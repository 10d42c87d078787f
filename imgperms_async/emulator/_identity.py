"""Who a credential is: the account and ARN behind each access key, and STS's temporary keys.

The emulator's own key pairs belong to a user of its home account (the standalone account, or
an organization's management account). AssumeRole adds temporary keys for a role session in
another account; they are derived from the seed and the request, so the same run issues the same
keys however calls interleave, and they are good for that account alone.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from ._credentials import EmulatorCredentials

__all__ = ["Identities", "Principal"]

USER_NAME = "emulator"
_SECRET_CHARS = 40
_TOKEN_BYTES = 264


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller a credential stands for, as GetCallerIdentity reports it; `role_arn` is the
    role a session belongs to (IAM's aws:PrincipalArn for it), None for the emulator's own user.
    """

    credentials: EmulatorCredentials
    account_id: str
    arn: str
    user_id: str
    role_arn: str | None = None

    @property
    def principal_arn(self) -> str:
        """What IAM's aws:PrincipalArn holds: the role, for a session; the user otherwise."""
        return self.role_arn or self.arn


def _unique_id(prefix: str, key: bytes, text: str) -> str:
    """An IAM-style unique id (AIDA..., AROA...): 21 uppercase letters and digits."""
    digest = hmac.digest(key, text.encode(), "sha256")
    return prefix + base64.b32encode(digest).decode()[:17]


class Identities:
    """Access key -> principal, for the emulator's own keys and those AssumeRole issued."""

    def __init__(
        self, home_account_id: str, credentials: Iterable[EmulatorCredentials], *, seed: int
    ) -> None:
        self._key = hashlib.sha256(f"identities-{seed}".encode()).digest()
        self._issued: Counter[str] = Counter()
        own = [
            Principal(
                credentials=credential,
                account_id=home_account_id,
                arn=f"arn:aws:iam::{home_account_id}:user/{USER_NAME}",
                user_id=_unique_id("AIDA", self._key, f"user/{home_account_id}"),
            )
            for credential in credentials
        ]
        self.home = own[0]
        """Who an unsigned request is taken for when verification is off."""
        self._principals = {principal.credentials.access_key: principal for principal in own}

    def credential(self, access_key: str) -> EmulatorCredentials | None:
        principal = self._principals.get(access_key)
        return None if principal is None else principal.credentials

    def principal(self, access_key: str) -> Principal | None:
        return self._principals.get(access_key)

    def role_id(self, role_arn: str) -> str:
        return _unique_id("AROA", self._key, role_arn)

    def assume(
        self, account_id: str, role_arn: str, session_name: str, expiration: float
    ) -> Principal:
        """Issue temporary credentials for a session of the role, valid until `expiration`."""
        request = f"{role_arn}|{session_name}"
        occurrence = self._issued[request]
        self._issued[request] += 1
        material = hmac.digest(self._key, f"{request}|{occurrence}".encode(), "sha512")
        token = b"".join(
            hmac.digest(self._key, material + bytes([block]), "sha512") for block in range(5)
        )
        credentials = EmulatorCredentials(
            access_key="ASIA" + base64.b32encode(material).decode()[:16],
            secret_key=base64.b64encode(material[16:]).decode()[:_SECRET_CHARS],
            session_token=base64.b64encode(token[:_TOKEN_BYTES]).decode(),
            expiration=expiration,
        )
        role_name = role_arn.rpartition("/")[2]
        principal = Principal(
            credentials=credentials,
            account_id=account_id,
            arn=f"arn:aws:sts::{account_id}:assumed-role/{role_name}/{session_name}",
            user_id=f"{self.role_id(role_arn)}:{session_name}",
            role_arn=role_arn,
        )
        self._principals[credentials.access_key] = principal
        return principal
