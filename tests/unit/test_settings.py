"""Region, endpoint and credentials come from the same places, in the same order, as for boto3."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import (
    EndpointResolutionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
)

from imgperms_async._botocore_settings import resolve_settings
from imgperms_async._credentials import Credentials
from imgperms_async._exceptions import InvalidSettingError

KEYS = {"aws_access_key_id": "AKIDTEST", "aws_secret_access_key": "secret"}


def resolve(**overrides: Any) -> Any:
    arguments: dict[str, Any] = {
        "region_name": None,
        "endpoint_url": None,
        "aws_access_key_id": None,
        "aws_secret_access_key": None,
        "aws_session_token": None,
        "profile_name": None,
    }
    arguments.update(overrides)
    return resolve_settings(**arguments)


def write_config(tmp_path: Path, text: str) -> None:
    (tmp_path / "aws-config").write_text(text)


def test_region_argument_wins() -> None:
    assert resolve(region_name="eu-west-1", **KEYS).region_name == "eu-west-1"


def test_aws_region_beats_aws_default_region(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_REGION", "ap-south-1")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-central-1")
    assert resolve(**KEYS).region_name == "ap-south-1"


def test_aws_default_region_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-central-1")
    assert resolve(**KEYS).region_name == "eu-central-1"


def test_region_comes_from_the_profile(tmp_path: Path) -> None:
    write_config(tmp_path, "[profile audit]\nregion = sa-east-1\n")
    assert resolve(profile_name="audit", **KEYS).region_name == "sa-east-1"


def test_no_region_is_a_clear_error() -> None:
    with pytest.raises(NoRegionError):
        resolve(**KEYS)


def test_unknown_profile_is_a_clear_error() -> None:
    with pytest.raises(ProfileNotFound):
        resolve(profile_name="missing", region_name="us-east-1", **KEYS)


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
def test_endpoint_comes_from_botocores_ruleset(
    monkeypatch: pytest.MonkeyPatch, region: str, env: dict[str, str], url: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert resolve(region_name=region, **KEYS).endpoint_url == url


def test_endpoint_argument_beats_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_WORKSPACES", "http://127.0.0.1:1")
    settings = resolve(region_name="us-east-1", endpoint_url="http://127.0.0.1:2", **KEYS)
    assert settings.endpoint_url == "http://127.0.0.1:2"


def test_service_endpoint_variable_beats_global(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_WORKSPACES", "http://127.0.0.1:1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:2")
    assert resolve(region_name="us-east-1", **KEYS).endpoint_url == "http://127.0.0.1:1"


def test_global_endpoint_variable_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:2")
    assert resolve(region_name="us-east-1", **KEYS).endpoint_url == "http://127.0.0.1:2"


def test_config_services_section_gives_the_endpoint(tmp_path: Path) -> None:
    write_config(
        tmp_path,
        "[profile audit]\nservices = local\n\n"
        "[services local]\nworkspaces =\n  endpoint_url = http://127.0.0.1:3\n",
    )
    settings = resolve(profile_name="audit", region_name="us-east-1", **KEYS)
    assert settings.endpoint_url == "http://127.0.0.1:3"


def test_fips_with_a_custom_endpoint_is_a_configuration_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_USE_FIPS_ENDPOINT", "true")
    with pytest.raises(EndpointResolutionError, match="FIPS and custom endpoint"):
        resolve(region_name="us-east-1", endpoint_url="http://127.0.0.1:2", **KEYS)


def test_dualstack_with_a_custom_endpoint_is_a_configuration_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_USE_DUALSTACK_ENDPOINT", "true")
    with pytest.raises(EndpointResolutionError, match="Dualstack and custom endpoint"):
        resolve(region_name="us-east-1", endpoint_url="http://127.0.0.1:2", **KEYS)


def test_explicit_keys_are_used_as_given() -> None:
    settings = resolve(region_name="us-east-1", aws_session_token="tok", **KEYS)
    assert settings.credentials == Credentials("AKIDTEST", "secret", "tok")


def test_resolved_settings_show_no_secret_in_their_repr() -> None:
    settings = resolve(region_name="us-east-1", aws_session_token="the-token", **KEYS)
    assert "AKIDTEST" in repr(settings)
    assert "'secret'" not in repr(settings)
    assert "the-token" not in repr(settings)


def test_half_a_key_pair_is_a_clear_error() -> None:
    with pytest.raises(PartialCredentialsError, match="aws_secret_access_key"):
        resolve(region_name="us-east-1", aws_access_key_id="AKIDTEST")


def test_environment_credentials_come_through_botocores_chain(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDENV")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "envsecret")
    frozen = resolve(region_name="us-east-1").credentials.get_frozen_credentials()
    assert (frozen.access_key, frozen.secret_key) == ("AKIDENV", "envsecret")


def test_profile_credentials_come_from_the_shared_files(tmp_path: Path) -> None:
    (tmp_path / "aws-credentials").write_text(
        "[audit]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = profilesecret\n"
    )
    frozen = resolve(
        region_name="us-east-1", profile_name="audit"
    ).credentials.get_frozen_credentials()
    assert frozen.access_key == "AKIDPROFILE"


def test_no_credentials_anywhere_is_a_clear_error() -> None:
    with pytest.raises(NoCredentialsError):
        resolve(region_name="us-east-1")


def test_retry_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "7")
    monkeypatch.setenv("AWS_RETRY_MODE", "standard")
    settings = resolve(region_name="us-east-1", **KEYS)
    assert (settings.max_attempts, settings.retry_mode) == (7, "standard")


def test_unset_retry_mode_is_left_to_the_client() -> None:
    assert resolve(region_name="us-east-1", **KEYS).retry_mode is None


def test_ca_bundle_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_CA_BUNDLE", "/etc/ssl/custom.pem")
    assert resolve(region_name="us-east-1", **KEYS).ca_bundle == "/etc/ssl/custom.pem"


def test_everything_explicit_and_nothing_configured_needs_no_botocore_session(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_session(*args: object, **kwargs: object) -> None:
        raise AssertionError("a botocore session was created")

    monkeypatch.setattr("botocore.session.Session", no_session)
    settings = resolve(region_name="us-east-1", endpoint_url="http://127.0.0.1:2", **KEYS)
    assert (settings.region_name, settings.endpoint_url) == ("us-east-1", "http://127.0.0.1:2")
    assert (settings.max_attempts, settings.retry_mode, settings.ca_bundle) == (None, None, None)


def test_a_config_file_is_read_even_when_everything_else_is_explicit(tmp_path: Path) -> None:
    write_config(tmp_path, "[default]\nmax_attempts = 9\n")
    settings = resolve(region_name="us-east-1", endpoint_url="http://127.0.0.1:2", **KEYS)
    assert settings.max_attempts == 9


@pytest.mark.parametrize("create_session", [True, False])
def test_environment_settings_are_read_with_or_without_a_session(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, create_session: bool
) -> None:
    if create_session:
        write_config(tmp_path, "[default]\n")
    monkeypatch.setenv("AWS_RETRY_MODE", "standard")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "8")
    monkeypatch.setenv("AWS_CA_BUNDLE", "/etc/ssl/custom.pem")
    settings = resolve(region_name="us-east-1", endpoint_url="http://127.0.0.1:2", **KEYS)
    assert (settings.retry_mode, settings.max_attempts, settings.ca_bundle) == (
        "standard",
        8,
        "/etc/ssl/custom.pem",
    )


def test_a_profile_from_the_environment_is_looked_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_PROFILE", "missing")
    with pytest.raises(ProfileNotFound):
        resolve(region_name="us-east-1", endpoint_url="http://127.0.0.1:2", **KEYS)


def test_fips_from_the_environment_still_refuses_a_custom_endpoint(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_USE_FIPS_ENDPOINT", "true")
    with pytest.raises(EndpointResolutionError):
        resolve(region_name="us-east-1", endpoint_url="http://127.0.0.1:2", **KEYS)


def test_an_invalid_custom_endpoint_is_rejected() -> None:
    from botocore.exceptions import InvalidEndpointConfigurationError

    with pytest.raises(InvalidEndpointConfigurationError):
        resolve(region_name="us-east-1", endpoint_url="not a url", **KEYS)


def test_an_empty_config_file_needs_no_botocore_session(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    write_config(tmp_path, "")

    def no_session(*args: object, **kwargs: object) -> None:
        raise AssertionError("a botocore session was created")

    monkeypatch.setattr("botocore.session.Session", no_session)
    settings = resolve(region_name="us-east-1", endpoint_url="http://127.0.0.1:2", **KEYS)
    assert settings.endpoint_url == "http://127.0.0.1:2"


@pytest.mark.parametrize("value", ["banana", "0", "-1", "1.5", " "])
def test_a_bad_aws_max_attempts_is_refused_naming_it(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", value)
    with pytest.raises(InvalidSettingError, match="AWS_MAX_ATTEMPTS"):
        resolve(region_name="us-east-1", endpoint_url="http://127.0.0.1:2", **KEYS)


def test_a_bad_max_attempts_in_the_profile_is_refused_naming_the_profile(tmp_path: Path) -> None:
    write_config(tmp_path, "[profile audit]\nmax_attempts = banana\n")
    with pytest.raises(InvalidSettingError, match="profile 'audit'"):
        resolve(region_name="us-east-1", profile_name="audit", **KEYS)


def test_an_unknown_retry_mode_is_refused_naming_the_accepted_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_RETRY_MODE", "bogus")
    with pytest.raises(InvalidSettingError, match="standard, adaptive, legacy"):
        resolve(region_name="us-east-1", **KEYS)


def test_legacy_retry_mode_means_standard(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_RETRY_MODE", "legacy")
    assert resolve(region_name="us-east-1", **KEYS).retry_mode == "standard"


@pytest.mark.parametrize(
    "endpoint",
    ["", "notaurl", "ftp://x", "http://127.0.0.1:99999", "http://127.0.0.1:0", "http://[::1",
     " http://a", "http://a/?", "http://a/#", "http://a/?x=1", "http://user@a"],
)  # fmt: skip
def test_a_bad_endpoint_argument_is_refused(endpoint: str) -> None:
    with pytest.raises(InvalidSettingError, match="endpoint_url"):
        resolve(region_name="us-east-1", endpoint_url=endpoint, **KEYS)


def test_an_empty_region_argument_is_refused_rather_than_replaced(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    with pytest.raises(InvalidSettingError, match="region ''"):
        resolve(region_name="", **KEYS)
