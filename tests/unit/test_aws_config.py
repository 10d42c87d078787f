"""Region, endpoints, credentials and retry settings come from the same places, in the same
order, as for boto3: ``read_config`` reads them once, through botocore's own session."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import (
    EndpointResolutionError,
    NoCredentialsError,
    NoRegionError,
    ProfileNotFound,
)

from imgperms_async._aws_config import AwsConfig, RetrySettings, ServiceEndpoint, read_config
from imgperms_async._credentials import Credentials, frozen
from imgperms_async._exceptions import InvalidSettingError
from imgperms_async._identity import Identity

KEYS = {"aws_access_key_id": "AKIDTEST", "aws_secret_access_key": "secret"}
LOCAL = "http://127.0.0.1:2"


def read(**identity: Any) -> AwsConfig:
    return read_config(Identity(**identity))


def write_config(tmp_path: Path, text: str) -> None:
    (tmp_path / "aws-config").write_text(text)


def forbid_sessions(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_session(*args: object, **kwargs: object) -> None:
        raise AssertionError("a botocore session was created")

    monkeypatch.setattr("botocore.session.Session", no_session)


# --- the region -------------------------------------------------------------------------------


def test_the_region_argument_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_REGION", "ap-south-1")
    assert read(region_name="eu-west-1", **KEYS).home_region() == "eu-west-1"


def test_aws_region_beats_aws_default_region(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_REGION", "ap-south-1")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-central-1")
    assert read(**KEYS).home_region() == "ap-south-1"


def test_aws_default_region_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-central-1")
    assert read(**KEYS).home_region() == "eu-central-1"


def test_the_region_comes_from_the_profile(tmp_path: Path) -> None:
    write_config(tmp_path, "[profile audit]\nregion = sa-east-1\n")
    assert read(profile_name="audit", **KEYS).home_region() == "sa-east-1"


def test_no_region_anywhere_is_botocores_no_region_error() -> None:
    with pytest.raises(NoRegionError):
        read(**KEYS).home_region()


def test_a_misspelt_region_in_the_environment_is_refused_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_REGION", "eu-wset-1")
    with pytest.raises(InvalidSettingError, match=r"'eu-wset-1' \(AWS_REGION\)"):
        read(**KEYS).home_region()


def test_a_misspelt_region_in_the_profile_is_refused(tmp_path: Path) -> None:
    write_config(tmp_path, "[profile audit]\nregion = eu-wset-1\n")
    with pytest.raises(InvalidSettingError, match="eu-wset-1"):
        read(profile_name="audit", **KEYS).home_region()


def test_an_empty_region_argument_is_refused_rather_than_replaced(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    with pytest.raises(InvalidSettingError, match="region ''"):
        read(region_name="", **KEYS)


def test_an_unknown_profile_is_botocores_error() -> None:
    with pytest.raises(ProfileNotFound):
        read(profile_name="missing", region_name="us-east-1", **KEYS)


def test_a_profile_named_in_the_environment_is_looked_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_PROFILE", "missing")
    with pytest.raises(ProfileNotFound):
        read(region_name="us-east-1", endpoint_url=LOCAL, **KEYS)


# --- endpoints --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("region", "env", "url"),
    [
        ("us-east-1", {}, "https://workspaces.us-east-1.amazonaws.com"),
        (
            "us-east-1",
            {"AWS_USE_FIPS_ENDPOINT": "true"},
            "https://workspaces-fips.us-east-1.amazonaws.com",
        ),
        (
            "us-east-1",
            {"AWS_USE_DUALSTACK_ENDPOINT": "true"},
            "https://workspaces.us-east-1.api.aws",
        ),
        ("cn-north-1", {}, "https://workspaces.cn-north-1.amazonaws.com.cn"),
        ("us-gov-west-1", {}, "https://workspaces.us-gov-west-1.amazonaws.com"),
    ],
)
def test_the_endpoint_comes_from_botocores_ruleset(
    monkeypatch: pytest.MonkeyPatch, region: str, env: dict[str, str], url: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    endpoint = read(region_name=region, **KEYS).endpoint("workspaces", region)
    assert endpoint == ServiceEndpoint(url, region, "workspaces")


def test_a_global_service_is_signed_for_its_home_region_whatever_the_callers() -> None:
    endpoint = read(region_name="eu-west-1", **KEYS).endpoint("organizations", "eu-west-1")
    assert endpoint.url == "https://organizations.us-east-1.amazonaws.com"
    assert endpoint.signing_region == "us-east-1"


def test_the_endpoint_argument_serves_every_service_signed_for_the_region_asked() -> None:
    config = read(region_name="us-east-1", endpoint_url=LOCAL, **KEYS)
    assert config.endpoint("sts", "eu-west-1") == ServiceEndpoint(LOCAL, "eu-west-1", "sts")
    assert config.endpoint("workspaces", "us-east-1") == ServiceEndpoint(
        LOCAL, "us-east-1", "workspaces"
    )


def test_the_endpoint_argument_beats_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_WORKSPACES", "http://127.0.0.1:1")
    config = read(region_name="us-east-1", endpoint_url=LOCAL, **KEYS)
    assert config.endpoint("workspaces", "us-east-1").url == LOCAL


def test_the_service_endpoint_variable_beats_the_global_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_WORKSPACES", "http://127.0.0.1:1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", LOCAL)
    config = read(region_name="us-east-1", **KEYS)
    assert config.endpoint("workspaces", "us-east-1").url == "http://127.0.0.1:1"
    assert config.endpoint("sts", "us-east-1").url == LOCAL


def test_the_global_endpoint_variable_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", LOCAL)
    assert read(region_name="us-east-1", **KEYS).endpoint("workspaces", "us-east-1").url == LOCAL


def test_the_config_files_services_section_gives_the_endpoint(tmp_path: Path) -> None:
    write_config(
        tmp_path,
        "[profile audit]\nservices = local\n\n"
        "[services local]\nworkspaces =\n  endpoint_url = http://127.0.0.1:3\n",
    )
    config = read(profile_name="audit", region_name="us-east-1", **KEYS)
    assert config.endpoint("workspaces", "us-east-1").url == "http://127.0.0.1:3"


def test_ignoring_configured_endpoints_falls_back_to_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", LOCAL)
    monkeypatch.setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")
    endpoint = read(region_name="us-east-1", **KEYS).endpoint("workspaces", "us-east-1")
    assert endpoint.url == "https://workspaces.us-east-1.amazonaws.com"


@pytest.mark.parametrize("value", ["not a url", "ftp://x", "http://a/?x=1", " http://a"])
def test_a_bad_endpoint_variable_is_refused_naming_it(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_WORKSPACES", value)
    config = read(region_name="us-east-1", **KEYS)
    with pytest.raises(InvalidSettingError, match="AWS_ENDPOINT_URL_WORKSPACES"):
        config.endpoint("workspaces", "us-east-1")


def test_an_empty_endpoint_variable_is_unset_as_botocore_reads_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_WORKSPACES", "")
    endpoint = read(region_name="us-east-1", **KEYS).endpoint("workspaces", "us-east-1")
    assert endpoint.url == "https://workspaces.us-east-1.amazonaws.com"


def test_fips_with_a_custom_endpoint_is_a_configuration_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_USE_FIPS_ENDPOINT", "true")
    config = read(region_name="us-east-1", endpoint_url=LOCAL, **KEYS)
    with pytest.raises(EndpointResolutionError, match="FIPS and custom endpoint"):
        config.endpoint("workspaces", "us-east-1")


def test_dualstack_with_a_custom_endpoint_is_a_configuration_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_USE_DUALSTACK_ENDPOINT", "true")
    config = read(region_name="us-east-1", endpoint_url=LOCAL, **KEYS)
    with pytest.raises(EndpointResolutionError, match="Dualstack and custom endpoint"):
        config.endpoint("workspaces", "us-east-1")


def test_an_endpoint_is_resolved_once_per_service_and_region(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = read(region_name="us-east-1", **KEYS)
    first = config.endpoint("workspaces", "us-east-1")
    monkeypatch.setattr(
        "botocore.endpoint_provider.EndpointProvider",
        lambda *args, **kwargs: pytest.fail("resolved again"),
    )
    assert config.endpoint("workspaces", "us-east-1") is first


# --- credentials ------------------------------------------------------------------------------


def test_explicit_keys_are_used_as_given() -> None:
    config = read(region_name="us-east-1", aws_session_token="tok", **KEYS)
    assert config.credentials() == Credentials("AKIDTEST", "secret", "tok")


def test_environment_credentials_come_through_botocores_chain(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDENV")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "envsecret")
    keys = frozen(read(region_name="us-east-1").credentials())
    assert (keys.access_key, keys.secret_key) == ("AKIDENV", "envsecret")


def test_profile_credentials_come_from_the_shared_files(tmp_path: Path) -> None:
    (tmp_path / "aws-credentials").write_text(
        "[audit]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = profilesecret\n"
    )
    config = read(region_name="us-east-1", profile_name="audit")
    assert frozen(config.credentials()).access_key == "AKIDPROFILE"


def test_no_credentials_anywhere_is_botocores_no_credentials_error() -> None:
    with pytest.raises(NoCredentialsError):
        read(region_name="us-east-1").credentials()


def test_a_credential_process_that_prints_no_json_is_refused_naming_it(tmp_path: Path) -> None:
    write_config(tmp_path, "[profile audit]\ncredential_process = echo not-json\n")
    config = read(region_name="us-east-1", profile_name="audit")
    with pytest.raises(InvalidSettingError, match="credential_process 'echo not-json'"):
        config.credentials()


# --- retry settings ---------------------------------------------------------------------------


def test_retry_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "7")
    monkeypatch.setenv("AWS_RETRY_MODE", "standard")
    monkeypatch.setenv("AWS_CA_BUNDLE", "/etc/ssl/custom.pem")
    assert read(region_name="us-east-1", **KEYS).retry == RetrySettings(
        7, "standard", "/etc/ssl/custom.pem"
    )


def test_an_unset_retry_mode_is_left_to_the_client() -> None:
    assert read(region_name="us-east-1", **KEYS).retry.retry_mode is None


def test_legacy_retry_mode_means_standard(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_RETRY_MODE", "legacy")
    assert read(region_name="us-east-1", **KEYS).retry.retry_mode == "standard"


def test_max_attempts_comes_from_the_profile(tmp_path: Path) -> None:
    write_config(tmp_path, "[profile audit]\nmax_attempts = 6\n")
    assert read(region_name="us-east-1", profile_name="audit", **KEYS).retry.max_attempts == 6


@pytest.mark.parametrize("value", ["banana", "0", "-1", "1.5", " "])
def test_a_bad_aws_max_attempts_is_refused_naming_it(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", value)
    with pytest.raises(InvalidSettingError, match="AWS_MAX_ATTEMPTS"):
        read(region_name="us-east-1", endpoint_url=LOCAL, **KEYS)


def test_a_bad_max_attempts_in_the_profile_is_refused_naming_the_profile(tmp_path: Path) -> None:
    write_config(tmp_path, "[profile audit]\nmax_attempts = banana\n")
    with pytest.raises(InvalidSettingError, match="profile 'audit'"):
        read(region_name="us-east-1", profile_name="audit", **KEYS)


def test_an_unknown_retry_mode_is_refused_naming_the_accepted_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_RETRY_MODE", "bogus")
    with pytest.raises(InvalidSettingError, match="standard, adaptive, legacy"):
        read(region_name="us-east-1", **KEYS)


# --- when no botocore session is needed -------------------------------------------------------


def test_everything_explicit_and_nothing_configured_needs_no_botocore_session(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    forbid_sessions(monkeypatch)
    config = read(region_name="us-east-1", endpoint_url=LOCAL, **KEYS)
    assert config.home_region() == "us-east-1"
    assert config.endpoint("workspaces", "us-east-1").url == LOCAL
    assert config.credentials() == Credentials("AKIDTEST", "secret")
    assert config.retry == RetrySettings()


def test_an_empty_config_file_needs_no_botocore_session(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    write_config(tmp_path, "")
    forbid_sessions(monkeypatch)
    assert read(region_name="us-east-1", endpoint_url=LOCAL, **KEYS).retry == RetrySettings()


def test_a_config_file_is_read_even_when_everything_else_is_explicit(tmp_path: Path) -> None:
    write_config(tmp_path, "[default]\nmax_attempts = 9\n")
    assert read(region_name="us-east-1", endpoint_url=LOCAL, **KEYS).retry.max_attempts == 9


def test_fips_from_the_environment_makes_a_session_and_refuses_a_custom_endpoint(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_USE_FIPS_ENDPOINT", "true")
    config = read(region_name="us-east-1", endpoint_url=LOCAL, **KEYS)
    with pytest.raises(EndpointResolutionError):
        config.endpoint("workspaces", "us-east-1")


@pytest.mark.parametrize("with_session", [True, False])
def test_environment_settings_are_read_with_or_without_a_session(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, with_session: bool
) -> None:
    if with_session:
        write_config(tmp_path, "[default]\n")
    monkeypatch.setenv("AWS_RETRY_MODE", "standard")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "8")
    monkeypatch.setenv("AWS_CA_BUNDLE", "/etc/ssl/custom.pem")
    config = read(region_name="us-east-1", endpoint_url=LOCAL, **KEYS)
    assert config.retry == RetrySettings(8, "standard", "/etc/ssl/custom.pem")


def test_the_environment_given_is_read_instead_of_the_process_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "3")
    config = read_config(
        Identity(region_name="us-east-1", endpoint_url=LOCAL, **KEYS),
        environ={"AWS_MAX_ATTEMPTS": "4"},
    )
    assert config.retry.max_attempts == 4
