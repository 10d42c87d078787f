"""The caller's AWS configuration as botocore reads it: region, credentials, endpoints, retry settings.

This reads the same environment variables, shared config and credential files, SSO caches and
metadata services that boto3 reads, through botocore's own session, endpoint rulesets and
credential chain, once per caller, for every service and region an audit reaches. All of it can
block (file reads, IMDS, STS), so it runs in a worker thread.

Every value is checked as it is read, and a bad one is an ``InvalidSettingError`` naming the
setting, where it came from and what it may be: an empty endpoint must never fall through to
real AWS, and ``AWS_MAX_ATTEMPTS=0`` must never quietly become the default.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from botocore.exceptions import NoCredentialsError, NoRegionError

from imgperms_async._client_config import RetryMode
from imgperms_async._credentials import BotocoreCredentials, Credentials
from imgperms_async._exceptions import InvalidSettingError
from imgperms_async._identity import Identity, check_endpoint_url
from imgperms_async._modeled import CUT_MODELS
from imgperms_async._regions import botocore_loader, check_region_name, partition_of

_RETRY_MODES: Final[dict[str, RetryMode]] = {
    "standard": "standard",
    "adaptive": "adaptive",
    "legacy": "standard",
}
"""botocore's retry modes; its legacy mode has no equivalent here and means standard."""

_CONSULTED: Final = {
    "ca_bundle": "AWS_CA_BUNDLE",
    "max_attempts": "AWS_MAX_ATTEMPTS",
    "retry_mode": "AWS_RETRY_MODE",
    "use_fips_endpoint": "AWS_USE_FIPS_ENDPOINT",
    "use_dualstack_endpoint": "AWS_USE_DUALSTACK_ENDPOINT",
}
"""The settings read besides those passed in: botocore's name, and its variable."""

_ENDPOINT_VARIABLES: Final = ("AWS_ENDPOINT_URL_{service}", "AWS_ENDPOINT_URL")


@dataclass(frozen=True, slots=True)
class ServiceEndpoint:
    """Where one service is called in one region, and the region its requests are signed for
    (a global service such as Organizations signs for its home region whatever the caller's)."""

    url: str
    signing_region: str
    signing_name: str


@dataclass(frozen=True, slots=True)
class RetrySettings:
    """What botocore's configuration says about retries and TLS; ``None`` is "not set"."""

    max_attempts: int | None = None
    retry_mode: RetryMode | None = None
    ca_bundle: str | None = None


