"""Options that name accounts, applied once the seed has generated the world.

Each must name an account the world has (and a region it serves), so a typo is a ValueError
naming the argument, not a silent no-op; applying one never reshuffles what the seed generated.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ._model.accounts import Organization, World
from ._options import ACCOUNT_ID, InvalidOption
from ._regions import OPT_IN_REGIONS

__all__ = ["apply_account_options", "existing_accounts", "name_accounts", "served_scopes"]


def existing_accounts(
    world: World, argument: str, ids: Iterable[str], *, members: bool = False
) -> frozenset[str]:
    """The accounts named, each one the world has (and, for `members`, not the management
    account, which has no organization role)."""
    chosen = frozenset(ids)
    for account_id in sorted(chosen):
        ACCOUNT_ID.check(argument, account_id)
        if account_id not in world.accounts:
            raise InvalidOption(argument, f"names {account_id}, which is not an account here")
        if members and account_id == world.home_account_id:
            raise InvalidOption(
                argument, f"names {account_id}, the management account, which has no such role"
            )
    return chosen


def served_scopes(
    world: World, argument: str, scopes: Iterable[tuple[str, str]]
) -> frozenset[tuple[str, str]]:
    """(account, region) pairs, each an account here and a region served here."""
    chosen = frozenset(scopes)
    for account_id, region in sorted(chosen):
        existing_accounts(world, argument, [account_id])
        if region not in world.regions:
            raise InvalidOption(argument, f"names {region}, which is not served here")
    return chosen


def _needs_organization(world: World, argument: str, given: object) -> None:
    if given and world.organization is None:
        raise InvalidOption(argument, "needs an organization (accounts)")


def apply_account_options(
    world: World,
    *,
    opt_in_disabled: Iterable[tuple[str, str]],
    deny_role: Iterable[str],
    external_id_role: Iterable[str],
    delegated_admins: Iterable[str],
) -> None:
    """Set how each member's role answers, who may list the accounts, which opt-in regions
    stay disabled."""
    named = {
        "deny_role": tuple(deny_role),
        "external_id_role": tuple(external_id_role),
        "delegated_admins": tuple(delegated_admins),
    }
    for argument, values in named.items():
        _needs_organization(world, argument, values)
    denied = existing_accounts(world, "deny_role", named["deny_role"], members=True)
    external = existing_accounts(world, "external_id_role", named["external_id_role"], members=True)
    both = sorted(denied & external)
    if both:
        raise InvalidOption("external_id_role", f"names {both[0]}, whose role deny_role denies")
    for account_id in denied:
        world.accounts[account_id].role_access = "denied"
    for account_id in external:
        world.accounts[account_id].role_access = "external_id"
    admins = existing_accounts(world, "delegated_admins", named["delegated_admins"], members=True)
    if world.organization is not None and admins:
        world.organization = Organization(
            world.organization.organization_id,
            world.organization.management_account_id,
            world.organization.management_email,
            admins,
        )
    for account_id, region in opt_in_disabled:
        existing_accounts(world, "opt_in_disabled", [account_id])
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


def name_accounts(world: World, names: Mapping[str, str] | None) -> None:
    """Give accounts the names ListAccounts serves, whatever text they are.

    AWS Organizations takes printable ASCII only (1 to 50 characters of U+0020 to U+007E). The
    emulator deliberately takes any non-empty text, markup, control characters, ANSI escapes,
    bidi overrides and spreadsheet formulas included, so a client's output can be tested
    against names that try to break it; ListAccounts serves them literally, JSON-escaped.
    """
    if names is None:
        return
    _needs_organization(world, "account_names", names)
    if not isinstance(names, Mapping):
        raise InvalidOption("account_names", f"must map account ids to names, got {names!r}")
    existing_accounts(world, "account_names", names)
    for account_id, name in names.items():
        if not isinstance(name, str) or not name:
            raise InvalidOption(
                "account_names", f"must give {account_id} a name of some text, got {name!r}"
            )
        world.accounts[account_id].name = name
