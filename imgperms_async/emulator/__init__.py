"""A local AWS endpoint for Amazon WorkSpaces image permissions, strict enough to test a client.

One standalone account by default; with `accounts`, an AWS organization whose accounts and
regions are served together with STS, Organizations, EC2 DescribeRegions and the tagging API.

It is a side branch of the package: it imports nothing from the client, and its SigV4 verifier is
written from the specification so it checks the client's signer instead of sharing it. Names are
imported on first use, so registering the `emulator` command (`_command`) costs a CLI nothing
until the emulator runs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._credentials import EmulatorCredentials
    from ._emulator import Emulator
    from ._request_log import RequestRecord
    from ._serve import run_emulator
    from ._truth import AccountTruth, OrganizationTruth, ScopedTruth

__all__ = [
    "AccountTruth",
    "Emulator",
    "EmulatorCredentials",
    "OrganizationTruth",
    "RequestRecord",
    "ScopedTruth",
    "run_emulator",
]

_HOMES = {
    "AccountTruth": "._truth",
    "Emulator": "._emulator",
    "EmulatorCredentials": "._credentials",
    "OrganizationTruth": "._truth",
    "RequestRecord": "._request_log",
    "ScopedTruth": "._truth",
    "run_emulator": "._serve",
}


def __getattr__(name: str) -> object:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home, __name__), name)
    globals()[name] = value
    return value
