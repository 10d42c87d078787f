"""Audit records as ``--format json`` writes them, made up for the HTML report's tests and its
measurement: an organization of any size with a realistic mix of shares, classes, failures and
scopes, the same for a given seed."""

from __future__ import annotations

import random
from typing import Any, Final

REGIONS: Final = (
    "us-east-1",
    "us-west-2",
    "us-gov-west-1",
    "us-gov-east-1",
    "ca-central-1",
    "sa-east-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-central-1",
    "eu-north-1",
    "af-south-1",
    "il-central-1",
    "ap-south-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-southeast-1",
    "ap-southeast-2",
)

Record = dict[str, Any]


def account_id(number: int) -> str:
    return f"{100000000000 + number * 7919:012d}"


def outside_account(number: int) -> str:
    return f"9{number:011d}"


class _Organization:
    """Draws records for one organization; every choice comes from one seeded random source."""

    def __init__(self, accounts: int, regions: int, seed: int) -> None:
        self.random = random.Random(seed)
        self.accounts = [account_id(n) for n in range(accounts)]
        self.regions = REGIONS[:regions]
        self.images = 0

    def records(self) -> list[Record]:
        records: list[Record] = []
        for number, account in enumerate(self.accounts):
            name = f"team-{number:04d}"
            if self.random.random() < 0.005:
                records.append(_scope(account, name, None, "skipped"))
                continue
            for region in self.regions:
                records.extend(self._scope_records(account, name, region))
        records.extend(self._expired_exceptions(20))
        self.random.shuffle(records)
        return records

    def _scope_records(self, account: str, name: str, region: str) -> list[Record]:
        roll = self.random.random()
        if roll < 0.01:
            return [_scope(account, name, region, "failed", ("AccessDeniedException", "denied"))]
        if roll < 0.025:
            return [_scope(account, name, region, "not_enabled")]
        count = self.random.choices((0, 1, 2, 3), weights=(45, 25, 20, 10))[0]
        found = [self._image(account, name, region) for _ in range(count)]
        if self.random.random() < 0.02:
            found.append(self._inbound(account, name, region))
        return found

    def _image_id(self) -> str:
        self.images += 1
        return f"wsi-{self.images:09d}"

    def _image(self, account: str, name: str, region: str) -> Record:
        classes = self._share_classes(account)
        record: Record = {
            "account_id": account,
            "account_name": name,
            "region": region,
            "image_id": self._image_id(),
            "shared_account_ids": list(classes),
            "share_classes": classes,
            "unexpected_account_ids": [a for a, c in classes.items() if c == "external"],
            "pages": 1,
            "error": None,
        }
        if self.random.random() < 0.01:
            record.update(shared_account_ids=[], share_classes={}, unexpected_account_ids=[])
            record["error"] = {"code": "ThrottlingException", "message": "Rate exceeded"}
        excepted = [a for a, c in classes.items() if c == "excepted"]
        if excepted:
            record["exceptions"] = {a: _exception_entry() for a in excepted}
        return record

    def _share_classes(self, owner: str) -> dict[str, str]:
        roll = self.random.random()
        if roll < 0.40:
            return {}
        members = self.random.sample(self.accounts, min(3, len(self.accounts)))
        classes = {a: "organization" for a in members[: self.random.randint(1, 3)] if a != owner}
        if roll < 0.48:
            for _ in range(self.random.randint(1, 2)):
                classes[outside_account(self.random.randrange(300))] = "external"
        elif roll < 0.51:
            classes[outside_account(1000 + self.random.randrange(50))] = "unknown"
        elif roll < 0.53:
            classes[outside_account(2000 + self.random.randrange(20))] = "excepted"
        elif roll < 0.55:
            classes[outside_account(3000)] = "allowlisted"
        return classes

    def _inbound(self, account: str, name: str, region: str) -> Record:
        owner_class = self.random.choices(
            ("external", "organization", "unknown"), weights=(3, 6, 1)
        )[0]
        owner = (
            self.random.choice(self.accounts)
            if owner_class == "organization"
            else outside_account(4000 + self.random.randrange(40))
        )
        return {
            "kind": "inbound",
            "account_id": account,
            "account_name": name,
            "region": region,
            "image_id": self._image_id(),
            "image_name": f"golden-{self.random.randrange(100)}",
            "owner_account_id": owner,
            "owner_class": owner_class,
        }

    def _expired_exceptions(self, count: int) -> list[Record]:
        return [
            {
                "kind": "exception",
                "status": "expired",
                "account_id": self.random.choice(self.accounts),
                "image_ids": [f"wsi-x{n:08d}"],
                "regions": [self.random.choice(self.regions)],
                "reason": "vendor build pipeline",
                "owner": "platform-team",
                "expires": "2026-11-30",
            }
            for n in range(count)
        ]


def _scope(
    account: str,
    name: str,
    region: str | None,
    status: str,
    error: tuple[str, str] | None = None,
) -> Record:
    return {
        "kind": "scope",
        "account_id": account,
        "account_name": name,
        "region": region,
        "status": status,
        "error": None if error is None else {"code": error[0], "message": error[1]},
    }


def _exception_entry() -> dict[str, str]:
    return {"reason": "partner workspace", "owner": "it-ops", "expires": "2027-01-31"}


def organization_records(accounts: int, regions: int = 17, *, seed: int = 7) -> list[Record]:
    """An organization audit of ``accounts`` accounts in ``regions`` regions, in no order:
    about 0.95 images per account and region, 8 % of them shared outside, 3 % with a share of
    unknown class, 2 % excepted, 1 % failed; 1 % of regions failed, 1.5 % not enabled, 0.5 % of
    accounts skipped; an inbound image in 2 % of regions; twenty expired exceptions."""
    return _Organization(accounts, regions, seed).records()
