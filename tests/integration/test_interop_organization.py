"""An organization built in moto's server (Organizations, STS AssumeRole, EC2 DescribeRegions,
WorkSpaces images in each account) gives the audit the answer boto3 gives there.

moto accepts every AssumeRole (no trust policy, no ExternalId), never throttles, never expires a
session and answers every image's permissions in one page: those cases are the emulator's
(``test_organization_audit.py``). What moto does model is used here: accounts, a closed
(SUSPENDED) one, sessions that reach only their own account, images per account and region, and
DescribeRegions with each region's opt-in status.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any
from urllib.request import Request, urlopen

import pytest
from moto_support import MOTO_KEYS, moto_client, moto_server, seed_moto_image

from imgperms_async import (
    ClientConfig,
    ImagePermissionsResult,
    OrganizationAudit,
    ScopeResult,
)

pytestmark = pytest.mark.slow
"""moto's server runs in a thread of this process: the slow lane."""

REGIONS = ("us-east-1", "eu-west-1")
OUTSIDERS = [f"{n:012d}" for n in range(900_000_000_001, 900_000_000_031)]
Answer = dict[tuple[str, str, str], tuple[str, ...]]


@dataclass(frozen=True)
class MotoOrganization:
    url: str
    management: str
    members: tuple[str, ...]
    closed: str


def session_keys(url: str, account: str, management: str) -> dict[str, str]:
    """The caller's keys for its own account, a role's session for any other (boto3's way)."""
    if account == management:
        return dict(MOTO_KEYS)
    credentials = moto_client(url, "sts").assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole",
        RoleSessionName="reference",
    )["Credentials"]
    return {
        "aws_access_key_id": credentials["AccessKeyId"],
        "aws_secret_access_key": credentials["SecretAccessKey"],
        "aws_session_token": credentials["SessionToken"],
    }


def reset(url: str) -> None:
    """moto keeps every server's state in the one process: start from none, leave none."""
    urlopen(Request(url + "/moto-api/reset", method="POST"), timeout=10).close()


@pytest.fixture(scope="module")
def moto_organization() -> Iterator[MotoOrganization]:
    """A management account, two members and a closed one, with images of every kind."""
    with moto_server() as url:
        reset(url)
        organizations = moto_client(url, "organizations")
        organizations.create_organization(FeatureSet="ALL")
        made = [
            organizations.create_account(Email=f"{name}@example.com", AccountName=name)[
                "CreateAccountStatus"
            ]["AccountId"]
            for name in ("alpha", "beta", "gamma")
        ]
        first, second, closed = made
        organizations.close_account(AccountId=closed)
        management = moto_client(url, "sts").get_caller_identity()["Account"]

        def seed(account: str, region: str, name: str, shared: list[str]) -> None:
            keys = session_keys(url, account, management)
            seed_moto_image(url, shared, name=name, region=region, **keys)

        seed(management, "us-east-1", "both", [first, OUTSIDERS[0]])
        seed(first, "us-east-1", "members", [management, second])
        seed(first, "eu-west-1", "many", [second, *OUTSIDERS[:25]])
        seed(second, "eu-west-1", "outside", [OUTSIDERS[5]])
        seed(closed, "us-east-1", "closed", [OUTSIDERS[6]])
        yield MotoOrganization(url, management, (first, second), closed)
        reset(url)


def boto3_answer(org: MotoOrganization, regions: tuple[str, ...]) -> Answer:
    """Every ACTIVE account's images and their shares, every page, as boto3 reads them."""
    listed = moto_client(org.url, "organizations").get_paginator("list_accounts").paginate()
    active = [a["Id"] for page in listed for a in page["Accounts"] if a["Status"] == "ACTIVE"]
    answer: Answer = {}
    for account in active:
        keys = session_keys(org.url, account, org.management)
        for region in regions:
            workspaces = moto_client(org.url, "workspaces", region=region, **keys)
            pages = workspaces.get_paginator("describe_workspace_images").paginate(
                ImageType="OWNED"
            )
            for image in (image for page in pages for image in page["Images"]):
                shares: list[str] = []
                params: dict[str, Any] = {"ImageId": image["ImageId"]}
                while True:
                    page = workspaces.describe_workspace_image_permissions(**params)
                    shares += [p["SharedAccountId"] for p in page["ImagePermissions"]]
                    if "NextToken" not in page:
                        break
                    params["NextToken"] = page["NextToken"]
                answer[account, region, image["ImageId"]] = tuple(shares)
    return answer


