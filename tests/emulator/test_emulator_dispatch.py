"""One port, every service: requests reach the service their scope names, are verified the same
strict way, and are refused in each service's own words."""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import pytest
from botocore.exceptions import ClientError
from emulator_support import (
    FORM,
    Answer,
    AwsClients,
    assumed_keys,
    botocore_signed,
    botocore_signed_query,
)
from fakes import FakeClock

from imgperms_async.emulator import Emulator, EmulatorCredentials

Post = Callable[..., Awaitable[Answer]]
# One cheap call per service, as boto3 names them.
CALLS = {
    "workspaces": ("describe_workspace_images", {"ImageType": "OWNED"}),
    "sts": ("get_caller_identity", {}),
    "organizations": ("describe_organization", {}),
    "ec2": ("describe_regions", {}),
    "resourcegroupstaggingapi": ("get_resources", {}),
    "securityhub": ("get_findings", {}),
}
INVALID_TOKEN = "The security token included in the request is invalid."


def refusal(client: Any, service: str) -> tuple[int, str, str]:
    operation, arguments = CALLS[service]
    with pytest.raises(ClientError) as caught:
        getattr(client, operation)(**arguments)
    error = caught.value.response["Error"]
    return (
        caught.value.response["ResponseMetadata"]["HTTPStatusCode"],
        error["Code"],
        error["Message"],
    )


STRANGER = EmulatorCredentials("AKIASTRANGER00000000", "no-such-secret")


@pytest.mark.parametrize(
    ("service", "status", "code"),
    [
        ("workspaces", 400, "InvalidSignatureException"),
        ("sts", 403, "SignatureDoesNotMatch"),
        ("organizations", 400, "InvalidSignatureException"),
        ("ec2", 401, "AuthFailure"),
        ("resourcegroupstaggingapi", 400, "InvalidSignatureException"),
        ("securityhub", 403, "InvalidSignatureException"),
    ],
)
def test_a_wrong_secret_is_refused_by_every_service(
    organization: Emulator, aws: AwsClients, service: str, status: int, code: str
) -> None:
    wrong = replace(organization.credentials, secret_key="not-the-secret")
    answer = refusal(aws(organization, service, credentials=wrong), service)
    assert answer[:2] == (status, code)


@pytest.mark.parametrize(
    ("service", "status", "code"),
    [
        ("workspaces", 400, "UnrecognizedClientException"),
        ("sts", 403, "InvalidClientTokenId"),
        ("organizations", 400, "UnrecognizedClientException"),
        ("ec2", 401, "AuthFailure"),
        ("resourcegroupstaggingapi", 400, "UnrecognizedClientException"),
        ("securityhub", 403, "UnrecognizedClientException"),
    ],
)
def test_an_unknown_key_is_refused_by_every_service(
    organization: Emulator, aws: AwsClients, service: str, status: int, code: str
) -> None:
    client = aws(organization, service, credentials=STRANGER)
    assert refusal(client, service)[:2] == (status, code)


@pytest.mark.parametrize(
    ("service", "status", "code", "message"),
    [
        ("workspaces", 400, "UnrecognizedClientException", INVALID_TOKEN),
        ("sts", 403, "InvalidClientTokenId", INVALID_TOKEN),
        ("organizations", 400, "UnrecognizedClientException", INVALID_TOKEN),
        ("ec2", 401, "AuthFailure", "AWS was not able to validate the provided access credentials"),
        ("resourcegroupstaggingapi", 400, "UnrecognizedClientException", INVALID_TOKEN),
        ("securityhub", 403, "UnrecognizedClientException", INVALID_TOKEN),
    ],
)
def test_a_region_the_account_has_not_enabled_is_refused_as_an_invalid_token(
    aws: AwsClients, service: str, status: int, code: str, message: str
) -> None:
    member = list(Emulator(accounts=3, seed=1).scoped_truth.images)[1]
    with Emulator(accounts=3, seed=1, opt_in_disabled=[(member, "af-south-1")]) as served:
        keys = assumed_keys(
            aws(served, "sts").assume_role(
                RoleArn=served.role_arn(member), RoleSessionName="audit"
            )["Credentials"]
        )
        client = aws(served, service, region="af-south-1", **keys)
        assert refusal(client, service) == (status, code, message)


@pytest.mark.parametrize("region", ["xx-fake-9", "US-EAST-1"])
@pytest.mark.parametrize(
    ("service", "status", "code", "message"),
    [
        ("workspaces", 400, "InvalidSignatureException", None),
        ("sts", 403, "SignatureDoesNotMatch", None),
        ("organizations", 400, "InvalidSignatureException", None),
        ("ec2", 401, "AuthFailure", "AWS was not able to validate the provided access credentials"),
        ("resourcegroupstaggingapi", 400, "InvalidSignatureException", None),
        ("securityhub", 403, "InvalidSignatureException", None),
    ],
)
def test_a_region_that_does_not_exist_is_refused_by_every_service(
    organization: Emulator,
    aws: AwsClients,
    region: str,
    service: str,
    status: int,
    code: str,
    message: str | None,
) -> None:
    answer = refusal(aws(organization, service, region=region), service)
    expected = message or "Credential should be scoped to a valid region. "
    assert answer == (status, code, expected)


