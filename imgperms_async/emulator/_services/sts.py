"""AWS STS: GetCallerIdentity, and AssumeRole into the organization's member accounts.

The organization's role (OrganizationAccountAccessRole unless configured) exists in every
member and trusts the management account, as Organizations creates it. A member can instead
deny it, or require an ExternalId; a suspended member cannot be entered; a trust policy, when
given, must also let the caller in. Limits on the request are the service model's (2011-06-15)
and the role's MaxSessionDuration of one hour.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

from .._errors import ServiceError
from .._iam.authorization import TrustPolicy
from .._identity import Identities
from .._model.accounts import World
from .._protocols import Params
from .._protocols.query import QueryProtocol, element
from . import AccessDenied, Call, Permission

__all__ = ["Sts"]

MIN_DURATION_SECS = 900
MAX_DURATION_SECS = 43_200
ROLE_MAX_SESSION_SECS = 3_600
DEFAULT_DURATION_SECS = 3_600
_ROLE_ARN = re.compile(r"arn:aws:iam::(\d{12}):role/([\w+=,.@-]+)", re.ASCII)
_SESSION_NAME = r"[\w+=,.@-]*"
_EXTERNAL_ID = r"[\w+=,.@:/-]*"


def _validation(message: str) -> ServiceError:
    return ServiceError("ValidationError", f"1 validation error detected: {message}")


def _text(params: Params, key: str, low: int, high: int, pattern: str | None = None) -> str | None:
    value = params.get(key)
    if value is None:
        return None
    text = str(value)
    member = key[0].lower() + key[1:]
    if len(text) < low:
        raise _validation(
            f"Value '{text}' at '{member}' failed to satisfy constraint: Member must have"
            f" length greater than or equal to {low}"
        )
    if len(text) > high:
        raise _validation(
            f"Value '{text}' at '{member}' failed to satisfy constraint: Member must have"
            f" length less than or equal to {high}"
        )
    if pattern is not None and not re.fullmatch(pattern, text, re.ASCII):
        raise _validation(
            f"Value '{text}' at '{member}' failed to satisfy constraint: Member must satisfy"
            f" regular expression pattern: {pattern}"
        )
    return text


def _needed(value: str | None, member: str) -> str:
    if value is None:
        raise _validation(
            f"Value null at '{member}' failed to satisfy constraint: Member must not be null"
        )
    return value


def _duration(params: Params) -> int:
    value = params.get("DurationSeconds")
    if value is None:
        return DEFAULT_DURATION_SECS
    if not re.fullmatch(r"-?[0-9]+", str(value), re.ASCII):
        raise ServiceError(
            "MalformedInput", f"Invalid value for parameter DurationSeconds: {value}"
        )
    seconds = int(str(value))
    if seconds < MIN_DURATION_SECS:
        raise _validation(
            f"Value '{seconds}' at 'durationSeconds' failed to satisfy constraint: Member must"
            f" have value greater than or equal to {MIN_DURATION_SECS}"
        )
    if seconds > MAX_DURATION_SECS:
        raise _validation(
            f"Value '{seconds}' at 'durationSeconds' failed to satisfy constraint: Member must"
            f" have value less than or equal to {MAX_DURATION_SECS}"
        )
    if seconds > ROLE_MAX_SESSION_SECS:
        raise ServiceError(
            "ValidationError",
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
        )
    return seconds


def _timestamp(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Sts:
    """STS over the world's accounts; `credential_duration` overrides how long sessions last."""

    name = "sts"
    endpoint_variable = "STS"
    protocol = QueryProtocol(
        version="2011-06-15",
        xmlns="https://sts.amazonaws.com/doc/2011-06-15/",
        dialect="sts",
        actions=frozenset({"AssumeRole", "GetCallerIdentity"}),
    )
    global_endpoint = True
    access_denied = AccessDenied("AccessDenied", 403)

    def __init__(
        self,
        world: World,
        identities: Identities,
        *,
        clock: Callable[[], float],
        credential_duration: float | None,
        trust: TrustPolicy | None = None,
    ) -> None:
        self._world = world
        self._identities = identities
        self._clock = clock
        self._credential_duration = credential_duration
        self._trust = trust

    def permissions(self, operation: str, params: Params, call: Call) -> tuple[Permission, ...]:
        """AssumeRole needs sts:AssumeRole on the role; GetCallerIdentity nothing at all."""
        if operation != "AssumeRole":
            return ()
        role_arn = params.get("RoleArn")
        external_id = params.get("ExternalId")
        return (
            Permission(
                "sts:AssumeRole",
                role_arn if isinstance(role_arn, str) else "*",
                {} if not isinstance(external_id, str) else {"sts:ExternalId": external_id},
            ),
        )

    def answer(self, operation: str, params: Params, call: Call) -> bytes:
        if operation == "GetCallerIdentity":
            return self._caller_identity(call)
        if operation == "AssumeRole":
            return self._assume_role(params, call)
        raise ServiceError(
            "InvalidAction", f"Could not find operation {operation} for version 2011-06-15"
        )

    @staticmethod
    def _caller_identity(call: Call) -> bytes:
        principal = call.principal
        return (
            element("Arn", principal.arn)
            + element("UserId", principal.user_id)
            + element("Account", principal.account_id)
        ).encode()

    def _assume_role(self, params: Params, call: Call) -> bytes:
        role_arn = _needed(_text(params, "RoleArn", 20, 2048), "roleArn")
        session = _needed(_text(params, "RoleSessionName", 2, 64, _SESSION_NAME), "roleSessionName")
        external_id = _text(params, "ExternalId", 2, 1224, _EXTERNAL_ID)
        duration = _duration(params)
        account_id = self._trusted_account(role_arn, external_id, call)
        lifetime = duration if self._credential_duration is None else self._credential_duration
        expiration = self._clock() + lifetime
        principal = self._identities.assume(account_id, role_arn, session, expiration)
        credentials = principal.credentials
        return (
            "<Credentials>"
            + element("AccessKeyId", credentials.access_key)
            + element("SecretAccessKey", credentials.secret_key)
            + element("SessionToken", credentials.session_token)
            + element("Expiration", _timestamp(expiration))
            + "</Credentials><AssumedRoleUser>"
            + element("AssumedRoleId", principal.user_id)
            + element("Arn", principal.arn)
            + "</AssumedRoleUser>"
        ).encode()

    def _trusted_account(self, role_arn: str, external_id: str | None, call: Call) -> str:
        """The account whose role may be entered, or AccessDenied as IAM would answer."""
        denied = ServiceError(
            "AccessDenied",
            f"User: {call.principal.arn} is not authorized to perform: sts:AssumeRole on"
            f" resource: {role_arn}",
            403,
        )
        match = _ROLE_ARN.fullmatch(role_arn)
        world = self._world
        if match is None or match[2] != world.role_name or world.organization is None:
            raise denied
        account = world.accounts.get(match[1])
        if (
            account is None
            or call.account.account_id != world.organization.management_account_id
            or account.status != "ACTIVE"
            or account.role_access in ("none", "denied")
            or (account.role_access == "external_id" and external_id != world.external_id)
            or (
                self._trust is not None
                and not self._trust.allows(call.principal, call.region, external_id)
            )
        ):
            raise denied
        return account.account_id
