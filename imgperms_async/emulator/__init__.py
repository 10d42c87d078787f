"""A local Amazon WorkSpaces emulator for image permissions, strict enough to test a client.

It is a side branch of the package: it imports nothing from the client, and its SigV4 verifier is
written from the specification so it checks the client's signer instead of sharing it.
"""

from ._credentials import EmulatorCredentials
from ._emulator import Emulator
from ._request_log import RequestRecord
from ._serve import run_emulator

__all__ = ["Emulator", "EmulatorCredentials", "RequestRecord", "run_emulator"]
