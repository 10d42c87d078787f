"""Each malformed, unsigned or mis-signed request is refused with the code AWS would send."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any

import pytest

from imgperms_async.emulator import Emulator, EmulatorCredentials

DESCRIBE = "DescribeWorkspaceImagePermissions"


def image_with_at_least(emulator: Emulator, at_least: int) -> str:
    return next(image for image, accounts in emulator.truth.items() if len(accounts) >= at_least)


async def test_success_carries_request_id_date_and_json_content_type(
    emulator: Emulator, call: Any
) -> None:
    answer = await call(DESCRIBE, {"ImageId": emulator.owned_image_ids[0]})
    assert answer.status == 200
    assert re.fullmatch(r"[0-9a-f-]{36}", answer.headers["x-amzn-RequestId"])
    assert answer.headers["Date"].endswith(" GMT")
    assert answer.headers["Content-Type"] == "application/x-amz-json-1.1"


async def test_errors_name_their_code_in_body_and_header(call: Any) -> None:
    answer = await call(DESCRIBE, {"ImageId": "wsi-000000000"})
    assert answer.status == 400
    assert answer.json["__type"] == "ResourceNotFoundException"
    assert answer.headers["x-amzn-ErrorType"] == "ResourceNotFoundException"
    assert answer.json["message"]


async def test_body_changed_after_signing_is_invalid_signature(
    emulator: Emulator, sign: Any, send: Any
) -> None:
    headers, _ = sign(DESCRIBE, {"ImageId": emulator.owned_image_ids[0]})
    tampered = json.dumps({"ImageId": emulator.owned_image_ids[1]}).encode()
    answer = await send(headers, tampered)
    assert answer.error_code == "InvalidSignatureException"
    assert answer.json["message"].startswith("The request signature we calculated does not match")


async def test_wrong_secret_is_invalid_signature(emulator: Emulator, call: Any) -> None:
    wrong = replace(emulator.credentials, secret_key="not-the-secret")
    answer = await call(DESCRIBE, {"ImageId": emulator.owned_image_ids[0]}, credentials=wrong)
    assert answer.error_code == "InvalidSignatureException"


async def test_unknown_access_key_is_unrecognized_client(emulator: Emulator, call: Any) -> None:
    stranger = EmulatorCredentials("AKIASTRANGER", "secret")
    answer = await call(DESCRIBE, {"ImageId": emulator.owned_image_ids[0]}, credentials=stranger)
    assert answer.error_code == "UnrecognizedClientException"
    assert answer.json["message"] == "The security token included in the request is invalid."


async def test_missing_authorization_is_missing_authentication_token(
    emulator: Emulator, sign: Any, send: Any
) -> None:
    headers, body = sign(DESCRIBE, {"ImageId": emulator.owned_image_ids[0]})
    del headers["Authorization"]
    answer = await send(headers, body)
    assert answer.error_code == "MissingAuthenticationTokenException"
    assert answer.json["message"] == "Missing Authentication Token"


async def test_token_credential_without_its_token_is_unrecognized_client(
    emulator: Emulator, call: Any
) -> None:
    tokenless = replace(emulator.session_credentials, session_token=None)
    answer = await call(DESCRIBE, {"ImageId": emulator.owned_image_ids[0]}, credentials=tokenless)
    assert answer.error_code == "UnrecognizedClientException"


async def test_token_credential_with_a_wrong_token_is_unrecognized_client(
    emulator: Emulator, call: Any
) -> None:
    wrong = replace(emulator.session_credentials, session_token="some-other-token")
    answer = await call(DESCRIBE, {"ImageId": emulator.owned_image_ids[0]}, credentials=wrong)
    assert answer.error_code == "UnrecognizedClientException"


async def test_signature_from_ten_minutes_ago_is_expired(http_session: Any, sign: Any) -> None:
    async with Emulator(images=5, clock_offset=600.0) as skewed:
        headers, body = sign(DESCRIBE, {"ImageId": skewed.owned_image_ids[0]})
        async with http_session.post(skewed.endpoint_url, headers=headers, data=body) as response:
            answer = await response.json(content_type=None)
    assert answer["__type"] == "InvalidSignatureException"
    assert re.fullmatch(
        r"Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z"
        r" \(\d{8}T\d{6}Z - 5 min\.\)",
        answer["message"],
    )


async def test_signature_from_ten_minutes_ahead_is_not_yet_current(
    http_session: Any, sign: Any
) -> None:
    async with Emulator(images=5, clock_offset=-600.0) as skewed:
        headers, body = sign(DESCRIBE, {"ImageId": skewed.owned_image_ids[0]})
        async with http_session.post(skewed.endpoint_url, headers=headers, data=body) as response:
            answer = await response.json(content_type=None)
    assert answer["__type"] == "InvalidSignatureException"
    assert answer["message"].startswith("Signature not yet current: ")


async def test_next_token_of_another_image_is_invalid(emulator: Emulator, call: Any) -> None:
    first = await call(DESCRIBE, {"ImageId": image_with_at_least(emulator, 26)})
    other = emulator.owned_image_ids[0]
    answer = await call(DESCRIBE, {"ImageId": other, "NextToken": first.json["NextToken"]})
    assert answer.error_code == "InvalidParameterValuesException"


@pytest.mark.parametrize("token", ["forged-token", "AAAA", "x" * 2048])
async def test_forged_next_token_is_invalid(emulator: Emulator, call: Any, token: str) -> None:
    answer = await call(DESCRIBE, {"ImageId": emulator.owned_image_ids[0], "NextToken": token})
    assert answer.error_code == "InvalidParameterValuesException"


async def test_next_token_longer_than_2048_characters_is_invalid(
    emulator: Emulator, call: Any
) -> None:
    answer = await call(DESCRIBE, {"ImageId": emulator.owned_image_ids[0], "NextToken": "x" * 2049})
    assert answer.error_code == "InvalidParameterValuesException"


@pytest.mark.parametrize("image_id", ["wsi-short", "ami-123456789", "wsi-UPPERCASE12", ""])
async def test_image_id_off_the_pattern_is_invalid(call: Any, image_id: str) -> None:
    answer = await call(DESCRIBE, {"ImageId": image_id})
    assert answer.error_code == "InvalidParameterValuesException"


async def test_missing_image_id_is_invalid(call: Any) -> None:
    answer = await call(DESCRIBE, {})
    assert answer.error_code == "InvalidParameterValuesException"


@pytest.mark.parametrize("max_results", [0, 26, -1])
async def test_max_results_outside_one_to_25_is_invalid(
    emulator: Emulator, call: Any, max_results: int
) -> None:
    answer = await call(
        DESCRIBE, {"ImageId": emulator.owned_image_ids[0], "MaxResults": max_results}
    )
    assert answer.error_code == "InvalidParameterValuesException"


async def test_unknown_operation_is_refused(call: Any) -> None:
    answer = await call("DeleteEverything", {})
    assert answer.error_code == "UnknownOperationException"


async def test_malformed_json_is_serialization_exception(call: Any) -> None:
    answer = await call(DESCRIBE, b'{"ImageId": ')
    assert answer.error_code == "SerializationException"


async def test_json_that_is_not_an_object_is_serialization_exception(call: Any) -> None:
    answer = await call(DESCRIBE, b'["wsi-123456789"]')
    assert answer.error_code == "SerializationException"


async def test_wrong_content_type_is_serialization_exception(emulator: Emulator, call: Any) -> None:
    answer = await call(
        DESCRIBE, {"ImageId": emulator.owned_image_ids[0]}, content_type="application/json"
    )
    assert answer.error_code == "SerializationException"


async def test_other_paths_are_not_found(send: Any) -> None:
    answer = await send({}, b"", method="GET", path="/nothing")
    assert answer.status == 404


@pytest.mark.parametrize(
    "account_id",
    [
        "12345",
        "123456789012\n",
        "\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669\u0660\u0661\u0662",
    ],
    ids=["short", "trailing-newline", "arabic-indic-digits"],
)
async def test_update_rejects_account_ids_that_are_not_twelve_ascii_digits(
    emulator: Emulator, call: Any, account_id: str
) -> None:
    answer = await call(
        "UpdateWorkspaceImagePermission",
        {
            "ImageId": emulator.owned_image_ids[0],
            "AllowCopyImage": True,
            "SharedAccountId": account_id,
        },
    )
    assert answer.error_code == "InvalidParameterValuesException"


async def test_describe_images_rejects_more_than_25_ids(emulator: Emulator, call: Any) -> None:
    answer = await call(
        "DescribeWorkspaceImages", {"ImageIds": list(emulator.owned_image_ids[:26])}
    )
    assert answer.error_code == "InvalidParameterValuesException"


async def test_describe_images_rejects_an_unknown_image_type(call: Any) -> None:
    answer = await call("DescribeWorkspaceImages", {"ImageType": "STOLEN"})
    assert answer.error_code == "InvalidParameterValuesException"


@pytest.mark.parametrize("region", ["xx-fake-9", "US-EAST-1", "us-east-1 "])
async def test_a_scope_for_a_region_that_does_not_exist_is_refused(call: Any, region: str) -> None:
    answer = await call("DescribeWorkspaceImages", {}, region=region)
    assert (answer.status, answer.error_code) == (400, "InvalidSignatureException")
    assert answer.json["message"] == "Credential should be scoped to a valid region. "


async def test_a_scope_for_a_real_region_the_emulator_does_not_serve_is_refused(call: Any) -> None:
    answer = await call("DescribeWorkspaceImages", {}, region="eu-west-1")
    assert (answer.status, answer.error_code) == (400, "InvalidSignatureException")
    assert answer.json["message"] == (
        "Credential should be scoped to a valid region, not 'eu-west-1'. "
    )


@pytest.mark.parametrize("max_results", [1, 10, 25])
async def test_max_results_from_one_to_25_is_accepted_whatever_the_page_size(
    ask: Any, max_results: int
) -> None:
    async with Emulator(images=40, seed=7, page_size=5) as small_pages:
        image_id = image_with_at_least(small_pages, 26)
        answer = await ask(small_pages, DESCRIBE, {"ImageId": image_id, "MaxResults": max_results})
    assert answer.status == 200
    assert len(answer.json["ImagePermissions"]) == min(max_results, 5)


async def test_without_max_results_a_page_holds_page_size_shares(ask: Any) -> None:
    async with Emulator(images=40, seed=7, page_size=5) as small_pages:
        answer = await ask(small_pages, DESCRIBE, {"ImageId": image_with_at_least(small_pages, 26)})
    assert len(answer.json["ImagePermissions"]) == 5
