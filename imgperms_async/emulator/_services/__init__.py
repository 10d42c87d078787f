"""The emulated AWS services, and what each gives the pipeline: its envelope, the IAM
permissions a request needs, how it says AccessDenied, and its answers for one caller."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from .._errors import ServiceError
from .._identity import Principal
from .._model.accounts import Account
from .._protocols import Params, WireProtocol

__all__ = ["AccessDenied", "Call", "Permission", "Service"]


@dataclass(slots=True)
class Call:
    """Who calls, in which account and region; a write notes whether it changed anything."""

    principal: Principal
    account: Account
    region: str
    changed: bool | None = None


@dataclass(frozen=True, slots=True)
class Permission:
    """An IAM action a request needs on a resource ("*" where the action has no resource type),
    with the condition keys the request itself sets (sts:ExternalId)."""

    action: str
    resource: str
    context: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AccessDenied:
    """How a service refuses an unauthorized call: its code and status, and the words it puts
    before IAM's sentence (EC2's "You are not authorized to perform this operation.")."""

    code: str
    status: int = 400
    preamble: str = ""

    def error(self, sentence: str) -> ServiceError:
        return ServiceError(self.code, f"{self.preamble}{sentence}", self.status)


class Service(Protocol):
    """One AWS service, its facts read-only.

    `name` is its SigV4 signing name, the one a credential scope names; `endpoint_variable` the
    suffix botocore reads after AWS_ENDPOINT_URL_ for it (its service id, upper case, spaces as
    underscores); `global_endpoint` services (STS, Organizations) also answer scopes for
    us-east-1, their global endpoint's region.
    """

    @property
    def name(self) -> str: ...
    @property
    def endpoint_variable(self) -> str: ...
    @property
    def protocol(self) -> WireProtocol: ...
    @property
    def global_endpoint(self) -> bool: ...
    @property
    def access_denied(self) -> AccessDenied: ...

    def permissions(self, operation: str, params: Params, call: Call) -> tuple[Permission, ...]:
        """What IAM must allow for the request, as the Service Authorization Reference says."""
        ...

    def answer(self, operation: str, params: Params, call: Call) -> bytes: ...
