"""The verifier agrees with AWS's published SigV4 test suite (aws-sig-v4-test-suite, 2015-08-30).

Expected values are copied from the suite's .creq/.sts/.authz files for the vectors that apply to
a POST with headers: post-vanilla, post-x-www-form-urlencoded and post-sts-header-before.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from multidict import CIMultiDict

from imgperms_async.emulator import EmulatorCredentials
from imgperms_async.emulator._errors import ServiceError
from imgperms_async.emulator._sigv4 import (
    SignedRequest,
    SigV4Verifier,
    canonical_request,
    string_to_sign,
)

SUITE_TIME = datetime(2015, 8, 30, 12, 36, tzinfo=UTC).timestamp()
SCOPE = "AKIDEXAMPLE/20150830/us-east-1/service/aws4_request"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
STS_TOKEN = (
    "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfI"
    "eoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ"
    "0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FD"
    "rypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA=="
)
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

POST_VANILLA_SIGNATURE = "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"
FORM_SIGNATURE = "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"
STS_SIGNATURE = "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead"


def suite_request(
    signed_headers: str, signature: str, *, extra: dict[str, str] | None = None, body: bytes = b""
) -> SignedRequest:
    headers = CIMultiDict(
        {"Host": "example.amazonaws.com", "X-Amz-Date": "20150830T123600Z", **(extra or {})}
    )
    headers["Authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={SCOPE}, SignedHeaders={signed_headers},"
        f" Signature={signature}"
    )
    return SignedRequest("POST", "/", "", headers, body)


def verifier(session_token: str | None = None) -> SigV4Verifier:
    credentials = EmulatorCredentials("AKIDEXAMPLE", SECRET, session_token=session_token)
    return SigV4Verifier([credentials], service="service", clock=lambda: SUITE_TIME)


def test_post_vanilla_canonical_request_matches_the_suite() -> None:
    request = suite_request("host;x-amz-date", POST_VANILLA_SIGNATURE)
    assert canonical_request(request, ["host", "x-amz-date"]) == (
        "POST\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
        f"host;x-amz-date\n{EMPTY_SHA256}"
    )


def test_post_vanilla_string_to_sign_matches_the_suite() -> None:
    request = suite_request("host;x-amz-date", POST_VANILLA_SIGNATURE)
    canonical = canonical_request(request, ["host", "x-amz-date"])
    assert string_to_sign("20150830T123600Z", SCOPE.partition("/")[2], canonical) == (
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
        "553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87"
    )


def test_post_vanilla_signature_is_accepted() -> None:
    request = suite_request("host;x-amz-date", POST_VANILLA_SIGNATURE)
    assert verifier().verify(request).access_key == "AKIDEXAMPLE"


def test_post_x_www_form_urlencoded_canonical_request_matches_the_suite() -> None:
    request = suite_request(
        "content-type;host;x-amz-date",
        FORM_SIGNATURE,
        extra={"Content-Type": "application/x-www-form-urlencoded"},
        body=b"Param1=value1",
    )
    assert canonical_request(request, ["content-type", "host", "x-amz-date"]) == (
        "POST\n/\n\ncontent-type:application/x-www-form-urlencoded\nhost:example.amazonaws.com\n"
        "x-amz-date:20150830T123600Z\n\ncontent-type;host;x-amz-date\n"
        "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e"
    )


def test_post_x_www_form_urlencoded_signature_is_accepted() -> None:
    request = suite_request(
        "content-type;host;x-amz-date",
        FORM_SIGNATURE,
        extra={"Content-Type": "application/x-www-form-urlencoded"},
        body=b"Param1=value1",
    )
    assert verifier().verify(request).access_key == "AKIDEXAMPLE"


def test_post_sts_header_before_signature_is_accepted_with_its_token() -> None:
    request = suite_request(
        "host;x-amz-date;x-amz-security-token",
        STS_SIGNATURE,
        extra={"X-Amz-Security-Token": STS_TOKEN},
    )
    assert verifier(STS_TOKEN).verify(request).access_key == "AKIDEXAMPLE"


def test_post_sts_token_sent_but_not_signed_is_refused_for_a_token_credential() -> None:
    request = suite_request(
        "host;x-amz-date", POST_VANILLA_SIGNATURE, extra={"X-Amz-Security-Token": STS_TOKEN}
    )
    with pytest.raises(ServiceError) as caught:
        verifier(STS_TOKEN).verify(request)
    assert caught.value.code == "UnrecognizedClientException"


def test_one_flipped_signature_digit_is_refused() -> None:
    request = suite_request("host;x-amz-date", "4" + POST_VANILLA_SIGNATURE[1:])
    with pytest.raises(ServiceError) as caught:
        verifier().verify(request)
    assert caught.value.code == "InvalidSignatureException"


def test_suite_vector_is_expired_six_minutes_later() -> None:
    late = SigV4Verifier(
        [EmulatorCredentials("AKIDEXAMPLE", SECRET)],
        service="service",
        clock=lambda: SUITE_TIME + 360,
    )
    with pytest.raises(ServiceError) as caught:
        late.verify(suite_request("host;x-amz-date", POST_VANILLA_SIGNATURE))
    assert caught.value.message == (
        "Signature expired: 20150830T123600Z is now earlier than 20150830T123700Z"
        " (20150830T124200Z - 5 min.)"
    )


def test_suite_vector_is_refused_for_another_service() -> None:
    workspaces = SigV4Verifier(
        [EmulatorCredentials("AKIDEXAMPLE", SECRET)], clock=lambda: SUITE_TIME
    )
    with pytest.raises(ServiceError) as caught:
        workspaces.verify(suite_request("host;x-amz-date", POST_VANILLA_SIGNATURE))
    assert caught.value.code == "InvalidSignatureException"


def test_host_must_be_signed() -> None:
    with pytest.raises(ServiceError) as caught:
        verifier().verify(suite_request("x-amz-date", POST_VANILLA_SIGNATURE))
    assert caught.value.message.startswith("'Host' or ':authority' must be a 'SignedHeader'")


def test_credential_scope_date_must_match_x_amz_date() -> None:
    request = suite_request("host;x-amz-date", POST_VANILLA_SIGNATURE)
    headers = CIMultiDict(request.headers)
    headers["X-Amz-Date"] = "20150831T000100Z"
    with pytest.raises(ServiceError) as caught:
        verifier().verify(SignedRequest("POST", "/", "", headers, b""))
    assert caught.value.message.startswith("Date in Credential scope does not match")


def test_a_scope_for_a_region_the_endpoint_does_not_serve_is_refused() -> None:
    ireland = SigV4Verifier(
        [EmulatorCredentials("AKIDEXAMPLE", SECRET)],
        service="service",
        regions=["eu-west-1"],
        clock=lambda: SUITE_TIME,
    )
    with pytest.raises(ServiceError) as caught:
        ireland.verify(suite_request("host;x-amz-date", POST_VANILLA_SIGNATURE))
    assert (caught.value.code, caught.value.message) == (
        "InvalidSignatureException",
        "Credential should be scoped to a valid region, not 'us-east-1'. ",
    )


@pytest.mark.parametrize(
    "date", ["20150830T1236Z", "20150830T12360Z", "20150830T123600", "20150830T1236001Z"]
)
def test_an_x_amz_date_off_the_basic_format_is_refused(date: str) -> None:
    request = suite_request("host;x-amz-date", POST_VANILLA_SIGNATURE)
    request.headers["X-Amz-Date"] = date
    with pytest.raises(ServiceError) as caught:
        verifier().verify(request)
    assert caught.value.code == "IncompleteSignatureException"
    assert f"Got '{date}'" in caught.value.message