@pytest.mark.parametrize("service", ["workspaces", "sts", "organizations"])
def test_a_real_region_the_emulator_does_not_serve_is_named_in_the_refusal(
    organization: Emulator, aws: AwsClients, service: str
) -> None:
    _, _, message = refusal(aws(organization, service, region="us-west-2"), service)
    assert message == "Credential should be scoped to a valid region, not 'us-west-2'. "


@pytest.mark.parametrize("service", ["sts", "organizations"])
def test_global_services_also_answer_the_region_of_their_global_endpoint(
    aws: AwsClients, service: str
) -> None:
    operation, arguments = CALLS[service]
    with Emulator(accounts=1, seed=1, regions=["eu-west-1"]) as served:
        answer = getattr(aws(served, service, region="us-east-1"), operation)(**arguments)
        refused = refusal(aws(served, "workspaces", region="us-east-1"), "workspaces")
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert refused[1] == "InvalidSignatureException"


async def test_a_scope_for_another_service_is_refused_naming_the_right_one(
    organization: Emulator, post: Post
) -> None:
    headers, body = botocore_signed(organization, "DescribeWorkspaceImages", {}, service="s3")
    answer = await post(organization, headers, body)
    assert (answer.status, answer.error_code) == (400, "InvalidSignatureException")
    assert (
        answer.json["message"] == "Credential should be scoped to correct service: 'workspaces'. "
    )


async def test_the_scope_not_the_envelope_picks_the_service(
    organization: Emulator, post: Post
) -> None:
    headers, body = botocore_signed(organization, "DescribeWorkspaceImages", {}, service="sts")
    answer = await post(organization, headers, body)
    assert answer.headers["Content-Type"] == "text/xml"
    assert b"<ErrorResponse" in answer.body


@pytest.mark.parametrize(
    ("headers", "body", "status", "code"),
    [
        (
            {"Content-Type": FORM},
            b"Action=GetCallerIdentity&Version=2011-06-15",
            403,
            b"<Code>MissingAuthenticationToken</Code>",
        ),
        (
            {"Content-Type": FORM},
            b"Action=DescribeRegions&Version=2016-11-15",
            401,
            b"<Code>MissingAuthenticationToken</Code>",
        ),
        (
            {
                "Content-Type": "application/x-amz-json-1.1",
                "X-Amz-Target": "AWSOrganizationsV20161128.ListAccounts",
            },
            b"{}",
            400,
            b'"__type": "MissingAuthenticationTokenException"',
        ),
    ],
)
async def test_an_unsigned_request_is_refused_by_the_service_its_envelope_names(
    organization: Emulator,
    post: Post,
    headers: dict[str, str],
    body: bytes,
    status: int,
    code: bytes,
) -> None:
    answer = await post(organization, headers, body)
    assert answer.status == status
    assert code in answer.body


async def test_sts_answers_in_its_xml_with_the_request_id_in_body_and_header(
    organization: Emulator, post: Post
) -> None:
    params = {"Action": "GetCallerIdentity", "Version": "2011-06-15"}
    answer = await post(organization, *botocore_signed_query(organization, params, service="sts"))
    request_id = answer.headers["x-amzn-RequestId"]
    body = re.sub(
        r"<UserId>AIDA[A-Z2-7]{17}</UserId>", "<UserId>AIDA</UserId>", answer.body.decode()
    )
    assert body == (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
        "<GetCallerIdentityResult>"
        f"<Arn>arn:aws:iam::{organization.account_id}:user/emulator</Arn>"
        "<UserId>AIDA</UserId>"
        f"<Account>{organization.account_id}</Account>"
        "</GetCallerIdentityResult>"
        f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata>"
        "</GetCallerIdentityResponse>"
    )


async def test_ec2_answers_in_its_own_xml_dialect(organization: Emulator, post: Post) -> None:
    params = {"Action": "DescribeRegions", "Version": "2016-11-15", "RegionName.1": "us-east-1"}
    answer = await post(organization, *botocore_signed_query(organization, params, service="ec2"))
    assert answer.body.decode() == (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<DescribeRegionsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">'
        f"<requestId>{answer.headers['x-amzn-RequestId']}</requestId>"
        "<regionInfo><item><regionName>us-east-1</regionName>"
        "<regionEndpoint>ec2.us-east-1.amazonaws.com</regionEndpoint>"
        "<optInStatus>opt-in-not-required</optInStatus></item></regionInfo>"
        "</DescribeRegionsResponse>"
    )


