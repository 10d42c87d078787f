"""The emulated accounts: who each is in the organization, its images per enabled region, and
the images shared into it.

A standalone account (the default) and an organization are the same shape, so every service
reads one model. Shares change only through `World.share` and `World.unshare`, which keep the
owner's images and the recipient's inbound index in step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from .images import ImageStore
from .inbound import InboundIndex, SharedImage

__all__ = ["Account", "AccountStatus", "Organization", "RoleAccess", "World"]

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
    """Everything the services answer from; `home_account_id` owns the emulator's own keys.

    `outside` holds images of accounts the emulator does not serve, shared into its accounts:
    (recipient, region) -> the images it receives that way.
    """

    accounts: dict[str, Account]
    home_account_id: str
    regions: tuple[str, ...]
    organization: Organization | None = None
    role_name: str = "OrganizationAccountAccessRole"
    external_id: str = ""
    outside: dict[tuple[str, str], tuple[SharedImage, ...]] = field(default_factory=dict)
    stores: dict[tuple[str, str], ImageStore] = field(init=False)
    inbound: InboundIndex = field(init=False)

    def __post_init__(self) -> None:
        self.index_stores()
        self.inbound = InboundIndex()

    def index_stores(self) -> None:
        """(account, region) -> images, for the request path's one lookup; again whenever an
        option changes which regions an account has."""
        self.stores = {
            (account.account_id, region): store
            for account in self.accounts.values()
            for region, store in account.stores.items()
        }

    def index_inbound(self) -> None:
        """Who receives which image, once the accounts, their regions and the images from
        outside are final: once at start-up, then kept by `share` and `unshare`."""
        self.inbound = InboundIndex()
        for (owner, region), store in self.stores.items():
            for image_id in store.image_ids:
                shared: SharedImage | None = None
                for recipient in store.shares(image_id):
                    if self.receives(recipient, region):
                        shared = shared or SharedImage(owner, store.record(image_id))
                        self.inbound.add(recipient, region, shared)
        for (recipient, region), images in self.outside.items():
            for image in images:
                self.inbound.add(recipient, region, image)

    def receives(self, account_id: str, region: str) -> bool:
        """Whether images shared with that account in that region reach it: it is served here
        and has that region enabled."""
        return (account_id, region) in self.stores

    def share(self, owner: str, region: str, image_id: str, recipient: str) -> bool:
        """Share the owner's image; False when it already was."""
        store = self.stores[owner, region]
        if not store.share(image_id, recipient):
            return False
        if self.receives(recipient, region):
            self.inbound.add(recipient, region, SharedImage(owner, store.record(image_id)))
        return True

    def unshare(self, owner: str, region: str, image_id: str, recipient: str) -> bool:
        """Stop sharing the owner's image; False when it was not shared."""
        if not self.stores[owner, region].unshare(image_id, recipient):
            return False
        self.inbound.remove(recipient, region, image_id)
        return True

    def role_arn(self, account_id: str) -> str:
        return f"arn:aws:iam::{account_id}:role/{self.role_name}"
