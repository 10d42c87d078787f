"""The truth: what the emulator holds, as plain data: the organization, each scope's images and
who they are shared with, and which images each scope receives from others.

Tests compare a client's answers with it; `GET /_emulator/truth` serves the same as JSON, with the
same names, so a shell script and a Python test read one shape.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ._model.accounts import AccountStatus, RoleAccess, World

__all__ = ["AccountTruth", "OrganizationTruth", "ScopedTruth", "scoped_truth"]


@dataclass(frozen=True, slots=True)
class AccountTruth:
    """An account of the organization; `role_access` says how AssumeRole into it answers:
    "trusted", "external_id" (needs the emulator's ExternalId), "denied", or "none" (the
    management account, which has no such role)."""

    account_id: str
    name: str
    email: str
    status: AccountStatus
    role_access: RoleAccess


@dataclass(frozen=True, slots=True)
class OrganizationTruth:
    organization_id: str
    management_account_id: str
    accounts: tuple[AccountTruth, ...]
    """Every account, the management account first, in ListAccounts order."""
    delegated_admins: tuple[str, ...]
    role_name: str
    external_id: str


@dataclass(frozen=True, slots=True)
class ScopedTruth:
    """`images[account][region][image]` is the shared account ids in server order, for every
    enabled region; `disabled_regions[account]` the opt-in regions it has not enabled;
    `inbound[account][region][image]` the owner of each image shared into that account and
    region, by another account here or by one outside (only scopes that receive some)."""

    organization: OrganizationTruth | None
    regions: tuple[str, ...]
    images: Mapping[str, Mapping[str, Mapping[str, tuple[str, ...]]]]
    disabled_regions: Mapping[str, tuple[str, ...]]
    inbound: Mapping[str, Mapping[str, Mapping[str, str]]]

    def to_json(self) -> dict[str, object]:
        organization = self.organization
        return {
            "organization": None
            if organization is None
            else {
                "organization_id": organization.organization_id,
                "management_account_id": organization.management_account_id,
                "accounts": [
                    {
                        "account_id": account.account_id,
                        "name": account.name,
                        "email": account.email,
                        "status": account.status,
                        "role_access": account.role_access,
                    }
                    for account in organization.accounts
                ],
                "delegated_admins": list(organization.delegated_admins),
                "role_name": organization.role_name,
                "external_id": organization.external_id,
            },
            "regions": list(self.regions),
            "images": {
                account: {
                    region: {image: list(shares) for image, shares in images.items()}
                    for region, images in regions.items()
                }
                for account, regions in self.images.items()
            },
            "disabled_regions": {
                account: list(regions) for account, regions in self.disabled_regions.items()
            },
            "inbound": {
                account: {region: dict(images) for region, images in regions.items()}
                for account, regions in self.inbound.items()
            },
        }


def scoped_truth(world: World) -> ScopedTruth:
    organization = world.organization
    return ScopedTruth(
        organization=None
        if organization is None
        else OrganizationTruth(
            organization_id=organization.organization_id,
            management_account_id=organization.management_account_id,
            accounts=tuple(
                AccountTruth(
                    account.account_id,
                    account.name,
                    account.email,
                    account.status,
                    account.role_access,
                )
                for account in world.accounts.values()
            ),
            delegated_admins=tuple(sorted(organization.delegated_admins)),
            role_name=world.role_name,
            external_id=world.external_id,
        ),
        regions=world.regions,
        images={
            account.account_id: {region: store.truth() for region, store in account.stores.items()}
            for account in world.accounts.values()
        },
        disabled_regions={
            account.account_id: account.disabled_regions
            for account in world.accounts.values()
            if account.disabled_regions
        },
        inbound=world.inbound.truth(),
    )
