"""Inputs the service model rejects never reach the network, and the limits match botocore's model."""

from __future__ import annotations

import pytest
from botocore.loaders import Loader

from imgperms_async import ParamValidationError
from imgperms_async._validation import (
    ACCOUNT_ID_PATTERN,
    IMAGE_ID_PATTERN,
    IMAGE_TYPES,
    MAX_RESULTS_RANGE,
    NEXT_TOKEN_LENGTH_RANGE,
    validate_image_listing,
    validate_image_permissions_params,
    validate_page_size,
    validate_update_permission_params,
)


def test_limits_equal_the_botocore_service_model() -> None:
    shapes = Loader().load_service_model("workspaces", "service-2")["shapes"]
    request = shapes["DescribeWorkspaceImagePermissionsRequest"]["members"]
    assert shapes[request["ImageId"]["shape"]]["pattern"] == IMAGE_ID_PATTERN
    limit = shapes[request["MaxResults"]["shape"]]
    assert (limit["min"], limit["max"]) == MAX_RESULTS_RANGE
    token = shapes[request["NextToken"]["shape"]]
    assert (token["min"], token["max"]) == NEXT_TOKEN_LENGTH_RANGE
    listing = shapes["DescribeWorkspaceImagesRequest"]["members"]
    assert tuple(shapes[listing["ImageType"]["shape"]]["enum"]) == IMAGE_TYPES
    listed = shapes[listing["MaxResults"]["shape"]]
    assert (listed["min"], listed["max"]) == MAX_RESULTS_RANGE


def test_valid_parameters_pass() -> None:
    validate_image_permissions_params(
        {"ImageId": "wsi-abc123def", "MaxResults": 25, "NextToken": "t"}
    )


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({}, 'Missing required parameter in input: "ImageId"'),
        ({"ImageId": "wsi-short"}, "must match pattern: wsi-[0-9a-z]{9,63}$"),
        ({"ImageId": "WSI-ABC123DEF"}, "Invalid value for parameter ImageId"),
        ({"ImageId": 7}, "Invalid type for parameter ImageId"),
        ({"ImageId": "wsi-abc123def", "MaxResults": 0}, "valid min value: 1"),
        ({"ImageId": "wsi-abc123def", "MaxResults": 26}, "valid max value: 25"),
        ({"ImageId": "wsi-abc123def", "MaxResults": "5"}, "Invalid type for parameter MaxResults"),
        ({"ImageId": "wsi-abc123def", "MaxResults": True}, "Invalid type for parameter MaxResults"),
        ({"ImageId": "wsi-abc123def", "NextToken": ""}, "valid min length: 1"),
        ({"ImageId": "wsi-abc123def", "NextToken": "x" * 2049}, "valid max length: 2048"),
        ({"ImageId": "wsi-abc123def", "Bogus": 1}, 'Unknown parameter in input: "Bogus"'),
    ],
)
def test_bad_parameter_is_named_in_the_error(params: dict[str, object], message: str) -> None:
    with pytest.raises(ParamValidationError, match=r"Parameter validation failed") as caught:
        validate_image_permissions_params(params)
    assert message in str(caught.value)


def test_error_is_botocores_param_validation_error() -> None:
    import botocore.exceptions

    with pytest.raises(botocore.exceptions.ParamValidationError):
        validate_image_permissions_params({"ImageId": "nope"})


def test_page_size_outside_the_range_is_rejected() -> None:
    with pytest.raises(ParamValidationError, match="valid max value: 25"):
        validate_page_size(30)


def test_the_account_pattern_equals_the_botocore_service_model() -> None:
    shapes = Loader().load_service_model("workspaces", "service-2")["shapes"]
    request = shapes["UpdateWorkspaceImagePermissionRequest"]["members"]
    assert shapes[request["SharedAccountId"]["shape"]]["pattern"] == ACCOUNT_ID_PATTERN


UPDATE = {"ImageId": "wsi-abc123def", "AllowCopyImage": False, "SharedAccountId": "123456789012"}


def test_a_valid_update_passes() -> None:
    validate_update_permission_params(UPDATE)


@pytest.mark.parametrize(
    "account",
    ["12345678901", "1234567890123", "123456789012\n", "١٢٣٤٥٦٧٨٩٠١٢", 123456789012],
    ids=["short", "long", "trailing-newline", "arabic-indic-digits", "number"],
)
def test_an_update_for_anything_but_twelve_ascii_digits_is_refused(account: object) -> None:
    with pytest.raises(ParamValidationError, match="SharedAccountId"):
        validate_update_permission_params({**UPDATE, "SharedAccountId": account})


@pytest.mark.parametrize("missing", ["ImageId", "AllowCopyImage", "SharedAccountId"])
def test_every_update_member_is_required(missing: str) -> None:
    params = {name: value for name, value in UPDATE.items() if name != missing}
    with pytest.raises(
        ParamValidationError, match=f'Missing required parameter in input: "{missing}"'
    ):
        validate_update_permission_params(params)


def test_allow_copy_image_must_be_a_boolean() -> None:
    with pytest.raises(ParamValidationError, match="AllowCopyImage"):
        validate_update_permission_params({**UPDATE, "AllowCopyImage": "false"})


@pytest.mark.parametrize(
    ("image_type", "page_size", "message"),
    [
        ("owned", None, "Invalid value for parameter ImageType, value: owned, valid values: OWNED"),
        (3, None, "Invalid type for parameter ImageType"),
        ("OWNED", 0, "valid min value: 1"),
        (None, 26, "valid max value: 25"),
    ],
)
def test_a_listing_the_model_refuses_is_refused_before_it_is_sent(
    image_type: object, page_size: object, message: str
) -> None:
    with pytest.raises(ParamValidationError, match=message):
        validate_image_listing(image_type, page_size)


@pytest.mark.parametrize("image_type", [*IMAGE_TYPES, None])
def test_every_image_type_the_model_knows_lists(image_type: str | None) -> None:
    validate_image_listing(image_type, 25)
