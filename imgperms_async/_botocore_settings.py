"""Where the client's region, endpoint, credentials and retry settings come from: botocore's sources.

This reads the same environment variables, shared config and credential files, SSO caches and
metadata services that boto3 reads, through botocore's own session, endpoint ruleset and credential
chain. All of it can block (file reads, IMDS, STS), so ``resolve_settings`` runs in a worker thread.

Every value is checked as it is read, and a bad one is an ``InvalidSettingError`` naming the
setting, where it came from and what it may be: an empty ``endpoint_url`` must never fall through
to real AWS, and ``AWS_MAX_ATTEMPTS=0`` must never quietly become the default.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

from botocore.exceptions import NoCredentialsError, NoRegionError, PartialCredentialsError

from imgperms_async._client_config import RetryMode
from imgperms_async._credentials import BotocoreCredentials, Credentials
from imgperms_async._exceptions import InvalidEndpointError, InvalidSettingError

SERVICE_CLIENT_NAME: Final = "workspaces"

_RETRY_MODES: Final[dict[str, RetryMode]] = {
    "standard": "standard",
    "adaptive": "adaptive",
    "legacy": "standard",
}
"""botocore's retry modes; its legacy mode has no equivalent here and means standard."""


@dataclass(frozen=True, slots=True)
class Settings:
    region_name: str
    endpoint_url: str
    credentials: Credentials | BotocoreCredentials
    ca_bundle: str | None
    max_attempts: int | None
    retry_mode: RetryMode | None


_CONSULTED: Final = {
    "ca_bundle": "AWS_CA_BUNDLE",
    "max_attempts": "AWS_MAX_ATTEMPTS",
    "retry_mode": "AWS_RETRY_MODE",
    "use_fips_endpoint": "AWS_USE_FIPS_ENDPOINT",
    "use_dualstack_endpoint": "AWS_USE_DUALSTACK_ENDPOINT",
}
"""The settings a client reads besides those passed in: botocore's name, and its variable."""


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
    if region_name is not None:
        check_region_name(region_name, source="region_name")
    if endpoint_url is not None:
        check_endpoint_url(endpoint_url, source="endpoint_url")
    if (
        region_name
        and endpoint_url
        and aws_access_key_id
        and aws_secret_access_key
        and not profile_name
        and (raw := _environment_only(environ)) is not None
    ):
        # Everything is given and botocore would read the rest from the environment alone:
        # skip importing its session, a start-up cost the first request would pay.
        return Settings(
            region_name=region_name,
            endpoint_url=endpoint_url,
            credentials=Credentials(aws_access_key_id, aws_secret_access_key, aws_session_token),
            ca_bundle=raw.get("ca_bundle"),
            max_attempts=_max_attempts(raw.get("max_attempts"), source="AWS_MAX_ATTEMPTS"),
            retry_mode=_retry_mode(raw.get("retry_mode"), source="AWS_RETRY_MODE"),
        )
    configured = BotocoreSession(
        profile_name=profile_name,
        endpoint_url=endpoint_url,
        aws_access_key_id=aws_access_key_id,
        aws_secret_access_key=aws_secret_access_key,
        aws_session_token=aws_session_token,
        environ=environ,
    )
    region = region_name if region_name is not None else configured.home_region()
    return configured.settings_for(region, configured.credentials())


CUT_MODELS: Final = Path(__file__).with_name("_botocore_data")
"""botocore service models cut to the operations the control plane calls, found before botocore's
own (as ``AWS_DATA_PATH`` models are): EC2's whole model takes about 20 MB of memory, and an
organization audit calls DescribeRegions alone. ``tests/unit/test_cut_models.py`` holds each cut
to what the installed botocore's model says."""


