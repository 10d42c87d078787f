"""One account's images in one region: what DescribeWorkspaceImages describes of each, and the
accounts each is shared with, in the order they were added."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = ["ImageRecord", "ImageStore"]


@dataclass(frozen=True, slots=True)
class ImageRecord:
    """The descriptive half of an image, as DescribeWorkspaceImages reports it."""

    image_id: str
    name: str
    description: str
    os_type: str
    created: float

    def to_json(self, owner_account_id: str) -> dict[str, object]:
        return {
            "ImageId": self.image_id,
            "Name": self.name,
            "Description": self.description,
            "OperatingSystem": {"Type": self.os_type},
            "State": "AVAILABLE",
            "RequiredTenancy": "DEFAULT",
            "Created": self.created,
            "OwnerAccountId": owner_account_id,
        }


class ImageStore:
    """One account's images in one region, in server order, with their shares.

    Shares are the only part of an image the emulator's answers change.
    """

    def __init__(
        self,
        owner_account_id: str,
        shares: Mapping[str, Sequence[str]],
        records: Mapping[str, ImageRecord],
    ) -> None:
        self.owner_account_id = owner_account_id
        self._shares = {image: list(accounts) for image, accounts in shares.items()}
        self.image_ids = tuple(self._shares)
        self._records = dict(records)

    def __contains__(self, image_id: object) -> bool:
        return image_id in self._shares

    def shares(self, image_id: str) -> Sequence[str]:
        return self._shares[image_id]

    def record(self, image_id: str) -> ImageRecord:
        return self._records[image_id]

    def share(self, image_id: str, account_id: str) -> bool:
        """Add the account after the others; False when it was already there."""
        accounts = self._shares[image_id]
        if account_id in accounts:
            return False
        accounts.append(account_id)
        return True

    def unshare(self, image_id: str, account_id: str) -> bool:
        """Remove the account; False when it was not there."""
        accounts = self._shares[image_id]
        if account_id not in accounts:
            return False
        accounts.remove(account_id)
        return True

    def truth(self) -> dict[str, tuple[str, ...]]:
        return {image_id: tuple(accounts) for image_id, accounts in self._shares.items()}
