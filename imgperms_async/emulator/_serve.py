"""Serving from the command line: announce the endpoint and credentials, then wait for a signal.

stdout carries what a shell or a script reads (the URL, then `export` lines); an organization's
facts a person needs (its accounts, which roles deny or want an ExternalId, which regions are
not enabled) go to stderr as comments, account names with their unprintable characters escaped
(names may be any text). Only the emulator's own (management) keys are printed.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from typing import TextIO

from ._emulator import Emulator

__all__ = ["announcement", "organization_notes", "run_emulator"]

LISTED_ACCOUNTS = 50
"""Above this many accounts, the notes point to the truth endpoint instead of listing them."""


def _printable(text: str) -> str:
    """Text as a terminal may show it: control characters, ANSI escapes and bidi overrides
    written as their escapes, so a hostile account name cannot redraw the notes."""
    return "".join(
        char if char.isprintable() else char.encode("unicode_escape").decode() for char in text
    )


def announcement(emulator: Emulator) -> str:
    """The endpoint, then the variables that point clients at it as shell `export` lines."""
    exports = [f"export {name}={value}" for name, value in emulator.environment.items()]
    return "\n".join([emulator.endpoint_url, *exports]) + "\n"


def organization_notes(emulator: Emulator) -> str:
    """What a person needs to use the organization, as `#` comments; empty when standalone."""
    truth = emulator.scoped_truth
    organization = truth.organization
    if organization is None:
        return ""
    members = organization.accounts[1:]
    lines = [
        f"organization {organization.organization_id}: management account"
        f" {organization.management_account_id}, {len(members)} members,"
        f" regions {', '.join(truth.regions)}",
        f"role in every member: {emulator.role_arn('ACCOUNT')}",
    ]
    if len(members) <= LISTED_ACCOUNTS:
        lines += [f"  {a.account_id}  {_printable(a.name):<24} {a.status}" for a in members]
    denied = [a.account_id for a in members if a.role_access == "denied"]
    external = [a.account_id for a in members if a.role_access == "external_id"]
    if denied:
        lines.append(f"the role denies AssumeRole in: {', '.join(denied)}")
    if external:
        lines.append(
            f"the role requires ExternalId {organization.external_id} in: {', '.join(external)}"
        )
    disabled = [
        f"{account} {region}"
        for account, regions in truth.disabled_regions.items()
        for region in regions
    ]
    if disabled:
        lines.append(f"opt-in regions not enabled: {', '.join(disabled)}")
    lines.append(f"everything it holds: GET {emulator.endpoint_url}/_emulator/truth")
    return "".join(f"# {line}\n" for line in lines)


async def _serve(emulator: Emulator, out: TextIO, err: TextIO) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with emulator:
        out.write(announcement(emulator))
        out.flush()
        err.write(organization_notes(emulator))
        err.flush()
        await stop.wait()


def run_emulator(
    emulator: Emulator, *, out: TextIO | None = None, err: TextIO | None = None
) -> None:
    """Serve `emulator` until SIGINT or SIGTERM, announcing it on `out` (stdout by default)
    and, for an organization, its notes on `err` (stderr)."""
    asyncio.run(_serve(emulator, out or sys.stdout, err or sys.stderr))
