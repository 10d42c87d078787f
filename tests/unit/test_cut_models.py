"""The cut botocore models the control plane loads instead of botocore's whole ones ask and read
exactly as the installed botocore's would, so cutting them changes nothing but memory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from botocore.loaders import Loader
from botocore.model import OperationModel, ServiceModel, Shape
from botocore.parsers import create_parser
from botocore.serialize import create_serializer

from imgperms_async._aws_config import read_config
from imgperms_async._identity import Identity
from imgperms_async._modeled import CUT_MODELS, ModeledOperation, service_model

CUTS = sorted(CUT_MODELS.glob("*/*/service-2.json"))
REGIONS_ANSWER = b"""<?xml version="1.0" encoding="UTF-8"?>
<DescribeRegionsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>59dbff89-35bd-4eac-99ed-be587EXAMPLE</requestId>
  <regionInfo>
    <item><regionName>us-east-1</regionName><regionEndpoint>ec2.us-east-1.amazonaws.com</regionEndpoint><optInStatus>opt-in-not-required</optInStatus></item>
    <item><regionName>af-south-1</regionName><regionEndpoint>ec2.af-south-1.amazonaws.com</regionEndpoint><optInStatus>not-opted-in</optInStatus></item>
  </regionInfo>
</DescribeRegionsResponse>"""


def whole_model(cut: Path) -> ServiceModel:
    service = cut.parent.parent.name
    return ServiceModel(Loader().load_service_model(service, "service-2"), service)


def cut_model(cut: Path) -> ServiceModel:
    return ServiceModel(json.loads(cut.read_text()), cut.parent.parent.name)


def describe_regions(model: ServiceModel) -> OperationModel:
    return model.operation_model("DescribeRegions")


def output_of(operation: OperationModel) -> Shape:
    shape = operation.output_shape
    assert shape is not None
    return shape


def test_there_is_a_cut_model_of_ec2() -> None:
    assert [cut.parent.parent.name for cut in CUTS] == ["ec2"]


@pytest.mark.parametrize("cut", CUTS, ids=lambda cut: cut.parent.parent.name)
def test_a_cut_model_describes_its_service_as_botocore_does(cut: Path) -> None:
    whole, mine = whole_model(cut), cut_model(cut)

    shared = mine.metadata.keys() & whole.metadata.keys()
    assert {"apiVersion", "endpointPrefix", "protocol", "serviceId", "signatureVersion"} <= shared
    assert {key: mine.metadata[key] for key in shared} == {
        key: whole.metadata[key] for key in shared
    }
    assert set(mine.operation_names) <= set(whole.operation_names)


def test_the_cut_ec2_model_asks_for_regions_as_botocores_whole_model_does() -> None:
    [cut] = CUTS
    params = {
        "AllRegions": False,
        "RegionNames": ["us-east-1", "af-south-1"],
        "Filters": [{"Name": "opt-in-status", "Values": ["opted-in", "opt-in-not-required"]}],
    }
    serializer = create_serializer("ec2")

    asked = [
        serializer.serialize_to_request(params, describe_regions(model))["body"]
        for model in (whole_model(cut), cut_model(cut))
    ]

    assert asked[0] == asked[1]


def test_the_cut_ec2_model_reads_regions_as_botocores_whole_model_does() -> None:
    [cut] = CUTS
    answer = {"body": REGIONS_ANSWER, "headers": {}, "status_code": 200}

    read = [
        create_parser("ec2").parse(answer, output_of(describe_regions(model)))
        for model in (whole_model(cut), cut_model(cut))
    ]

    assert read[0] == read[1]
    assert [region["OptInStatus"] for region in read[1]["Regions"]] == [
        "opt-in-not-required",
        "not-opted-in",
    ]


def test_the_modeled_operations_load_the_cut_model_before_botocores(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("AWS_DATA_PATH", raising=False)

    assert service_model("ec2").operation_names == ["DescribeRegions"]
    assert ModeledOperation("ec2", "DescribeRegions").model.service_model.operation_names == [
        "DescribeRegions"
    ]


def test_a_botocore_session_read_for_the_caller_loads_the_cut_model_before_botocores(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("AWS_DATA_PATH", raising=False)
    config = read_config(Identity(region_name="us-east-1"))

    session = config._session  # what botocore itself would load through the caller's session
    assert session is not None
    assert session.get_service_model("ec2").operation_names == ["DescribeRegions"]
