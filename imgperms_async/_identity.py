"""Who calls AWS, and where: the one value that the client, the audit and the CLI pass down.

It holds only what was given; anything left ``None`` comes from botocore's usual sources when a
client or an audit is entered (environment, shared files, SSO, IMDS, ...). Every value is checked
here, where it enters, so a malformed region or endpoint never reaches a request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from botocore.exceptions import PartialCredentialsError

from imgperms_async._exceptions import InvalidEndpointError, InvalidSettingError
from imgperms_async._regions import check_region_name
from imgperms_async._secrets import remember


@dataclass(frozen=True, slots=True)
class Identity:
    """The arguments of ``boto3.client(...)`` that say who calls and where, in one frozen value;
    the secret key and session token never appear in its repr."""

    region_name: str | None = None
    endpoint_url: str | None = None
    profile_name: str | None = None
    aws_access_key_id: str | None = None
    aws_secret_access_key: str | None = field(default=None, repr=False)
    aws_session_token: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.region_name is not None:
            check_region_name(self.region_name, source="region_name")
        if self.endpoint_url is not None:
            check_endpoint_url(self.endpoint_url, source="endpoint_url")
        for name in ("profile_name", "aws_access_key_id", "aws_secret_access_key"):
            value = getattr(self, name)
            if value is not None and not (isinstance(value, str) and value):
                raise InvalidSettingError(error_msg=f"{name} must be a non-empty string")
        if bool(self.aws_access_key_id) != bool(self.aws_secret_access_key):
            missing = "aws_secret_access_key" if self.aws_access_key_id else "aws_access_key_id"
            raise PartialCredentialsError(provider="explicit", cred_var=missing)
        remember(self.aws_secret_access_key, self.aws_session_token)

    @property
    def has_keys(self) -> bool:
        return self.aws_access_key_id is not None

    @classmethod
    def of(cls, identity: Identity | None, **arguments: Any) -> Identity:
        """``identity``, or one made of boto3-style keyword arguments; not both."""
        given = {name: value for name, value in arguments.items() if value is not None}
        if identity is None:
            return cls(**given)
        if given:
            raise InvalidSettingError(
                error_msg=f"give identity= or {', '.join(sorted(given))}, not both"
            )
        if not isinstance(identity, Identity):
            raise InvalidSettingError(
                error_msg=f"identity must be an imgperms_async.Identity, not {identity!r}"
            )
        return identity


def check_endpoint_url(endpoint_url: object, *, source: str) -> str:
    """An http(s) URL with a host, a valid port and nothing else: what botocore checks, and what
    it lets through that cannot be an AWS endpoint (credentials, a query, spaces)."""
    from botocore.utils import is_valid_endpoint_url, is_valid_ipv6_endpoint_url

    if not isinstance(endpoint_url, str):
        problem: str | None = "it is not a string"
    else:
        problem = _endpoint_problem(endpoint_url)
        if problem is None and not (
            is_valid_endpoint_url(endpoint_url) or is_valid_ipv6_endpoint_url(endpoint_url)
        ):
            problem = "it has no valid host name"
    if problem is not None:
        raise InvalidEndpointError(
            error_msg=f"endpoint URL {endpoint_url!r} ({source}) is not valid: {problem}; "
            "give http://HOST[:PORT] or https://HOST[:PORT]"
        )
    assert isinstance(endpoint_url, str)
    return endpoint_url


def _endpoint_problem(endpoint_url: str) -> str | None:
    if not endpoint_url:
        return "it is empty"
    if endpoint_url != endpoint_url.strip():
        return "it has leading or trailing spaces"
    try:
        parts = urlsplit(endpoint_url)
        port = parts.port
    except ValueError as error:
        return str(error)
    if parts.scheme not in ("http", "https"):
        return "the scheme must be http or https"
    if not parts.hostname:
        return "it has no host"
    if parts.username is not None or parts.password is not None:
        return "it must not hold user information"
    if parts.query or parts.fragment or endpoint_url.endswith(("?", "#")):
        return "it must not have a query or fragment"
    if port == 0:
        return "port 0 cannot be connected to"
    return None
