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

import boto3
import pytest
from emulator_support import AwsClients
from moto.server import ThreadedMotoServer

from imgperms_async.emulator import Emulator

MOTO_KEYS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
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
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def moto_client(url: str, service: str) -> Any:
    return boto3.client(service, endpoint_url=url, region_name="us-east-1", **MOTO_KEYS)


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
    """moto needs a VPC, a directory and a WorkSpace before it will create an image."""
    ec2 = moto_client(moto_url, "ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{n}.0/24", AvailabilityZone=f"us-east-1{z}")[
            "Subnet"
        ]["SubnetId"]
        for n, z in ((1, "a"), (2, "b"))
    ]
    directory = moto_client(moto_url, "ds").create_directory(
        Name="corp.example.com",
        Password="Passw0rd!Passw0rd",
        Size="Small",
        VpcSettings={"VpcId": vpc, "SubnetIds": subnets},
    )["DirectoryId"]
    workspaces = moto_client(moto_url, "workspaces")
    workspaces.register_workspace_directory(DirectoryId=directory)
    created = workspaces.create_workspaces(
        Workspaces=[{"DirectoryId": directory, "UserName": "alice", "BundleId": "wsb-123456789"}]
    )
    image_id: str = workspaces.create_workspace_image(
        Name="golden",
        Description="shapes",
        WorkspaceId=created["PendingRequests"][0]["WorkspaceId"],
    )["ImageId"]
    workspaces.update_workspace_image_permission(
        ImageId=image_id, AllowCopyImage=True, SharedAccountId="111122223333"
    )
    return image_id


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
