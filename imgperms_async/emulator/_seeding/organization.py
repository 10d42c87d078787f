"""A seeded AWS organization: a management account, members, their images and who they share with.

Deterministic for a seed. Besides the usual mix (most images private, some shared with other
members, some with accounts outside, some with both, a few across several pages), an organization
of a few accounts always holds the cases an audit must get right: one image of each kind in a
region no account can disable, some SUSPENDED members, and members that never enabled an opt-in
region the organization uses.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import overload

from .._model.accounts import Account, AccountStatus, Organization, World
from .._model.images import ImageStore
from .._regions import OPT_IN_REGIONS
from .images import BASE36, account_ids, generate_records, image_id

__all__ = ["generate_organization"]

_TEAMS = (
    "finance", "engineering", "support", "design", "sales", "training",
    "research", "security", "data", "platform", "marketing", "legal",
)  # fmt: skip
_STAGES = ("prod", "dev", "staging", "sandbox", "test")
_FOUNDED = 1_483_228_800.0  # 2017-01-01
_SPAN_SECS = 8 * 365 * 86_400.0
_OPT_IN_DISABLED_SHARE = 0.25
_MANY_SHARES = (26, 60)
Shares = tuple[str, ...]


class _AllBut(Sequence[str]):
    """Every account but one, without copying the list: an organization of thousands would
    otherwise copy it once per account. `random.sample` and `choice` index it as they would the
    copy, so the seed draws the same accounts."""

    def __init__(self, every: Sequence[str], position: int) -> None:
        self._every = every
        self._position = position

    def __len__(self) -> int:
        return len(self._every) - 1

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[str]: ...
    def __getitem__(self, index: int | slice) -> str | Sequence[str]:
        if isinstance(index, slice):
            return [self[i] for i in range(len(self))[index]]
        if index < 0:
            index += len(self)
        return self._every[index if index < self._position else index + 1]


def _names(rng: random.Random, count: int) -> list[str]:
    pairs = [f"{team}-{stage}" for team in _TEAMS for stage in _STAGES]
    rng.shuffle(pairs)
    return [
        pairs[n % len(pairs)] + ("" if n < len(pairs) else f"-{n // len(pairs)}")
        for n in range(count)
    ]


def _suspended_count(members: int) -> int:
    return 0 if members < 4 else max(1, members // 10)


def _mixed(
    rng: random.Random, members: Sequence[str], externals: Sequence[str], total: int
) -> Shares:
    inside = rng.sample(members, min(len(members), max(1, total // 4)))
    outside = rng.sample(externals, min(len(externals), total - len(inside)))
    chosen = inside + outside
    rng.shuffle(chosen)
    return tuple(chosen)


def _shares(rng: random.Random, members: Sequence[str], externals: Sequence[str]) -> Shares:
    """Shared with nobody, other members, outsiders, both, or across pages."""
    draw = rng.random()
    if draw < 0.45:
        return ()
    if draw < 0.65 and members:
        return tuple(rng.sample(members, rng.randint(1, min(4, len(members)))))
    if draw < 0.80 or not members:
        return tuple(rng.sample(externals, rng.randint(1, 3)))
    if draw < 0.96:
        return _mixed(rng, members, externals, rng.randint(2, 4))
    return _mixed(rng, members, externals, rng.randint(*_MANY_SHARES))


def _kinds(rng: random.Random, members: Sequence[str], externals: Sequence[str]) -> list[Shares]:
    """One image of each kind an audit must classify; the member kinds need another member."""
    kinds = [(), tuple(rng.sample(externals, 2)), _mixed(rng, members, externals, 30)]
    if members:
        kinds += [(rng.choice(members),), _mixed(rng, members, externals, 2)]
    return kinds


def generate_organization(members: int, regions: Sequence[str], images: int, seed: int) -> World:
    """Management account first, then `members` accounts, each with `images` per enabled region."""
    rng = random.Random(f"organization-{seed}")
    organization_id = "o-" + "".join(rng.choices(BASE36, k=10))
    ids = account_ids(rng, 1 + members + max(60, 3 * members))
    management, member_ids, externals = ids[0], ids[1 : 1 + members], ids[1 + members :]
    suspended = set(rng.sample(member_ids, _suspended_count(members)))
    opt_in = [region for region in regions if region in OPT_IN_REGIONS]
    disabled = {
        (account, region)
        for account in member_ids
        for region in opt_in
        if rng.random() < _OPT_IN_DISABLED_SHARE
    }
    if opt_in and member_ids and not disabled:
        disabled.add((rng.choice(member_ids), opt_in[0]))
    every = (management, *member_ids)
    taken: set[str] = set()
    shares: dict[tuple[str, str], dict[str, Shares]] = {}
    for position, account in enumerate(every):
        others = _AllBut(every, position)
        for region in regions:
            if (account, region) not in disabled:
                shares[account, region] = {
                    image_id(rng, taken): _shares(rng, others, externals) for _ in range(images)
                }
    _place_kinds(rng, shares, suspended, externals, every)
    names = ["management", *_names(rng, members)]
    accounts = {}
    for index, (account, name) in enumerate(zip(every, names, strict=True)):
        status: AccountStatus = "SUSPENDED" if account in suspended else "ACTIVE"
        accounts[account] = Account(
            account_id=account,
            name=name,
            email=f"aws+{name}@example.com",
            status=status,
            joined=round(_FOUNDED + (0.0 if index == 0 else rng.random() * _SPAN_SECS)),
            joined_method="CREATED" if index == 0 or rng.random() < 0.8 else "INVITED",
            role_access="none" if index == 0 else "trusted",
            stores={
                region: _store(rng, account, shares[account, region])
                for region in regions
                if (account, region) in shares
            },
            disabled_regions=tuple(r for r in regions if (account, r) in disabled),
        )
    organization = Organization(organization_id, management, accounts[management].email)
    return World(accounts, management, tuple(regions), organization)


def _place_kinds(
    rng: random.Random,
    shares: dict[tuple[str, str], dict[str, Shares]],
    suspended: set[str],
    externals: Sequence[str],
    every: Sequence[str],
) -> None:
    """Give a few images, in regions nobody can disable, one of each kind."""
    eligible = [
        (scope, image)
        for scope, images in shares.items()
        if scope[1] not in OPT_IN_REGIONS and scope[0] not in suspended
        for image in images
    ]
    chosen = rng.sample(eligible, min(len(eligible), 5))
    for position, (scope, image) in enumerate(chosen):
        others = [account for account in every if account != scope[0]]
        kinds = _kinds(rng, others, externals)
        if position < len(kinds):
            shares[scope][image] = kinds[position]


def _store(rng: random.Random, owner: str, shares: dict[str, Shares]) -> ImageStore:
    return ImageStore(owner, shares, generate_records(tuple(shares), rng))
