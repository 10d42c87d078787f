"""From the Emulator's arguments to what it serves: the world, checked, and the rate limits.

Everything an argument names must exist (a region WorkSpaces is offered in, an image the seed
generated), so a typo is a ValueError naming the argument, not a silent no-op.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence

from ._model.accounts import World
from ._options import ACCOUNT_ID, AT_LEAST_ONE, COUNT, IMAGE_ID, POSITIVE, InvalidOption
from ._regions import DEFAULT_ORGANIZATION_REGIONS, WORKSPACES_REGIONS
from ._seeding.organization import generate_organization
from ._seeding.standalone import standalone_world

__all__ = [
    "AWS_LIMITS",
    "SECURITYHUB_LIMITS",
    "build_world",
    "rate_limit",
    "securityhub_rate_limit",
    "served_images",
]

DEFAULT_REGION = "us-east-1"
STANDALONE_IMAGES = 200
ORGANIZATION_IMAGES = 20
AWS_LIMITS = (2.0, 5.0)
"""What AWS documents for the WorkSpaces API: 2 requests/s with a burst of 5, per account and
region."""
SECURITYHUB_LIMITS = (10.0, 30.0)
"""What AWS documents for Security Hub's BatchImportFindings: 10 requests/s with a burst of 30,
per account and region (Security Hub User Guide, "BatchImportFindings for finding providers")."""
_ROLE_NAME = re.compile(r"[\w+=,.@-]{1,64}", re.ASCII)
_EXTERNAL_ID = re.compile(r"[\w+=,.@:/-]{2,1224}", re.ASCII)


def _checked_regions(regions: Sequence[str] | None, organization: bool) -> tuple[str, ...]:
    if regions is None:
        return DEFAULT_ORGANIZATION_REGIONS if organization else (DEFAULT_REGION,)
    chosen = tuple(regions)
    if not chosen:
        raise InvalidOption("regions", "must name at least one region, got none")
    for region in chosen:
        if region not in WORKSPACES_REGIONS:
            raise InvalidOption("regions", f"names {region!r}, where WorkSpaces is not offered")
    if len(set(chosen)) != len(chosen):
        raise InvalidOption("regions", f"names a region twice: {', '.join(chosen)}")
    return chosen


def rate_limit(
    rate: float | None, burst: float | None, aws_limits: bool
) -> tuple[float, float] | None:
    if aws_limits:
        if rate is not None or burst is not None:
            raise InvalidOption("aws_limits", "sets the rate and burst; give those or this")
        return AWS_LIMITS
    if burst is not None:
        AT_LEAST_ONE.check("burst", burst)
        if rate is None:
            raise InvalidOption("burst", "is set without a rate")
    if rate is None:
        return None
    POSITIVE.check("rate", rate)
    return rate, burst or max(1.0, rate)


def securityhub_rate_limit(
    securityhub_limits: bool, aws_limits: bool
) -> tuple[float, float] | None:
    """BatchImportFindings is throttled as AWS documents when asked, alone or with AWS's other
    limits."""
    return SECURITYHUB_LIMITS if securityhub_limits or aws_limits else None


def build_world(
    images: int | Mapping[str, Sequence[str]] | None,
    *,
    seed: int,
    accounts: int | None,
    regions: Sequence[str] | None,
    role_name: str | None,
    external_id: str | None,
) -> World:
    """A standalone account, or with `accounts` an organization, seeded and checked."""
    served = _checked_regions(regions, accounts is not None)
    if accounts is None:
        for name, value in (("role_name", role_name), ("external_id", external_id)):
            if value is not None:
                raise InvalidOption(name, "needs an organization (accounts)")
        if isinstance(images, int):
            COUNT.check("images", images)
        elif images is not None:
            _check_image_by_image(images)
        return standalone_world(STANDALONE_IMAGES if images is None else images, seed, served)
    COUNT.check("accounts", accounts)
    if images is not None and not isinstance(images, int):
        raise InvalidOption("images", "given image by image are for a standalone account")
    world = generate_organization(
        accounts,
        served,
        COUNT.check("images", ORGANIZATION_IMAGES if images is None else images),
        seed,
    )
    if role_name is not None and not _ROLE_NAME.fullmatch(role_name):
        raise InvalidOption("role_name", f"must be an IAM role name, got {role_name!r}")
    if external_id is not None and not _EXTERNAL_ID.fullmatch(external_id):
        raise InvalidOption(
            "external_id", f"must be 2 to 1224 of [\\w+=,.@:/-], got {external_id!r}"
        )
    world.role_name = role_name or world.role_name
    world.external_id = external_id or (
        "emulator-" + hashlib.sha256(f"external-id-{seed}".encode()).hexdigest()[:16]
    )
    return world


def served_images(world: World, argument: str, images: Iterable[str]) -> frozenset[str]:
    chosen = frozenset(images)
    if not chosen:
        return chosen
    here = {image for store in world.stores.values() for image in store.image_ids}
    unknown = sorted(chosen - here)
    if unknown:
        raise InvalidOption(argument, f"names {unknown[0]!r}, which is not an image here")
    return chosen


def _check_image_by_image(images: object) -> None:
    """Each image id valid, and shared with a list of distinct account ids."""
    if not isinstance(images, Mapping):
        raise InvalidOption(
            "images", f"must be a count or a mapping of image ids to account ids, got {images!r}"
        )
    for image_id, shares in images.items():
        IMAGE_ID.check("images", image_id)
        if isinstance(shares, str) or not isinstance(shares, Sequence):
            raise InvalidOption(
                "images", f"must map {image_id} to a list of account ids, got {shares!r}"
            )
        for account_id in shares:
            ACCOUNT_ID.check("images", account_id)
        if len(set(shares)) != len(shares):
            raise InvalidOption("images", f"shares {image_id} with one account twice")
