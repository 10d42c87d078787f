"""Where moto's server implements the same call, the emulator's answer has moto's shape.

Shapes, not values: which members, nested how, of which types. Where moto departs from AWS's
documented answer the test names the departure: moto always adds PackedPolicySize, which AWS
sends only with a session policy, and gives every image error and update members, which AWS
sends for images with an error or an update pending, but leaves out their OperatingSystem.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from emulator_support import AwsClients
from moto_support import moto_client, moto_server, seed_moto_image

from imgperms_async.emulator import Emulator

MOTO_ONLY = {"PackedPolicySize"}
MOTO_ONLY_IMAGE_MEMBERS = {"ErrorCode", "ErrorMessage", "ErrorDetails", "Updates"}
MOTO_MISSING_IMAGE_MEMBERS = {"OperatingSystem"}


def shape(value: Any) -> Any:
    """Members and types, recursively; lists by their first item."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items() if k not in {"ResponseMetadata", *MOTO_ONLY}}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return "datetime" if isinstance(value, datetime) else type(value).__name__


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    with moto_server() as url:
        yield url


@pytest.fixture(scope="module")
def moto_organization(moto_url: str) -> str:
    """moto's organization, with one member; returns the member's account id."""
    organizations = moto_client(moto_url, "organizations")
    organizations.create_organization(FeatureSet="ALL")
    organizations.create_account(AccountName="member", Email="member@example.com")
    accounts = organizations.list_accounts()["Accounts"]
    return str(next(a["Id"] for a in accounts if a["Name"] == "member"))


@pytest.fixture(scope="module")
def moto_image(moto_url: str) -> str:
    return seed_moto_image(moto_url, ["111122223333"])


def test_assume_role_has_motos_shape(
    organization: Emulator, aws: AwsClients, moto_url: str, moto_organization: str
) -> None:
    member = next(a for a in organization.scoped_truth.images if a != organization.account_id)
    ours = aws(organization, "sts").assume_role(
        RoleArn=organization.role_arn(member), RoleSessionName="audit"
    )
    theirs = moto_client(moto_url, "sts").assume_role(
        RoleArn=f"arn:aws:iam::{moto_organization}:role/OrganizationAccountAccessRole",
        RoleSessionName="audit",
    )
    assert shape(ours) == shape(theirs)


def test_caller_identity_has_motos_shape(
    organization: Emulator, aws: AwsClients, moto_url: str
) -> None:
    ours = aws(organization, "sts").get_caller_identity()
    assert shape(ours) == shape(moto_client(moto_url, "sts").get_caller_identity())


@pytest.mark.parametrize("operation", ["describe_organization", "list_accounts"])
def test_organizations_answers_have_motos_shape(
    organization: Emulator,
    aws: AwsClients,
    moto_url: str,
    moto_organization: str,
    operation: str,
) -> None:
    ours = getattr(aws(organization, "organizations"), operation)()
    theirs = getattr(moto_client(moto_url, "organizations"), operation)()
    assert shape(ours) == shape(theirs)


def test_image_listing_has_motos_shape(
    threaded_emulator: Emulator, aws: AwsClients, moto_url: str, moto_image: str
) -> None:
    ours = shape(aws(threaded_emulator, "workspaces").describe_workspace_images())
    theirs = shape(moto_client(moto_url, "workspaces").describe_workspace_images())
    (our_image,), (their_image,) = ours["Images"], theirs["Images"]
    for member in MOTO_ONLY_IMAGE_MEMBERS:
        their_image.pop(member)
    for member in MOTO_MISSING_IMAGE_MEMBERS:
        our_image.pop(member)
    assert our_image == their_image


def test_image_permissions_have_motos_shape(
    threaded_emulator: Emulator, aws: AwsClients, moto_url: str, moto_image: str
) -> None:
    shared = next(i for i, accounts in threaded_emulator.truth.items() if 0 < len(accounts) < 25)
    ours = aws(threaded_emulator, "workspaces").describe_workspace_image_permissions(ImageId=shared)
    theirs = moto_client(moto_url, "workspaces").describe_workspace_image_permissions(
        ImageId=moto_image
    )
    assert shape(ours) == shape(theirs)