async def test_ec2_errors_come_in_a_response_errors_document(
    organization: Emulator, post: Post
) -> None:
    params = {"Action": "DescribeRegions", "Version": "2016-11-15", "DryRun": "true"}
    answer = await post(organization, *botocore_signed_query(organization, params, service="ec2"))
    assert answer.status == 412
    assert answer.body.decode() == (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        "<Response><Errors><Error><Code>DryRunOperation</Code>"
        "<Message>Request would have succeeded, but DryRun flag is set.</Message></Error></Errors>"
        f"<RequestID>{answer.headers['x-amzn-RequestId']}</RequestID></Response>"
    )


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"Action": "GetCallerIdentity", "Version": "2010-01-01"}, "InvalidAction"),
        ({"Version": "2011-06-15"}, "MissingAction"),
        ({"Action": "GetSessionToken", "Version": "2011-06-15"}, "InvalidAction"),
    ],
)
async def test_sts_refuses_an_action_or_version_it_does_not_have(
    organization: Emulator, post: Post, params: dict[str, str], code: str
) -> None:
    answer = await post(organization, *botocore_signed_query(organization, params, service="sts"))
    assert f"<Code>{code}</Code>" in answer.body.decode()


def test_text_from_the_request_is_echoed_as_text_not_markup(
    organization: Emulator, aws: AwsClients
) -> None:
    role_arn = "arn:aws:iam::123456789012:role/<Admin>&amp;"
    with pytest.raises(ClientError) as caught:
        aws(organization, "sts").assume_role(RoleArn=role_arn, RoleSessionName="audit")
    assert caught.value.response["Error"]["Message"].endswith(f"on resource: {role_arn}")


async def test_the_truth_is_served_without_authentication(
    organization: Emulator, http_session: Any
) -> None:
    async with http_session.get(organization.endpoint_url + "/_emulator/truth") as response:
        served = await response.json()
    assert served == organization.scoped_truth.to_json()
    assert served["organization"]["management_account_id"] == organization.account_id


async def test_a_standalone_truth_has_no_organization(
    threaded_emulator: Emulator, http_session: Any
) -> None:
    async with http_session.get(threaded_emulator.endpoint_url + "/_emulator/truth") as response:
        served = await response.json()
    assert served["organization"] is None
    assert served["images"] == {
        threaded_emulator.account_id: {
            "us-east-1": {image: list(shares) for image, shares in threaded_emulator.truth.items()}
        }
    }


def test_the_log_and_stats_carry_the_account_and_region_each_call_reached(
    organization: Emulator, aws: AwsClients
) -> None:
    member = list(organization.scoped_truth.images)[1]
    sts = aws(organization, "sts")
    keys = assumed_keys(
        sts.assume_role(RoleArn=organization.role_arn(member), RoleSessionName="audit")[
            "Credentials"
        ]
    )
    aws(organization, "workspaces", region="eu-west-1", **keys).describe_workspace_images()
    assume, listing = organization.requests
    assert (assume.service, assume.account_id, assume.region, assume.role_arn) == (
        "sts",
        organization.account_id,
        "us-east-1",
        organization.role_arn(member),
    )
    assert (listing.service, listing.account_id, listing.region) == (
        "workspaces",
        member,
        "eu-west-1",
    )
    assert listing.access_key == keys["aws_access_key_id"]
    assert organization.scope_stats[member, "eu-west-1"] == {"requests": 1, "served": 1}


@pytest.mark.parametrize(
    ("service", "status", "code"),
    [
        ("workspaces", 400, "InvalidSignatureException"),
        ("sts", 403, "SignatureDoesNotMatch"),
        ("organizations", 400, "InvalidSignatureException"),
        ("ec2", 400, "RequestExpired"),
        ("resourcegroupstaggingapi", 400, "InvalidSignatureException"),
        ("securityhub", 403, "InvalidSignatureException"),
    ],
)
def test_a_signature_ten_minutes_old_is_refused_by_every_service(
    aws: AwsClients, service: str, status: int, code: str
) -> None:
    clock = FakeClock(start=time.time())
    clock.now += 600
    with Emulator(accounts=1, seed=1, clock=clock) as served:
        assert refusal(aws(served, service), service)[:2] == (status, code)


@pytest.mark.parametrize(
    ("service", "code"),
    [
        ("ec2", "AuthFailure"),
        ("resourcegroupstaggingapi", "InvalidSignatureException"),
        ("securityhub", "InvalidSignatureException"),
    ],
)
def test_regional_services_refuse_a_real_region_the_emulator_does_not_serve(
    organization: Emulator, aws: AwsClients, service: str, code: str
) -> None:
    assert refusal(aws(organization, service, region="us-west-2"), service)[1] == code


async def test_an_incomplete_authorization_is_not_echoed_back(
    organization: Emulator, post: Post
) -> None:
    headers, body = botocore_signed(organization, "DescribeWorkspaceImages", {})
    headers["Authorization"] = headers["Authorization"].partition(", Signature=")[0]
    answer = await post(organization, headers, body)
    assert answer.error_code == "IncompleteSignatureException"
    assert answer.json["message"] == "Authorization header requires 'Signature' parameter."
