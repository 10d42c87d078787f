"""Regions as botocore's data knows them: which exist, their partition, where WorkSpaces runs."""

from __future__ import annotations

import pytest

from imgperms_async import InvalidSettingError, check_region_name, partition_of
from imgperms_async._regions import offers_workspaces, workspaces_regions


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1", "cn-north-1", "us-gov-west-1"])
def test_a_known_region_is_returned_as_given(region: str) -> None:
    assert check_region_name(region, source="test") == region


def test_a_typo_botocore_does_not_know_is_refused_naming_it_and_its_source() -> None:
    with pytest.raises(InvalidSettingError, match=r"'eu-wset-1' \(--region\).*botocore"):
        check_region_name("eu-wset-1", source="--region")


def test_upper_case_is_refused_with_the_lower_case_name() -> None:
    with pytest.raises(InvalidSettingError, match="must be lower case: 'us-east-1'"):
        check_region_name("US-EAST-1", source="test")


@pytest.mark.parametrize("region", ["", "us east 1", "-us-east-1", "us-east-1-", "ús-east-1"])
def test_what_is_not_a_region_name_is_refused(region: str) -> None:
    with pytest.raises(InvalidSettingError, match="is not a region name"):
        check_region_name(region, source="test")


@pytest.mark.parametrize("region", [None, 1, ["us-east-1"]])
def test_what_is_not_text_is_refused(region: object) -> None:
    with pytest.raises(InvalidSettingError, match="is not a region name"):
        check_region_name(region, source="test")


@pytest.mark.parametrize(
    ("region", "partition"),
    [("us-east-1", "aws"), ("cn-north-1", "aws-cn"), ("us-gov-west-1", "aws-us-gov")],
)
def test_the_partition_of_a_region(region: str, partition: str) -> None:
    assert partition_of(region) == partition


def test_a_region_botocore_does_not_know_is_taken_as_the_aws_partition() -> None:
    assert partition_of("xx-nowhere-9") == "aws"


def test_workspaces_regions_are_those_of_the_partition_that_offer_it() -> None:
    regions = workspaces_regions("aws")
    assert {"us-east-1", "eu-west-1"} <= set(regions)
    assert "cn-north-1" not in regions
    assert all(partition_of(region) == "aws" for region in regions)


def test_a_partition_without_workspaces_data_has_no_regions() -> None:
    assert workspaces_regions("no-such-partition") == ()


def test_workspaces_is_offered_in_us_east_1() -> None:
    assert offers_workspaces("us-east-1")


@pytest.mark.parametrize("region", ["us-west-1", "eu-north-1"])
def test_a_region_where_workspaces_does_not_run_is_not_offered(region: str) -> None:
    assert not offers_workspaces(region)
