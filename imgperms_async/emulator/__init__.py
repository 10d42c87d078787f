"""A local AWS endpoint for Amazon WorkSpaces image permissions, strict enough to test a client.

One standalone account by default; with `accounts`, an AWS organization whose accounts and
regions are served together. Either way WorkSpaces, STS, Organizations, EC2 DescribeRegions, the
tagging API and Security Hub share one port.

It is a side branch of the package: it imports nothing from the client, and its SigV4 verifier is
written from the specification so it checks the client's signer instead of sharing it. Importing
it loads no HTTP server (that waits until an emulator starts serving), so registering the
`emulator` command costs a CLI little.

The public names are the re-exports below, one line each; `__all__` is derived from them.
"""

from __future__ import annotations

from ._credentials import EmulatorCredentials as EmulatorCredentials
from ._emulator import Emulator as Emulator
from ._request_log import RequestRecord as RequestRecord
from ._serve import run_emulator as run_emulator
from ._truth_snapshot import AccountTruth as AccountTruth
from ._truth_snapshot import OrganizationTruth as OrganizationTruth
from ._truth_snapshot import ScopedTruth as ScopedTruth

__all__ = sorted(
    name
    for name, value in list(globals().items())
    if not name.startswith("_") and getattr(value, "__module__", "").startswith(f"{__name__}.")
)
