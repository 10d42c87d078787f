"""Operations read from botocore's models: requests as botocore builds them, answers as boto3
reads them, and stricter than botocore where a lenient read would hide a broken answer."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

import pytest
from botocore.model import ServiceModel
from botocore.parsers import ResponseParserError
from botocore.utils import parse_timestamp

from imgperms_async import (
    ClientError,
    MalformedResponseError,
    ParamValidationError,
    ResourceNotFoundException,
)
from imgperms_async._http import HttpResponse
from imgperms_async._modeled import ModeledOperation, wire_protocol

SECRET = "modeled-secret-access-key"
TOKEN = "modeled-session-token"


def answer(status: int, body: bytes | dict[str, Any], **headers: str) -> HttpResponse:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return HttpResponse(status, {"x-amzn-requestid": "req-1", **headers}, raw, 1.0, 1.1)


def images() -> ModeledOperation:
    return ModeledOperation(
        "workspaces", "DescribeWorkspaceImages", required=("Images", "Images[].ImageId")
    )


def describe_organization() -> ModeledOperation:
    return ModeledOperation(
        "organizations",
        "DescribeOrganization",
        required=("Organization.Id", "Organization.MasterAccountId"),
    )


def assume_role_answer(
    *, token: str | None = TOKEN, expiration: str = "2030-01-01T00:00:00Z"
) -> bytes:
    session_token = "" if token is None else f"<SessionToken>{token}</SessionToken>"
    return f"""<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <Credentials>
      <AccessKeyId>ASIAMODELED</AccessKeyId>
      <SecretAccessKey>{SECRET}</SecretAccessKey>
      {session_token}
      <Expiration>{expiration}</Expiration>
    </Credentials>
  </AssumeRoleResult>
  <ResponseMetadata><RequestId>req-2</RequestId></ResponseMetadata>
