"""moto's server as the suite's reference peer: started on loopback, and seeded with WorkSpaces images.

moto only creates an image from a WorkSpace, which needs a directory, which needs a VPC; that
set-up, and what it takes on each botocore model, is written once here.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import boto3_clients
from moto.server import ThreadedMotoServer

MOTO_KEYS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


@contextmanager
def moto_server() -> Iterator[str]:
    """moto's server on 127.0.0.1 with a free port; yields its URL."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def moto_client(url: str, service: str, *, region: str = "us-east-1", **keys: Any) -> Any:
    return boto3_clients.client(
        service, endpoint_url=url, region_name=region, **(keys or MOTO_KEYS)
    )


def seed_moto_image(
    url: str,
    shared_with: Sequence[str],
    *,
    name: str | None = None,
    region: str = "us-east-1",
    **keys: Any,
) -> str:
    """An image moto serves, shared with ``shared_with`` in that order; returns its id. Names
    must differ within a region: by default it is named for its number of shares."""
    ec2 = moto_client(url, "ec2", region=region, **keys)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(
            VpcId=vpc, CidrBlock=f"10.0.{n}.0/24", AvailabilityZone=f"{region}{zone}"
        )["Subnet"]["SubnetId"]
        for n, zone in ((1, "a"), (2, "b"))
    ]
    directory = moto_client(url, "ds", region=region, **keys).create_directory(
        Name="corp.example.com",
        Password="Passw0rd!Passw0rd",
        Size="Small",
        VpcSettings={"VpcId": vpc, "SubnetIds": subnets},
    )["DirectoryId"]
    workspaces = moto_client(url, "workspaces", region=region, **keys)
    register = workspaces.meta.service_model.operation_model("RegisterWorkspaceDirectory")
    # Older models (botocore 1.34) still require the since-removed EnableWorkDocs.
    workdocs = (
        {"EnableWorkDocs": False}
        if "EnableWorkDocs" in register.input_shape.required_members
        else {}
    )
    workspaces.register_workspace_directory(DirectoryId=directory, **workdocs)
    created = workspaces.create_workspaces(
        Workspaces=[{"DirectoryId": directory, "UserName": "alice", "BundleId": "wsb-123456789"}]
    )
    image_id: str = workspaces.create_workspace_image(
        Name=name or f"golden-{len(shared_with)}",
        Description="seeded",
        WorkspaceId=created["PendingRequests"][0]["WorkspaceId"],
    )["ImageId"]
    for account in shared_with:
        workspaces.update_workspace_image_permission(
            ImageId=image_id, AllowCopyImage=True, SharedAccountId=account
        )
    return image_id
