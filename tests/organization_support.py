"""The organization the library's and the CLI's organization tests audit, and what its seed gives.

Four members: one SUSPENDED, one that never enabled af-south-1, images of every kind (some shared
with more than 25 accounts) in us-east-1, eu-west-1 and af-south-1.
"""

from __future__ import annotations

from typing import Any

from imgperms_async.emulator import AccountTruth, Emulator, OrganizationTruth

SEED = 4


def organization(**options: Any) -> Emulator:
    """The test organization (not served until entered); options apply on top of the seed."""
    options.setdefault("images", 3)
    return Emulator(accounts=4, seed=SEED, **options)


FACTS = organization().scoped_truth
"""What the seed gives, read before any emulator is configured with it."""
assert FACTS.organization is not None
ORGANIZATION: OrganizationTruth = FACTS.organization
ACCOUNTS: dict[str, AccountTruth] = {a.account_id: a for a in ORGANIZATION.accounts}
MANAGEMENT = ORGANIZATION.management_account_id
MEMBERS = [a for a, info in ACCOUNTS.items() if info.status == "ACTIVE" and a != MANAGEMENT]
SUSPENDED = next(a for a, info in ACCOUNTS.items() if info.status == "SUSPENDED")
OPTED_OUT = next(a for a in MEMBERS if "af-south-1" in FACTS.disabled_regions.get(a, ()))
"""A member that never enabled af-south-1."""
EVERYWHERE = [a for a in MEMBERS if a not in FACTS.disabled_regions]
"""Members with every region of the organization enabled."""
