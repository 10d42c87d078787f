"""``Identity``: who calls and where, checked where it enters, its secrets never shown."""

from __future__ import annotations

import pytest
from botocore.exceptions import InvalidEndpointConfigurationError, PartialCredentialsError

from imgperms_async import Identity, InvalidSettingError, check_endpoint_url, known_secrets

KEYS = {"aws_access_key_id": "AKIDIDENTITY", "aws_secret_access_key": "identity-secret"}


def test_the_secret_key_and_token_are_not_in_the_repr() -> None:
    text = repr(Identity(region_name="us-east-1", aws_session_token="identity-token", **KEYS))
    assert "AKIDIDENTITY" in text
    assert "identity-secret" not in text
    assert "identity-token" not in text


def test_the_secret_key_and_token_are_remembered_as_secrets() -> None:
    Identity(aws_session_token="remembered-token", **KEYS)
    assert {"identity-secret", "remembered-token"} <= known_secrets()


def test_an_identity_is_frozen() -> None:
    identity = Identity(region_name="us-east-1")
    with pytest.raises(AttributeError):
        identity.region_name = "eu-west-1"  # type: ignore[misc]


def test_nothing_given_is_a_valid_identity_left_to_botocore() -> None:
    identity = Identity()
    assert (identity.region_name, identity.endpoint_url, identity.has_keys) == (None, None, False)


def test_keys_given_are_keys() -> None:
    assert Identity(**KEYS).has_keys


@pytest.mark.parametrize(
    ("given", "missing"),
    [
        ({"aws_access_key_id": "AKIDIDENTITY"}, "aws_secret_access_key"),
        ({"aws_secret_access_key": "identity-secret"}, "aws_access_key_id"),
    ],
)
def test_half_a_key_pair_is_botocores_partial_credentials_error(
    given: dict[str, str], missing: str
) -> None:
    with pytest.raises(PartialCredentialsError, match=missing):
        Identity(**given)


@pytest.mark.parametrize("name", ["profile_name", "aws_access_key_id", "aws_secret_access_key"])
def test_an_empty_string_is_refused_rather_than_read_as_unset(name: str) -> None:
    with pytest.raises(InvalidSettingError, match=name):
        Identity(**{name: ""})


@pytest.mark.parametrize("region", ["", "US-EAST-1", "us east 1", "-us-east-1", "eu-wset-1"])
def test_a_region_that_is_not_one_is_refused_naming_the_argument(region: str) -> None:
    with pytest.raises(InvalidSettingError, match="region_name"):
        Identity(region_name=region)


@pytest.mark.parametrize(
    "endpoint",
    ["", "notaurl", "ftp://x", "http://127.0.0.1:99999", "http://127.0.0.1:0", "http://[::1",
     " http://a", "http://a/?", "http://a/#", "http://a/?x=1", "http://user@a", "http://u:p@a"],
)  # fmt: skip
def test_a_bad_endpoint_is_refused_naming_the_argument(endpoint: str) -> None:
    with pytest.raises(InvalidSettingError, match="endpoint_url"):
        Identity(endpoint_url=endpoint)


def test_a_bad_endpoint_is_also_botocores_endpoint_configuration_error() -> None:
    with pytest.raises(InvalidEndpointConfigurationError):
        Identity(endpoint_url="not a url")


@pytest.mark.parametrize(
    "endpoint",
    ["http://127.0.0.1:8080", "https://workspaces.us-east-1.amazonaws.com", "http://[::1]:5000",
     "http://localhost/", "https://vpce-1.workspaces.us-east-1.vpce.amazonaws.com/prefix"],
)  # fmt: skip
def test_a_good_endpoint_is_kept_as_given(endpoint: str) -> None:
    assert check_endpoint_url(endpoint, source="test") == endpoint


def test_an_endpoint_that_is_not_text_is_refused_naming_its_source() -> None:
    with pytest.raises(InvalidSettingError, match=r"\(--endpoint-url\).*not a string"):
        check_endpoint_url(8080, source="--endpoint-url")


def test_of_builds_an_identity_from_boto3_keywords() -> None:
    assert Identity.of(None, region_name="us-east-1", endpoint_url=None) == Identity(
        region_name="us-east-1"
    )


def test_of_returns_the_identity_given() -> None:
    identity = Identity(region_name="us-east-1")
    assert Identity.of(identity, region_name=None) is identity


def test_of_refuses_an_identity_and_keywords_together_naming_the_keywords() -> None:
    with pytest.raises(InvalidSettingError, match="identity= or profile_name, region_name"):
        Identity.of(Identity(), region_name="us-east-1", profile_name="audit")


def test_of_refuses_what_is_not_an_identity() -> None:
    with pytest.raises(InvalidSettingError, match=r"imgperms_async\.Identity"):
        Identity.of({"region_name": "us-east-1"})  # type: ignore[arg-type]
