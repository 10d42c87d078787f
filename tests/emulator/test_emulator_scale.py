"""An enterprise-sized organization is served like a small one: every service answers for its
last member in every region. (Boot time and per-request cost are measured, not asserted: see
the emulator's report of figures.)"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from emulator_support import AwsClients, assumed_keys

from imgperms_async.emulator import Emulator
from imgperms_async.emulator._regions import WORKSPACES_REGIONS

ACCOUNTS = 1000


@pytest.fixture(scope="module")
def enterprise() -> Iterator[Emulator]:
    with Emulator(
        accounts=ACCOUNTS, regions=sorted(WORKSPACES_REGIONS), images=1, aws_limits=True
    ) as served:
        yield served


def test_every_account_is_listed(enterprise: Emulator, aws: AwsClients) -> None:
    pages = aws(enterprise, "organizations").get_paginator("list_accounts").paginate()
    assert sum(len(page["Accounts"]) for page in pages) == ACCOUNTS + 1


def test_the_last_member_is_served_in_every_region_it_enabled(
    enterprise: Emulator, aws: AwsClients
) -> None:
    truth = enterprise.scoped_truth
    assert truth.organization is not None
    last = next(
        account.account_id
        for account in reversed(truth.organization.accounts)
        if account.status == "ACTIVE"
    )
    keys = assumed_keys(
        aws(enterprise, "sts").assume_role(
            RoleArn=enterprise.role_arn(last), RoleSessionName="audit"
        )["Credentials"]
    )
    for region, images in truth.images[last].items():
        workspaces = aws(enterprise, "workspaces", region=region, **keys)
        owned = workspaces.describe_workspace_images(ImageType="OWNED")["Images"]
        shared = workspaces.describe_workspace_images(ImageType="SHARED")["Images"]
        assert [image["ImageId"] for image in owned] == list(images)
        assert {i["ImageId"]: i["OwnerAccountId"] for i in shared} == (
            truth.inbound.get(last, {}).get(region, {})
        )
    region = next(iter(truth.images[last]))
    for service, operation in (
        ("ec2", "describe_regions"),
        ("securityhub", "get_findings"),
        ("resourcegroupstaggingapi", "get_resources"),
        ("sts", "get_caller_identity"),
    ):
        client = aws(enterprise, service, region=region, **keys)
        assert getattr(client, operation)()["ResponseMetadata"]["HTTPStatusCode"] == 200
