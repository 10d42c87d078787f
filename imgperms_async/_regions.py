"""Which regions exist, which partition each is in, and where WorkSpaces is offered: botocore's data.

A region is checked where it enters (an argument, an option, an accounts file, the environment),
before any request: a typo such as ``eu-wset-1`` must be an error naming it, not an audit of
nothing. Whether a region exists is what botocore's partition data lists (a region newer than
the installed botocore needs a newer botocore, and the error says so); where WorkSpaces is
offered is its endpoint data. Both files are read once.
"""

from __future__ import annotations

import functools
import re
from typing import Any, Final

from imgperms_async._exceptions import InvalidSettingError

WORKSPACES: Final = "workspaces"
_REGION_FORMAT: Final = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?", re.ASCII)
"""botocore's ``validate_region_name`` pattern, matched whole, on ASCII."""


@functools.cache
def botocore_loader() -> Any:
    """botocore's data loader, made once (it caches what it reads)."""
    from botocore.loaders import Loader

    return Loader()


@functools.cache
def _listed_regions(document: str) -> dict[str, str]:
    """The regions one of botocore's data files lists, with their partitions."""
    regions: dict[str, str] = {}
    for partition in botocore_loader().load_data(document).get("partitions", ()):
        partition_id = partition.get("partition") or partition.get("id")
        for region in partition.get("regions", {}):
            regions.setdefault(region, str(partition_id))
    return regions


def _known_partition(region: str) -> str | None:
    """The partition (aws, aws-cn, aws-us-gov, ...) of a region botocore's data lists.

    partitions.json lists every region endpoints.json does, in the same partition, and more; it
    is read first because it is small: endpoints.json takes 40 to 60 ms to parse, which a client
    checking its region at construction would add to every program's start, so it is read only
    for a region partitions.json does not list.
    """
    return _listed_regions("partitions").get(region) or _listed_regions("endpoints").get(region)


@functools.cache
def _workspaces_regions() -> dict[str, tuple[str, ...]]:
    offered: dict[str, tuple[str, ...]] = {}
    for partition in botocore_loader().load_data("endpoints").get("partitions", ()):
        known = partition.get("regions", {})
        endpoints = partition.get("services", {}).get(WORKSPACES, {}).get("endpoints", {})
        offered[partition["partition"]] = tuple(region for region in endpoints if region in known)
    return offered


def check_region_name(region: object, *, source: str) -> str:
    """The region, when it is one; else an ``InvalidSettingError`` naming it and ``source``."""
    if not isinstance(region, str):
        raise InvalidSettingError(
            error_msg=f"region {region!r} ({source}) is not a region name, such as us-east-1"
        )
    if region != region.lower() and _REGION_FORMAT.fullmatch(region.lower()):
        raise InvalidSettingError(
            error_msg=f"region {region!r} ({source}) must be lower case: {region.lower()!r}"
        )
    if not _REGION_FORMAT.fullmatch(region):
        raise InvalidSettingError(
            error_msg=f"region {region!r} ({source}) is not a region name, such as us-east-1"
        )
    if _known_partition(region) is None:
        raise InvalidSettingError(
            error_msg=f"region {region!r} ({source}) is not an AWS region botocore knows "
            "(a typo? a region newer than the installed botocore needs a newer botocore)"
        )
    return region


def partition_of(region: str) -> str:
    """The partition of a known region (``aws`` for one botocore does not know)."""
    return _known_partition(region) or "aws"


def workspaces_regions(partition: str) -> tuple[str, ...]:
    """Every region of the partition where WorkSpaces is offered."""
    return _workspaces_regions().get(partition, ())


def offers_workspaces(region: str) -> bool:
    return region in workspaces_regions(partition_of(region))