class BotocoreSession:
    """One caller's botocore configuration, read once, for every (account, region) an audit
    reaches: the settings of each region's client, and botocore's own clients for the control
    plane (STS, Organizations, EC2). Everything here may block: call it from a worker thread."""

    def __init__(
        self,
        *,
        profile_name: str | None,
        endpoint_url: str | None,
        aws_access_key_id: str | None = None,
        aws_secret_access_key: str | None = None,
        aws_session_token: str | None = None,
        environ: Mapping[str, str] = os.environ,
    ) -> None:
        from botocore.session import Session

        if endpoint_url is not None:
            check_endpoint_url(endpoint_url, source="endpoint_url")
        self.session: Any = Session(profile=profile_name)
        given = self.session.get_config_variable("data_path")
        self.session.set_config_variable(
            "data_path", os.pathsep.join(path for path in (str(CUT_MODELS), given) if path)
        )
        self._endpoint_url = endpoint_url
        self._environ = environ
        self._keys = (aws_access_key_id, aws_secret_access_key, aws_session_token)
        self._endpoints: dict[str, str] = {}

    @property
    def endpoint_url(self) -> str | None:
        """The endpoint given for every service, if any (else botocore's configuration)."""
        return self._endpoint_url

    def home_region(self) -> str:
        """The region botocore would use: ``AWS_REGION``, ``AWS_DEFAULT_REGION``, the profile."""
        return _region_from(self.session, self._environ)

    def credentials(self) -> Credentials | BotocoreCredentials:
        return _credentials(self.session, *self._keys)

    def partition(self, region: str) -> str:
        return str(self.session.get_partition_for_region(region))

    def settings_for(self, region: str, credentials: Credentials | BotocoreCredentials) -> Settings:
        endpoint = self._endpoints.get(region)
        if endpoint is None:
            endpoint = _endpoint_url(self.session, region, self._endpoint_url, self._environ)
            self._endpoints[region] = endpoint
        session, environ = self.session, self._environ
        return Settings(
            region_name=region,
            endpoint_url=endpoint,
            credentials=credentials,
            ca_bundle=_configured(session, environ, "ca_bundle") or None,
            max_attempts=_max_attempts(
                _configured(session, environ, "max_attempts"),
                source=_source(session, environ, "max_attempts"),
            ),
            retry_mode=_retry_mode(
                _configured(session, environ, "retry_mode"),
                source=_source(session, environ, "retry_mode"),
            ),
        )

    def client(self, service: str, region: str, *, credentials: Credentials | None = None) -> Any:
        """botocore's client for a control-plane service, signed as the caller or with
        ``credentials``; the endpoint given to the audit, if any, serves every service."""
        from botocore.config import Config

        keys: dict[str, str | None] = {}
        if credentials is not None:
            keys = {
                "aws_access_key_id": credentials.access_key,
                "aws_secret_access_key": credentials.secret_key,
                "aws_session_token": credentials.token,
            }
        elif self._keys[0] and self._keys[1]:
            keys = dict(
                zip(
                    ("aws_access_key_id", "aws_secret_access_key", "aws_session_token"),
                    self._keys,
                    strict=True,
                )
            )
        return self.session.create_client(
            service,
            region_name=region,
            endpoint_url=self._endpoint_url,
            config=Config(retries={"mode": "standard"}),
            **keys,
        )


def check_region_name(region: str, *, source: str) -> None:
    """botocore's rule for a region name, and lower case, as every AWS region is: a request
    signed for ``US-EAST-1`` is refused by AWS, so it is refused here, before it is sent."""
    from botocore.exceptions import InvalidRegionError
    from botocore.utils import validate_region_name

    try:
        if not region:
            raise InvalidRegionError(region_name=region)
        validate_region_name(region)
    except InvalidRegionError:
        raise InvalidSettingError(
            error_msg=f"region {region!r} ({source}) is not a region name, such as us-east-1"
        ) from None
    if region != region.lower():
        raise InvalidSettingError(
            error_msg=f"region {region!r} ({source}) must be lower case: {region.lower()!r}"
        )


def check_endpoint_url(endpoint_url: str, *, source: str) -> None:
    """An http(s) URL with a host, a valid port and nothing else: what botocore checks, and what
    it lets through that cannot be a WorkSpaces endpoint (credentials, a query, spaces)."""
    from botocore.utils import is_valid_endpoint_url, is_valid_ipv6_endpoint_url

    problem = _endpoint_problem(endpoint_url)
    if problem is None and not (
        is_valid_endpoint_url(endpoint_url) or is_valid_ipv6_endpoint_url(endpoint_url)
    ):
        problem = "it has no valid host name"
    if problem is not None:
        raise InvalidEndpointError(
            error_msg=f"endpoint URL {endpoint_url!r} ({source}) is not valid: {problem}; "
            "give http://HOST[:PORT] or https://HOST[:PORT]"
        )


def _endpoint_problem(endpoint_url: str) -> str | None:
    if not endpoint_url:
        return "it is empty"
    if endpoint_url != endpoint_url.strip():
        return "it has leading or trailing spaces"
    try:
        parts = urlsplit(endpoint_url)
        port = parts.port
    except ValueError as error:
        return str(error)
    if parts.scheme not in ("http", "https"):
        return "the scheme must be http or https"
    if not parts.hostname:
        return "it has no host"
    if parts.username is not None or parts.password is not None:
        return "it must not hold user information"
    if parts.query or parts.fragment or endpoint_url.endswith(("?", "#")):
        return "it must not have a query or fragment"
    if port == 0:
        return "port 0 cannot be connected to"
    return None


def _region_from(session: Any, environ: Mapping[str, str]) -> str:
    region = environ.get("AWS_REGION") or session.get_config_variable("region")
    if not region:
        raise NoRegionError()
    source = "AWS_REGION" if environ.get("AWS_REGION") else "AWS_DEFAULT_REGION or the profile"
    check_region_name(region, source=source)
    return str(region)


