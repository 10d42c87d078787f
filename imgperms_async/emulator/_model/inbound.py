"""Images shared into an account: for each (recipient, region), the images other accounts share
with it, kept up to date by every share and unshare.

DescribeWorkspaceImages with ImageType SHARED reads one entry here, so its cost is that
account's inbound images, never every image of the organization.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from .images import ImageRecord

__all__ = ["InboundIndex", "SharedImage"]

_NOTHING: Mapping[str, SharedImage] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class SharedImage:
    """An image as its recipient sees it: whose it is, and what it is."""

    owner_account_id: str
    record: ImageRecord


class InboundIndex:
    """(recipient, region) -> image id -> the shared image, in the order the shares were made."""

    def __init__(self) -> None:
        self._scopes: dict[tuple[str, str], dict[str, SharedImage]] = {}

    def add(self, recipient: str, region: str, image: SharedImage) -> None:
        self._scopes.setdefault((recipient, region), {})[image.record.image_id] = image

    def remove(self, recipient: str, region: str, image_id: str) -> None:
        self._scopes.get((recipient, region), {}).pop(image_id, None)

    def images(self, recipient: str, region: str) -> Mapping[str, SharedImage]:
        return self._scopes.get((recipient, region), _NOTHING)

    def truth(self) -> dict[str, dict[str, dict[str, str]]]:
        """recipient -> region -> image -> owner, for the scopes that receive something."""
        truth: dict[str, dict[str, dict[str, str]]] = {}
        for (recipient, region), images in self._scopes.items():
            if images:
                truth.setdefault(recipient, {})[region] = {
                    image_id: image.owner_account_id for image_id, image in images.items()
                }
        return truth
