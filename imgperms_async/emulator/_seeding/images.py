"""Seeded images: ids, descriptions and shares drawn from the seed, the same every run."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence

from .._model.images import ImageRecord, ImageStore

__all__ = [
    "BASE36",
    "account_ids",
    "generate_records",
    "generate_shares",
    "image_id",
    "standalone_store",
]

BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"
"""The alphabet of generated ids (images, the organization)."""
_START_EPOCH = 1_546_300_800.0  # 2019-01-01: images look a few years old, as real ones do
_SPAN_SECS = 6 * 365 * 86_400.0
_PAGE_BOUNDARY_SHARES = (25, 50)
_OS_TYPES = ("WINDOWS", "LINUX")
_PURPOSES = ("finance", "engineering", "support", "design", "sales", "training", "lab")


def _share_count(rng: random.Random) -> int:
    """Most images are private, some shared a little, a few shared across several pages."""
    draw = rng.random()
    if draw < 0.6:
        return 0
    if draw < 0.85:
        return rng.randint(1, 5)
    if draw < 0.95:
        return rng.randint(6, 24)
    return rng.randint(26, 120)


def image_id(rng: random.Random, taken: set[str]) -> str:
    """A fresh image id, unique among `taken` (which it joins)."""
    while True:
        image_id = "wsi-" + "".join(rng.choices(BASE36, k=9))
        if image_id not in taken:
            taken.add(image_id)
            return image_id


def account_ids(rng: random.Random, count: int) -> tuple[str, ...]:
    """`count` distinct 12-digit account ids without a leading zero, as AWS's look."""
    return tuple(str(n) for n in rng.sample(range(100_000_000_000, 1_000_000_000_000), count))


def generate_shares(
    count: int, seed: int | str, *, taken: set[str] | None = None
) -> dict[str, tuple[str, ...]]:
    """Image id -> shared accounts; with 20+ images, one has exactly 25 and one exactly 50.

    Ids already in `taken` are not reused, so several regions' images stay distinct.
    """
    rng = random.Random(seed)
    counts = [_share_count(rng) for _ in range(count)]
    if count >= 20:
        for position, shares in zip(
            rng.sample(range(count), 2), _PAGE_BOUNDARY_SHARES, strict=True
        ):
            counts[position] = shares
    ids = set() if taken is None else taken
    return {image_id(rng, ids): account_ids(rng, shares) for shares in counts}


def _record(rng: random.Random, index: int, image: str) -> ImageRecord:
    purpose = rng.choice(_PURPOSES)
    return ImageRecord(
        image_id=image,
        name=f"{purpose}-golden-{index:05d}",
        description=f"Golden image for the {purpose} team",
        os_type=rng.choice(_OS_TYPES),
        created=round(_START_EPOCH + rng.random() * _SPAN_SECS, 3),
    )


def generate_records(image_ids: Sequence[str], rng: random.Random) -> dict[str, ImageRecord]:
    return {image: _record(rng, index, image) for index, image in enumerate(image_ids)}


def standalone_store(shares: Mapping[str, Sequence[str]], seed: int) -> ImageStore:
    """The single account's first region: its id and records drawn as they always were."""
    rng = random.Random(f"records-{seed}")
    owner = str(rng.randrange(100_000_000_000, 1_000_000_000_000))
    return ImageStore(owner, shares, generate_records(tuple(shares), rng))