</AssumeRoleResponse>""".encode()


def assume_role() -> ModeledOperation:
    return ModeledOperation(
        "sts",
        "AssumeRole",
        required=("Credentials.AccessKeyId", "Credentials.SessionToken"),
    )


# --- requests ---------------------------------------------------------------------------------


def test_workspaces_is_spoken_in_json_1_1_though_its_model_prefers_cbor() -> None:
    request = images().request({"ImageType": "OWNED"}, "https://workspaces.example/")
    assert request.url == "https://workspaces.example/"
    assert request.headers["X-Amz-Target"] == "WorkspacesService.DescribeWorkspaceImages"
    assert request.headers["Content-Type"] == "application/x-amz-json-1.1"
    assert json.loads(request.body) == {"ImageType": "OWNED"}
    assert request.method == "POST"


def test_a_model_offering_only_protocols_not_spoken_here_keeps_its_own() -> None:
    model = ServiceModel(
        {"metadata": {"protocol": "smithy-rpc-v2-cbor", "protocols": ["smithy-rpc-v2-cbor"]},
         "operations": {}, "shapes": {}},
        "x",
    )  # fmt: skip
    assert wire_protocol(model) == "smithy-rpc-v2-cbor"


def test_the_first_protocol_spoken_here_that_a_model_lists_is_chosen() -> None:
    model = ServiceModel(
        {"metadata": {"protocol": "smithy-rpc-v2-cbor", "protocols": ["smithy-rpc-v2-cbor",
         "query", "json"]}, "operations": {}, "shapes": {}},
        "x",
    )  # fmt: skip
    assert wire_protocol(model) == "query"


def test_a_query_operation_is_a_form_post() -> None:
    request = ModeledOperation("sts", "GetCallerIdentity").request({}, "https://sts.example")
    assert request.url == "https://sts.example/"
    assert request.headers["Content-Type"].startswith("application/x-www-form-urlencoded")
    assert request.body == b"Action=GetCallerIdentity&Version=2011-06-15"


def test_a_rest_json_operation_goes_to_its_path() -> None:
    request = ModeledOperation("securityhub", "GetFindings").request(
        {"MaxResults": 5}, "https://securityhub.example/"
    )
    assert request.url == "https://securityhub.example/findings"
    assert json.loads(request.body) == {"MaxResults": 5}


def test_parameters_are_checked_as_botocore_checks_them() -> None:
    with pytest.raises(ParamValidationError, match="MaxResults"):
        images().validate({"MaxResults": 0})


def test_valid_parameters_pass() -> None:
    images().validate({"ImageType": "OWNED", "MaxResults": 25})


def test_an_operation_without_output_is_refused_when_built() -> None:
    with pytest.raises(ValueError, match="no output shape"):
        ModeledOperation("organizations", "DeleteOrganization")


# --- answers ----------------------------------------------------------------------------------


def test_an_answer_is_read_as_boto3_reads_it() -> None:
    result = images().result(
        {}, answer(200, {"Images": [{"ImageId": "wsi-abc123def", "Created": 1700000000.5}]})
    )
    (image,) = result["Images"]
    assert isinstance(image["Created"], datetime)
    assert image["Created"].timestamp() == 1700000000.5
    assert "ResponseMetadata" not in result


def test_an_xml_answer_is_read_with_its_nested_members() -> None:
    result = assume_role().result({}, answer(200, assume_role_answer()))
    assert result["Credentials"]["AccessKeyId"] == "ASIAMODELED"
    assert result["Credentials"]["Expiration"].year == 2030


@pytest.mark.parametrize(
    "written",
    [
        "2030-01-01T00:00:00Z",
        "2030-01-01T00:00:00.250Z",
        "20300101T000000Z",
        "2030-01-01T02:00:00+02:00",
        "2030-01-01T00:00:00",
        "Tue, 01 Jan 2030 00:00:00 GMT",
        "Tue, 01 Jan 2030 00:00:00 Z",
    ],
)
def test_a_timestamp_reads_as_botocore_reads_it(written: str) -> None:
    result = assume_role().result({}, answer(200, assume_role_answer(expiration=written)))
    assert result["Credentials"]["Expiration"] == parse_timestamp(written)


def test_json_null_reads_as_absent() -> None:
    result = images().result({}, answer(200, {"Images": [], "NextToken": None}))
    assert "NextToken" not in result


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"{not json", "the body is not JSON"),
        (b"[]", "the body is a list, not a structure"),
        ({"Images": "all"}, "Images is a str, not a list"),
        ({"Images": [5]}, r"Images\[0\] is a int, not a structure"),
        ({"Images": [{"ImageId": 5}]}, r"Images\[0\]\.ImageId is a int, not a string"),
        ({"Images": [], "NextToken": 7}, "NextToken is a int, not a string"),
        (
            {"Images": [{"ImageId": "wsi-abc123def", "Created": "soon"}], "NextToken": True},
            "NextToken is a bool, not a string",
        ),
    ],
)
def test_a_json_member_of_the_wrong_type_is_a_malformed_response(
    body: bytes | dict[str, Any], problem: str
) -> None:
    with pytest.raises(MalformedResponseError, match=problem):
        images().result({}, answer(200, body))


def test_a_boolean_is_not_taken_for_a_number() -> None:
    operation = ModeledOperation("organizations", "ListAccounts")
    with pytest.raises(MalformedResponseError, match="is a bool, not a"):
        operation.result(
            {}, answer(200, {"Accounts": [{"Id": "111122223333", "JoinedTimestamp": True}]})
        )


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({}, "Images is missing"),
        ({"status": "ok"}, "Images is missing"),
        ({"Images": [{"ImageId": "wsi-abc123def"}, {"Name": "x"}]}, r"Images\[1\]: ImageId is missing"),
    ],
)  # fmt: skip
def test_a_required_member_missing_is_a_malformed_response(
    body: dict[str, Any], problem: str
) -> None:
    with pytest.raises(MalformedResponseError, match=problem):
        images().result({}, answer(200, body))


def test_an_empty_list_holds_every_required_member_of_its_entries() -> None:
    assert images().result({}, answer(200, {"Images": []}))["Images"] == []


def test_a_required_nested_member_missing_is_a_malformed_response() -> None:
    with pytest.raises(MalformedResponseError, match="Organization: MasterAccountId is missing"):
        describe_organization().result({}, answer(200, {"Organization": {"Id": "o-abc"}}))


def test_a_required_nested_member_missing_from_an_xml_answer_is_a_malformed_response() -> None:
    with pytest.raises(MalformedResponseError, match="Credentials: SessionToken is missing"):
        assume_role().result({}, answer(200, assume_role_answer(token=None)))


def test_the_malformed_answer_names_its_request_id() -> None:
    with pytest.raises(MalformedResponseError, match="request id req-1"):
        images().result({}, answer(200, {}))


# --- errors -----------------------------------------------------------------------------------


def test_a_modeled_error_is_its_class_with_its_members_copied_to_the_top() -> None:
    error = images().error(
        answer(
            400,
            {"__type": "ResourceNotFoundException", "message": "gone", "ResourceId": "wsi-1"},
        )
    )
    assert type(error) is ResourceNotFoundException
    assert error.response["Error"] == {"Code": "ResourceNotFoundException", "Message": "gone"}
    assert dict(error.response)["ResourceId"] == "wsi-1"
    assert error.operation_name == "DescribeWorkspaceImages"


def test_an_error_of_another_service_is_a_plain_client_error_with_its_code() -> None:
    error = describe_organization().error(
        answer(400, {"__type": "AWSOrganizationsNotInUseException", "Message": "none"})
    )
    assert type(error) is ClientError
    assert error.response["Error"] == {
        "Code": "AWSOrganizationsNotInUseException",
        "Message": "none",
    }


def test_an_xml_error_is_read_with_its_code_and_message() -> None:
    body = b"""<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not you</Message></Error>
  <RequestId>req-3</RequestId></ErrorResponse>"""
    error = assume_role().error(answer(403, body))
    assert error.response["Error"] == {"Code": "AccessDenied", "Message": "not you"}
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_an_error_without_a_code_is_named_by_its_status() -> None:
    error = describe_organization().error(answer(503, b""))
    assert error.response["Error"]["Code"] == "503"


# --- secrets ----------------------------------------------------------------------------------


def parser_log(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(
        record.getMessage() for record in caplog.records if record.name == "botocore.parsers"
    )


def test_an_answer_holding_secrets_is_parsed_with_botocores_parser_log_off(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="botocore.parsers")

    assume_role().result({}, answer(200, assume_role_answer()))

    assert SECRET not in parser_log(caplog)
    assert TOKEN not in parser_log(caplog)


def test_an_answer_holding_an_email_the_model_marks_sensitive_is_not_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="botocore.parsers")
    organization = {"Id": "o-abc", "MasterAccountId": "111122223333"}

    describe_organization().result(
        {}, answer(200, {"Organization": {**organization, "MasterAccountEmail": "m@example.com"}})
    )

    assert "m@example.com" not in parser_log(caplog)


def test_the_parser_log_is_on_again_after_a_secret_answer(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="botocore.parsers")
    assume_role().result({}, answer(200, assume_role_answer()))

    images().result({}, answer(200, {"Images": [{"ImageId": "wsi-visible00"}]}))

    assert not logging.getLogger("botocore.parsers").disabled
    assert "wsi-visible00" in parser_log(caplog), "an answer without secrets is logged as usual"


def test_the_parser_log_is_on_again_after_a_secret_answer_fails_to_parse() -> None:
    with pytest.raises(ResponseParserError):
        assume_role().error(answer(400, b"<not xml"))
    assert not logging.getLogger("botocore.parsers").disabled


def test_a_parser_log_the_user_turned_off_stays_off() -> None:
    log = logging.getLogger("botocore.parsers")
    log.disabled = True
    try:
        assume_role().result({}, answer(200, assume_role_answer()))
        assert log.disabled
    finally:
        log.disabled = False
