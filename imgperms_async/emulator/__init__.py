"""A local AWS endpoint for Amazon WorkSpaces image permissions, strict enough to test a client.

One standalone account by default; with `accounts`, an AWS organization whose accounts and
regions are served together with STS, Organizations, EC2 DescribeRegions and the tagging API.

It is a side branch of the package: it imports nothing from the client, and its SigV4 verifier is
written from the specification so it checks the client's signer instead of sharing it.
"""

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
