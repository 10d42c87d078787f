"""EC2 DescribeRegions and the tagging API's GetResources, as boto3 and Cloud Custodian call them."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from emulator_support import AwsClients, assumed_keys

from imgperms_async.emulator import Emulator


def regions_of(client: Any, **arguments: Any) -> dict[str, str]:
    answer = client.describe_regions(**arguments)["Regions"]
    assert all(r["Endpoint"] == f"ec2.{r['RegionName']}.amazonaws.com" for r in answer)
    return {region["RegionName"]: region["OptInStatus"] for region in answer}


def session_in(organization: Emulator, aws: AwsClients, account: str) -> dict[str, str]:
    extra = {"ExternalId": organization.external_id or ""}
    answer = aws(organization, "sts").assume_role(
        RoleArn=organization.role_arn(account), RoleSessionName="audit", **extra
    )
    return assumed_keys(answer["Credentials"])


def test_the_management_account_has_every_served_region(
    organization: Emulator, aws: AwsClients
) -> None:
    assert regions_of(aws(organization, "ec2")) == {
        "us-east-1": "opt-in-not-required",
        "eu-west-1": "opt-in-not-required",
        "af-south-1": "opted-in",
    }


def test_a_member_without_the_opt_in_region_lists_it_only_with_all_regions(
    aws: AwsClients,
) -> None:
    chosen = list(Emulator(accounts=3, seed=1).scoped_truth.images)[1]
    with Emulator(accounts=3, seed=1, opt_in_disabled=[(chosen, "af-south-1")]) as served:
        ec2 = aws(served, "ec2", **session_in(served, aws, chosen))
        enabled = regions_of(ec2)
        everything = regions_of(ec2, AllRegions=True)
    assert enabled == {"us-east-1": "opt-in-not-required", "eu-west-1": "opt-in-not-required"}
    assert everything == {**enabled, "af-south-1": "not-opted-in"}


def test_regions_can_be_named_and_filtered(organization: Emulator, aws: AwsClients) -> None:
    ec2 = aws(organization, "ec2")
    assert regions_of(ec2, RegionNames=["eu-west-1"]) == {"eu-west-1": "opt-in-not-required"}
    assert regions_of(ec2, Filters=[{"Name": "opt-in-status", "Values": ["opted-in"]}]) == {
        "af-south-1": "opted-in"
    }


@pytest.mark.parametrize(
    ("arguments", "code"),
    [
        ({"RegionNames": ["us-west-1"]}, "InvalidParameterValue"),
        ({"Filters": [{"Name": "colour", "Values": ["blue"]}]}, "InvalidParameterValue"),
        ({"DryRun": True}, "DryRunOperation"),
    ],
)
def test_describe_regions_refuses_as_ec2_does(
    organization: Emulator, aws: AwsClients, arguments: dict[str, Any], code: str
) -> None:
    with pytest.raises(ClientError) as caught:
        aws(organization, "ec2").describe_regions(**arguments)
    assert caught.value.response["Error"]["Code"] == code


def test_nothing_is_tagged(organization: Emulator, aws: AwsClients) -> None:
    client = aws(organization, "resourcegroupstaggingapi")
    pages = list(
        client.get_paginator("get_resources").paginate(
            ResourceTypeFilters=["workspaces:workspaceimage"]
        )
    )
    assert [page["ResourceTagMappingList"] for page in pages] == [[]]


def test_get_resources_works_for_a_standalone_account_too(
    threaded_emulator: Emulator, aws: AwsClients
) -> None:
    answer = aws(threaded_emulator, "resourcegroupstaggingapi").get_resources()
    assert (answer["ResourceTagMappingList"], answer["PaginationToken"]) == ([], "")


@pytest.mark.parametrize(
    "arguments", [{"ResourcesPerPage": 101}, {"PaginationToken": "from-elsewhere"}]
)
def test_get_resources_refuses_what_the_model_does_not_allow(
    organization: Emulator, aws: AwsClients, arguments: dict[str, Any]
) -> None:
    with pytest.raises(ClientError) as caught:
        aws(organization, "resourcegroupstaggingapi").get_resources(**arguments)
    assert caught.value.response["Error"]["Code"] == "InvalidParameterException"
