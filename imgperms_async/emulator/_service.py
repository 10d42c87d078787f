"""What every emulated service gives the server: its envelope, and answers for one caller."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ._identity import Principal
from ._json_protocol import JsonProtocol, Params
from ._query_protocol import QueryProtocol
from ._world import Account

__all__ = ["Call", "Service"]


@dataclass(slots=True)
class Call:
    """Who calls, in which account and region; a write notes whether it changed anything."""

    principal: Principal
    account: Account
    region: str
    changed: bool | None = None


class Service(Protocol):
    """One AWS service, its facts read-only: `name` is its SigV4 signing name, the one a
    credential scope names; `global_endpoint` services (STS, Organizations) also answer scopes
    for us-east-1, their global endpoint's region; `throttled` ones spend the rate limit."""

    @property
    def name(self) -> str: ...
    @property
    def protocol(self) -> JsonProtocol | QueryProtocol: ...
    @property
    def operations(self) -> frozenset[str]: ...
    @property
    def global_endpoint(self) -> bool: ...
    @property
    def throttled(self) -> bool: ...

    def answer(self, operation: str, params: Params, call: Call) -> bytes: ...