def _environment_only(environ: Mapping[str, str]) -> dict[str, str] | None:
    """The consulted settings, unconverted, when botocore would read them from the environment
    alone: no profile is chosen and the config file is absent or empty. ``None`` when botocore
    would have more to read; FIPS or dual-stack also need the ruleset."""
    from botocore.configprovider import BOTOCORE_DEFAUT_SESSION_VARIABLES as variables

    if any(environ.get(name) for name in variables["profile"][1]):
        return None
    config_file = os.path.expanduser(environ.get("AWS_CONFIG_FILE") or variables["config_file"][2])
    if os.path.exists(config_file) and os.path.getsize(config_file) > 0:
        return None
    found = {
        name: environ[variable] for name, variable in _CONSULTED.items() if environ.get(variable)
    }
    if found.get("use_fips_endpoint") or found.get("use_dualstack_endpoint"):
        return None
    return found


def _configured(session: Any, environ: Mapping[str, str], name: str) -> str | None:
    """A consulted setting as written, from its variable or else the profile, before botocore
    converts it (its conversion of ``banana`` to an int is a traceback)."""
    variable = _CONSULTED[name]
    raw = environ.get(variable) or session.get_scoped_config().get(name)
    return None if raw is None or raw == "" else str(raw)


def _source(session: Any, environ: Mapping[str, str], name: str) -> str:
    variable = _CONSULTED[name]
    if environ.get(variable):
        return variable
    profile = session.get_config_variable("profile") or "default"
    return f"{name} in profile {profile!r} of the config file"


def _max_attempts(raw: str | None, *, source: str) -> int | None:
    if raw is None:
        return None
    try:
        value = int(raw.strip())
    except ValueError:
        value = 0
    if value < 1:
        raise InvalidSettingError(
            error_msg=f"{source}={raw!r} is not valid: give a whole number of at least 1 "
            "(attempts per request, the first included)"
        )
    return value


def _retry_mode(raw: str | None, *, source: str) -> RetryMode | None:
    """Only a mode the user chose; botocore's own default ('legacy') means 'not chosen' here."""
    if raw is None:
        return None
    mode = _RETRY_MODES.get(raw.strip())
    if mode is None:
        raise InvalidSettingError(
            error_msg=f"{source}={raw!r} is not valid: give one of {', '.join(_RETRY_MODES)}"
        )
    return mode


def _endpoint_url(
    session: Any, region: str, endpoint_url: str | None, environ: Mapping[str, str]
) -> str:
    """The endpoint, through botocore's ruleset even when configured: it refuses FIPS or
    dual-stack with a custom endpoint, exactly as boto3 does."""
    from botocore.configprovider import ConfiguredEndpointProvider
    from botocore.endpoint_provider import EndpointProvider
    from botocore.loaders import Loader

    if endpoint_url is None and not session.get_config_variable("ignore_configured_endpoint_urls"):
        # botocore marks this provider private, but it is the one place that knows the lookup
        # order (AWS_ENDPOINT_URL_WORKSPACES, AWS_ENDPOINT_URL, config `services`, profile).
        endpoint_url = ConfiguredEndpointProvider(
            full_config=session.full_config,
            scoped_config=session.get_scoped_config(),
            client_name=SERVICE_CLIENT_NAME,
            environ=environ,
        ).provide()
        if endpoint_url is not None:
            check_endpoint_url(endpoint_url, source=_endpoint_source(endpoint_url, environ))
    use_fips = bool(session.get_config_variable("use_fips_endpoint"))
    use_dualstack = bool(session.get_config_variable("use_dualstack_endpoint"))
    if endpoint_url and not use_fips and not use_dualstack:
        # What the ruleset answers for a custom endpoint, without loading it (a start-up cost).
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


def _endpoint_source(endpoint_url: str, environ: Mapping[str, str]) -> str:
    for variable in ("AWS_ENDPOINT_URL_WORKSPACES", "AWS_ENDPOINT_URL"):
        if environ.get(variable) == endpoint_url:
            return variable
    return "the config file"


def _credentials(
    session: Any, access_key: str | None, secret_key: str | None, token: str | None
) -> Credentials | BotocoreCredentials:
    if access_key and secret_key:
        return Credentials(access_key, secret_key, token)
    if access_key or secret_key:
        missing = "aws_secret_access_key" if access_key else "aws_access_key_id"
        raise PartialCredentialsError(provider="explicit", cred_var=missing)
    try:
        credentials: BotocoreCredentials | None = session.get_credentials()
    except ValueError as error:
        # botocore lets a credential_process's non-JSON output through as a JSONDecodeError.
        process = session.get_scoped_config().get("credential_process")
        source = f"credential_process {process!r}" if process else "a credential provider"
        raise InvalidSettingError(
            error_msg=f"cannot load AWS credentials: {source} did not print JSON ({error})"
        ) from None
    if credentials is None:
        raise NoCredentialsError()
    return credentials