class AwsConfig:
    """One caller's configuration, read once. Built from an ``Identity`` by ``read_config``.

    When region, endpoint and keys are all given, no profile is chosen and the config file is
    absent or empty, botocore would read nothing but the environment: then no botocore session
    is made at all (importing one is a start-up cost a one-account audit need not pay), and the
    given endpoint serves every service.
    """

    def __init__(
        self, identity: Identity, *, session: Any | None, environ: Mapping[str, str]
    ) -> None:
        self.identity = identity
        self._session = session
        self._environ = environ
        self._endpoints: dict[tuple[str, str], ServiceEndpoint] = {}
        self._rulesets: dict[str, Any] = {}
        self.retry = self._retry_settings()

    def home_region(self) -> str:
        """The region given, else botocore's: ``AWS_REGION``, ``AWS_DEFAULT_REGION``, the profile."""
        if self.identity.region_name is not None:
            return self.identity.region_name
        region = self._environ.get("AWS_REGION") or (
            self._session.get_config_variable("region") if self._session is not None else None
        )
        if not region:
            raise NoRegionError()
        source = (
            "AWS_REGION" if self._environ.get("AWS_REGION") else "AWS_DEFAULT_REGION or the profile"
        )
        return check_region_name(str(region), source=source)

    def credentials(self) -> Credentials | BotocoreCredentials:
        """The caller's keys, or botocore's (refreshable) credential chain."""
        identity = self.identity
        if identity.aws_access_key_id and identity.aws_secret_access_key:
            return Credentials(
                identity.aws_access_key_id,
                identity.aws_secret_access_key,
                identity.aws_session_token,
            )
        if self._session is None:
            raise NoCredentialsError()
        return _chain_credentials(self._session)

    def partition(self, region: str) -> str:
        return partition_of(region)

    def endpoint(self, service: str, region: str) -> ServiceEndpoint:
        """The service's endpoint in the region: the endpoint given serves every service; else
        the configured one (``AWS_ENDPOINT_URL_<SERVICE>``, ``AWS_ENDPOINT_URL``, the config
        file), else botocore's ruleset (FIPS, dual-stack, China, GovCloud). A configured endpoint
        still goes through the ruleset, which refuses FIPS or dual-stack with it as boto3 does."""
        key = (service, region)
        found = self._endpoints.get(key)
        if found is None:
            found = self._endpoints[key] = self._resolve_endpoint(service, region)
        return found

    def _resolve_endpoint(self, service: str, region: str) -> ServiceEndpoint:
        given = self.identity.endpoint_url or self._configured_endpoint(service)
        use_fips = self._flag("use_fips_endpoint")
        use_dualstack = self._flag("use_dualstack_endpoint")
        if given and not use_fips and not use_dualstack:
            # What the ruleset answers for a custom endpoint, without loading it: signed for the
            # caller's region, as boto3 signs every service there.
            return ServiceEndpoint(given, region, service)
        ruleset = self._ruleset(service)
        declared = ruleset["parameters"]
        parameters: dict[str, Any] = {
            "Region": region,
            "UseFIPS": use_fips,
            "UseDualStack": use_dualstack,
            "UseGlobalEndpoint": False,
        }
        if given:
            parameters["Endpoint"] = given
        from botocore.endpoint_provider import EndpointProvider

        provider = EndpointProvider(ruleset, botocore_loader().load_data("partitions"))
        resolved = provider.resolve_endpoint(
            **{name: value for name, value in parameters.items() if name in declared}
        )
        signing_region = region
        signing_name = service
        for scheme in resolved.properties.get("authSchemes", ()):
            if scheme.get("name") == "sigv4":
                signing_region = scheme.get("signingRegion", signing_region)
                signing_name = scheme.get("signingName", signing_name)
        return ServiceEndpoint(str(resolved.url), signing_region, signing_name)

    def _ruleset(self, service: str) -> Any:
        ruleset = self._rulesets.get(service)
        if ruleset is None:
            ruleset = self._rulesets[service] = botocore_loader().load_service_model(
                service, "endpoint-rule-set-1"
            )
        return ruleset

    def _configured_endpoint(self, service: str) -> str | None:
        session = self._session
        if session is None:
            return None  # no session is made without an endpoint given for every service
        if session.get_config_variable("ignore_configured_endpoint_urls"):
            return None
        # botocore marks this provider private, but it is the one place that knows the lookup
        # order (AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, config `services`, profile).
        from botocore.configprovider import ConfiguredEndpointProvider

        endpoint_url = ConfiguredEndpointProvider(
            full_config=session.full_config,
            scoped_config=session.get_scoped_config(),
            client_name=service,
            environ=self._environ,
        ).provide()
        if endpoint_url is None:
            return None
        return check_endpoint_url(endpoint_url, source=self._endpoint_source(service, endpoint_url))

    def _endpoint_source(self, service: str, endpoint_url: str) -> str:
        for template in _ENDPOINT_VARIABLES:
            variable = template.format(service=_env(service))
            if self._environ.get(variable) == endpoint_url:
                return variable
        return "the config file"

    def _flag(self, name: str) -> bool:
        if self._session is None:
            return False
        return bool(self._session.get_config_variable(name))

    def _raw(self, name: str) -> str | None:
        """A setting as written, from its variable or else the profile, before botocore converts
        it (its conversion of ``banana`` to an int is a traceback)."""
        raw = self._environ.get(_CONSULTED[name])
        if not raw and self._session is not None:
            raw = self._session.get_scoped_config().get(name)
        return None if raw is None or raw == "" else str(raw)

    def _source(self, name: str) -> str:
        variable = _CONSULTED[name]
        if self._environ.get(variable) or self._session is None:
            return variable
        profile = self._session.get_config_variable("profile") or "default"
        return f"{name} in profile {profile!r} of the config file"

    def _retry_settings(self) -> RetrySettings:
        return RetrySettings(
            max_attempts=_max_attempts(
                self._raw("max_attempts"), source=self._source("max_attempts")
            ),
            retry_mode=_retry_mode(self._raw("retry_mode"), source=self._source("retry_mode")),
            ca_bundle=self._raw("ca_bundle"),
        )


def read_config(identity: Identity, *, environ: Mapping[str, str] = os.environ) -> AwsConfig:
    """The caller's configuration. It may block (files, SSO caches): call it in a thread."""
    if (
        identity.region_name
        and identity.endpoint_url
        and identity.has_keys
        and not identity.profile_name
        and _environment_only(environ)
    ):
        return AwsConfig(identity, session=None, environ=environ)
    from botocore.session import Session

    session = Session(profile=identity.profile_name)
    given = session.get_config_variable("data_path")
    session.set_config_variable(
        "data_path", os.pathsep.join(path for path in (str(CUT_MODELS), given) if path)
    )
    return AwsConfig(identity, session=session, environ=environ)


def _environment_only(environ: Mapping[str, str]) -> bool:
    """Whether botocore would read nothing but the environment: no profile is chosen, the config
    file is absent or empty, and neither FIPS nor dual-stack asks for the ruleset."""
    from botocore.configprovider import BOTOCORE_DEFAUT_SESSION_VARIABLES as variables

    if any(environ.get(name) for name in variables["profile"][1]):
        return False
    config_file = os.path.expanduser(environ.get("AWS_CONFIG_FILE") or variables["config_file"][2])
    if os.path.exists(config_file) and os.path.getsize(config_file) > 0:
        return False
    return not (
        environ.get(_CONSULTED["use_fips_endpoint"])
        or environ.get(_CONSULTED["use_dualstack_endpoint"])
    )


def _env(service: str) -> str:
    return service.upper().replace("-", "_")


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


def _chain_credentials(session: Any) -> BotocoreCredentials:
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
