"""A standalone account: one account outside any organization, with seeded images."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence

from .._model.accounts import Account, World
from .._model.images import ImageStore
from .._options import InvalidOption
from .images import generate_records, generate_shares, standalone_store

__all__ = ["standalone_world"]


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
