"""The emulated AWS: its accounts, each with its images per enabled region, and the organization.

A standalone account (the default) and an organization are the same shape, so every service
reads one model. Options that name accounts or regions are applied here, after the seeded state
exists, so adding one never reshuffles what the seed generated.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from ._options import ACCOUNT_ID, InvalidOption
from ._regions import OPT_IN_REGIONS
from ._state import ImageStore, generate_records, generate_shares, standalone_store

__all__ = [
    "Account",
    "AccountStatus",
    "Organization",
    "RoleAccess",
    "World",
    "apply_account_options",
    "standalone_world",
]

AccountStatus = Literal["ACTIVE", "SUSPENDED"]
RoleAccess = Literal["none", "trusted", "external_id", "denied"]
"""How the organization's role in an account answers AssumeRole from the management account:
"none" where there is no such role (the management or a standalone account)."""


@dataclass(slots=True)
class Account:
    """One AWS account: who it is in the organization, and its images in each enabled region."""

    account_id: str
    name: str
    email: str
    status: AccountStatus
    joined: float
    joined_method: Literal["CREATED", "INVITED"]
    role_access: RoleAccess
    stores: dict[str, ImageStore]
    disabled_regions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Organization:
    organization_id: str
    management_account_id: str
    management_email: str
    delegated_admins: frozenset[str] = frozenset()

    @property
    def arn(self) -> str:
        return (
            f"arn:aws:organizations::{self.management_account_id}"
            f":organization/{self.organization_id}"
        )

    def account_arn(self, account_id: str) -> str:
        return (
            f"arn:aws:organizations::{self.management_account_id}"
            f":account/{self.organization_id}/{account_id}"
        )


@dataclass(slots=True)
class World:
    """Everything the services answer from; `home_account_id` owns the emulator's own keys."""

    accounts: dict[str, Account]
    home_account_id: str
    regions: tuple[str, ...]
    organization: Organization | None = None
    role_name: str = "OrganizationAccountAccessRole"
    external_id: str = ""
    stores: dict[tuple[str, str], ImageStore] = field(init=False)

    def __post_init__(self) -> None:
        self.index_stores()

    def index_stores(self) -> None:
        """(account, region) -> images, for the request path's one lookup."""
        self.stores = {
            (account.account_id, region): store
            for account in self.accounts.values()
            for region, store in account.stores.items()
        }

    def role_arn(self, account_id: str) -> str:
        return f"arn:aws:iam::{account_id}:role/{self.role_name}"


def standalone_world(
    images: int | Mapping[str, Sequence[str]], seed: int, regions: Sequence[str]
) -> World:
    """One account outside any organization; its first region holds what the seed always gave."""
    others = regions[1:]
    if not isinstance(images, int):
        if others:
            raise InvalidOption("images", f"given image by image serve one region, not {regions}")
        return _standalone(standalone_store(images, seed), {}, regions)
    home = standalone_store(generate_shares(images, seed), seed)
    stores = {}
    taken = set(home.image_ids)
    for region in others:
        more = generate_shares(images, f"{seed}/{region}", taken=taken)
        records = generate_records(tuple(more), random.Random(f"records-{seed}/{region}"))
        stores[region] = ImageStore(home.owner_account_id, more, records)
    return _standalone(home, stores, regions)


def _standalone(home: ImageStore, others: dict[str, ImageStore], regions: Sequence[str]) -> World:
    account = Account(
        account_id=home.owner_account_id,
        name="standalone",
        email="aws+standalone@example.com",
        status="ACTIVE",
        joined=0.0,
        joined_method="CREATED",
        role_access="none",
        stores={regions[0]: home, **others},
    )
    return World({account.account_id: account}, account.account_id, tuple(regions))


def _accounts_named(world: World, argument: str, ids: Iterable[str], *, members: bool) -> set[str]:
    chosen = set()
    for account_id in ids:
        ACCOUNT_ID.check(argument, account_id)
        if account_id not in world.accounts:
            raise InvalidOption(argument, f"names {account_id}, which is not an account here")
        if members and account_id == world.home_account_id:
            raise InvalidOption(
                argument, f"names {account_id}, the management account, which has no such role"
            )
        chosen.add(account_id)
    return chosen


def apply_account_options(
    world: World,
    *,
    opt_in_disabled: Iterable[tuple[str, str]],
    deny_role: Iterable[str],
    external_id_role: Iterable[str],
    delegated_admins: Iterable[str],
) -> None:
    """Apply the options that name accounts; each must name one the world has."""
    named = {
        "deny_role": tuple(deny_role),
        "external_id_role": tuple(external_id_role),
        "delegated_admins": tuple(delegated_admins),
    }
    for argument, values in named.items():
        if values and world.organization is None:
            raise InvalidOption(argument, "needs an organization (accounts)")
    denied = _accounts_named(world, "deny_role", named["deny_role"], members=True)
    external = _accounts_named(world, "external_id_role", named["external_id_role"], members=True)
    both = sorted(denied & external)
    if both:
        raise InvalidOption("external_id_role", f"names {both[0]}, whose role deny_role denies")
    for account_id in denied:
        world.accounts[account_id].role_access = "denied"
    for account_id in external:
        world.accounts[account_id].role_access = "external_id"
    admins = _accounts_named(world, "delegated_admins", named["delegated_admins"], members=True)
    if world.organization is not None and admins:
        world.organization = Organization(
            world.organization.organization_id,
            world.organization.management_account_id,
            world.organization.management_email,
            frozenset(admins),
        )
    for account_id, region in opt_in_disabled:
        _accounts_named(world, "opt_in_disabled", [account_id], members=False)
        account = world.accounts[account_id]
        if region not in world.regions:
            raise InvalidOption("opt_in_disabled", f"names {region}, which is not served here")
        if region not in OPT_IN_REGIONS:
            raise InvalidOption("opt_in_disabled", f"names {region}, which is not an opt-in region")
        account.stores.pop(region, None)
        account.disabled_regions = tuple(
            served
            for served in world.regions
            if served == region or served in account.disabled_regions
        )
    world.index_stores()
