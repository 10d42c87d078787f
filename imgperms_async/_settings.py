"""Where the client's region, endpoint, credentials and retry settings come from: botocore's sources.

This reads the same environment variables, shared config and credential files, SSO caches and
metadata services that boto3 reads, through botocore's own session, endpoint ruleset and credential
chain. All of it can block (file reads, IMDS, STS), so ``resolve_settings`` runs in a worker thread.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from botocore.exceptions import NoCredentialsError, NoRegionError, PartialCredentialsError

from imgperms_async._credentials import BotocoreCredentials, Credentials

SERVICE_CLIENT_NAME: Final = "workspaces"
RetryMode = Literal["standard", "adaptive"]


@dataclass(frozen=True, slots=True)
class Settings:
    region_name: str
    endpoint_url: str
    credentials: Credentials | BotocoreCredentials
    ca_bundle: str | None
    max_attempts: int | None
    retry_mode: RetryMode | None


def resolve_settings(
    *,
    region_name: str | None,
    endpoint_url: str | None,
    aws_access_key_id: str | None,
    aws_secret_access_key: str | None,
    aws_session_token: str | None,
    profile_name: str | None,
    environ: Mapping[str, str] = os.environ,
) -> Settings:
    """Resolve everything a client needs before its first request; raises botocore's errors."""
    if (
        region_name
        and endpoint_url
        and aws_access_key_id
        and aws_secret_access_key
        and not profile_name
        and (environment := _environment_only(environ)) is not None
    ):
        # Everything is given and botocore would read the rest from the environment alone:
        # skip importing its session, a start-up cost the first request would pay.
        _check_endpoint_url(endpoint_url)
        return Settings(
            region_name=region_name,
            endpoint_url=endpoint_url,
            credentials=Credentials(aws_access_key_id, aws_secret_access_key, aws_session_token),
            ca_bundle=environment.get("ca_bundle"),
            max_attempts=environment.get("max_attempts"),
            retry_mode=_chosen_retry_mode(environment.get("retry_mode")),
        )
    from botocore.session import Session

    session = Session(profile=profile_name)
    region = region_name or environ.get("AWS_REGION") or session.get_config_variable("region")
    if not region:
        raise NoRegionError()
    return Settings(
        region_name=region,
        endpoint_url=_endpoint_url(session, region, endpoint_url, environ),
        credentials=_credentials(
            session, aws_access_key_id, aws_secret_access_key, aws_session_token
        ),
        ca_bundle=session.get_config_variable("ca_bundle"),
        max_attempts=session.get_config_variable("max_attempts"),
        retry_mode=_retry_mode(session, environ),
    )


_CONSULTED: Final = (
    "ca_bundle",
    "max_attempts",
    "retry_mode",
    "use_fips_endpoint",
    "use_dualstack_endpoint",
)
"""The settings a client reads besides those passed in."""


def _environment_only(environ: Mapping[str, str]) -> dict[str, Any] | None:
    """The consulted settings as botocore would resolve them when no profile is chosen and the
    config file is absent or empty: from their environment variables alone, converted by botocore's own table.
    ``None`` when botocore would have more to read; FIPS or dual-stack also need the ruleset."""
    from botocore.configprovider import BOTOCORE_DEFAUT_SESSION_VARIABLES as variables

    if any(environ.get(name) for name in variables["profile"][1]):
        return None
    config_file = os.path.expanduser(environ.get("AWS_CONFIG_FILE") or variables["config_file"][2])
    if os.path.exists(config_file) and os.path.getsize(config_file) > 0:
        return None
    found: dict[str, Any] = {}
    for name in _CONSULTED:
        _, env_name, _, convert = variables[name]
        if raw := environ.get(env_name):
            found[name] = convert(raw) if convert else raw
    if found.get("use_fips_endpoint") or found.get("use_dualstack_endpoint"):
        return None
    return found


def _endpoint_url(
    session: Any, region: str, endpoint_url: str | None, environ: Mapping[str, str]
) -> str:
    """The endpoint, through botocore's ruleset even when configured: it validates the URL and
    refuses FIPS or dual-stack with a custom endpoint, exactly as boto3 does."""
    from botocore.configprovider import ConfiguredEndpointProvider
    from botocore.endpoint_provider import EndpointProvider
    from botocore.loaders import Loader
    from botocore.utils import validate_region_name

    validate_region_name(region)
    if endpoint_url is None and not session.get_config_variable("ignore_configured_endpoint_urls"):
        # botocore marks this provider private, but it is the one place that knows the lookup
        # order (AWS_ENDPOINT_URL_WORKSPACES, AWS_ENDPOINT_URL, config `services`, profile).
        endpoint_url = ConfiguredEndpointProvider(
            full_config=session.full_config,
            scoped_config=session.get_scoped_config(),
            client_name=SERVICE_CLIENT_NAME,
            environ=environ,
        ).provide()
    use_fips = bool(session.get_config_variable("use_fips_endpoint"))
    use_dualstack = bool(session.get_config_variable("use_dualstack_endpoint"))
    if endpoint_url and not use_fips and not use_dualstack:
        # What the ruleset answers for a custom endpoint, without loading it (a start-up cost).
        _check_endpoint_url(endpoint_url)
        return endpoint_url
    loader = Loader()
    provider = EndpointProvider(
        loader.load_service_model(SERVICE_CLIENT_NAME, "endpoint-rule-set-1"),
        loader.load_data("partitions"),
    )
    parameters: dict[str, Any] = {
        "Region": region,
        "UseFIPS": use_fips,
        "UseDualStack": use_dualstack,
    }
    if endpoint_url:
        parameters["Endpoint"] = endpoint_url
    return str(provider.resolve_endpoint(**parameters).url)


def _check_endpoint_url(endpoint_url: str) -> None:
    """botocore's own check for a custom endpoint: a URL with a scheme and a host."""
    from botocore.exceptions import InvalidEndpointConfigurationError
    from botocore.utils import is_valid_endpoint_url, is_valid_ipv6_endpoint_url

    if not (is_valid_endpoint_url(endpoint_url) or is_valid_ipv6_endpoint_url(endpoint_url)):
        raise InvalidEndpointConfigurationError(msg=f"Invalid endpoint: {endpoint_url}")


def _credentials(
    session: Any, access_key: str | None, secret_key: str | None, token: str | None
) -> Credentials | BotocoreCredentials:
    if access_key and secret_key:
        return Credentials(access_key, secret_key, token)
    if access_key or secret_key:
        missing = "aws_secret_access_key" if access_key else "aws_access_key_id"
        raise PartialCredentialsError(provider="explicit", cred_var=missing)
    credentials: BotocoreCredentials | None = session.get_credentials()
    if credentials is None:
        raise NoCredentialsError()
    return credentials


def _retry_mode(session: Any, environ: Mapping[str, str]) -> RetryMode | None:
    return _chosen_retry_mode(
        environ.get("AWS_RETRY_MODE") or session.get_scoped_config().get("retry_mode")
    )


def _chosen_retry_mode(chosen: str | None) -> RetryMode | None:
    """Only a mode the user chose; botocore's own default ('legacy') means 'not chosen' here."""
    if chosen == "adaptive":
        return "adaptive"
    if chosen in ("standard", "legacy"):
        return "standard"
    return None
