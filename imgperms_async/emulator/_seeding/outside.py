"""Images of accounts outside the emulator, shared into the accounts it serves.

Either `count` seeded images for every account and region it has enabled, or exactly the images
a test names: {(recipient, region): {image id: owner account id}}. Drawn from a generator of
their own, so asking for them leaves everything else the seed generates as it was.
"""

from __future__ import annotations

import random
from collections.abc import Mapping

from .._model.accounts import World
from .._model.inbound import SharedImage
from .._options import ACCOUNT_ID, COUNT, IMAGE_ID, InvalidOption
from .images import account_ids, generate_records, image_id

__all__ = ["OutsideImages", "outside_images"]

OutsideImages = int | Mapping[tuple[str, str], Mapping[str, str]]
_OWNERS = 12
"""How many outside accounts the seeded images belong to."""
_ARGUMENT = "inbound_outside"


def outside_images(
    world: World, wanted: OutsideImages, seed: int
) -> dict[tuple[str, str], tuple[SharedImage, ...]]:
    """(recipient, region) -> the outside images it receives."""
    taken = {image for store in world.stores.values() for image in store.image_ids}
    if isinstance(wanted, int):
        return _seeded(
            world, COUNT.check(_ARGUMENT, wanted), random.Random(f"outside-{seed}"), taken
        )
    return _named(world, wanted, random.Random(f"outside-named-{seed}"), taken)


def _seeded(
    world: World, count: int, rng: random.Random, taken: set[str]
) -> dict[tuple[str, str], tuple[SharedImage, ...]]:
    if count == 0:
        return {}
    drawn = account_ids(rng, _OWNERS + len(world.accounts))
    owners = [account for account in drawn if account not in world.accounts][:_OWNERS]
    received = {}
    for scope in world.stores:
        ids = [image_id(rng, taken) for _ in range(count)]
        records = generate_records(ids, rng)
        received[scope] = tuple(SharedImage(rng.choice(owners), records[image]) for image in ids)
    return received


def _named(
    world: World,
    wanted: Mapping[tuple[str, str], Mapping[str, str]],
    rng: random.Random,
    taken: set[str],
) -> dict[tuple[str, str], tuple[SharedImage, ...]]:
    shape = InvalidOption(
        _ARGUMENT,
        f"must be a count or a mapping of (account, region) to {{image id: owner}}, got {wanted!r}",
    )
    if not isinstance(wanted, Mapping):
        raise shape
    received = {}
    for scope, images in wanted.items():
        if not (isinstance(scope, tuple) and len(scope) == 2 and isinstance(images, Mapping)):
            raise shape
        recipient, region = scope
        if not world.receives(recipient, region):
            raise InvalidOption(
                _ARGUMENT, f"names {recipient} in {region}, which is not an enabled account here"
            )
        for image, owner in images.items():
            IMAGE_ID.check(_ARGUMENT, image)
            ACCOUNT_ID.check(_ARGUMENT, owner)
            if image in taken:
                raise InvalidOption(_ARGUMENT, f"names {image} twice, or an image already here")
            if owner in world.accounts:
                raise InvalidOption(
                    _ARGUMENT, f"names {owner} as an owner, which is an account here, not outside"
                )
            taken.add(image)
        records = generate_records(tuple(images), rng)
        received[recipient, region] = tuple(
            SharedImage(owner, records[image]) for image, owner in images.items()
        )
    return received