async def audited(org: MotoOrganization, **options: Any) -> tuple[OrganizationAudit, list[Any]]:
    async with (
        OrganizationAudit(
            region_name="us-east-1",
            endpoint_url=org.url,
            config=ClientConfig(max_rate=10_000.0),
            aws_access_key_id=MOTO_KEYS["aws_access_key_id"],
            aws_secret_access_key=MOTO_KEYS["aws_secret_access_key"],
            **options,
        ) as audit,
        aclosing(audit.results()) as results,
    ):
        items = [item async for item in results]
    return audit, items


def answer_of(items: list[Any]) -> Answer:
    images = [item for item in items if isinstance(item, ImagePermissionsResult)]
    assert all(item.error is None for item in images)
    found = {(i.account_id, i.region, i.image_id): i.shared_account_ids for i in images}
    assert len(found) == len(images), "an image was answered twice"
    return found  # type: ignore[return-value]


async def test_the_audit_gives_the_answer_boto3_gives_from_motos_organization(
    moto_organization: MotoOrganization,
) -> None:
    org = moto_organization
    expected = await asyncio.to_thread(boto3_answer, org, REGIONS)

    _, items = await audited(org, regions=REGIONS)

    assert answer_of(items) == expected
    assert {account for account, _, _ in expected} == {org.management, *org.members}
    assert any(len(shares) > 25 for shares in expected.values())
    scopes = {(s.account_id, s.region): s.status for s in items if isinstance(s, ScopeResult)}
    expected_scopes: dict[tuple[str | None, str | None], str] = {
        (a, r): "audited" for a in (org.management, *org.members) for r in REGIONS
    }
    expected_scopes[org.closed, None] = "skipped"
    assert scopes == expected_scopes


async def test_shares_in_motos_organization_are_classed_by_its_member_list(
    moto_organization: MotoOrganization,
) -> None:
    org = moto_organization

    audit, items = await audited(org, regions=REGIONS, allowlist=[OUTSIDERS[5]])

    classes = {
        (item.image_id, account): audit.classify(account)
        for item in items
        if isinstance(item, ImagePermissionsResult)
        for account in item.shared_account_ids
    }
    members = {org.management, *org.members, org.closed}
    assert audit.members == frozenset(members)
    assert {c for (_, a), c in classes.items() if a in members} == {"organization"}
    assert {c for (_, a), c in classes.items() if a == OUTSIDERS[5]} == {"allowlisted"}
    others = {c for (_, a), c in classes.items() if a not in members and a != OUTSIDERS[5]}
    assert others == {"external"}


async def test_every_workspaces_region_moto_says_is_enabled_is_audited(
    moto_organization: MotoOrganization,
) -> None:
    org = moto_organization
    described = await asyncio.to_thread(
        lambda: moto_client(org.url, "ec2").describe_regions()["Regions"]
    )
    enabled = {r["RegionName"] for r in described if r.get("OptInStatus") != "not-opted-in"}

    audit, items = await audited(org)

    statuses = {(s.account_id, s.region): s.status for s in items if isinstance(s, ScopeResult)}
    expected: dict[tuple[str | None, str | None], str] = {
        (account, region): "audited" if region in enabled else "not_enabled"
        for account in (org.management, *org.members)
        for region in audit.regions
    }
    expected[org.closed, None] = "skipped"
    assert statuses == expected
    assert "not_enabled" in statuses.values(), "moto lists regions not opted in, AWS does not"
