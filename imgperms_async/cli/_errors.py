"""Problems found before or instead of the work asked for, as one line on stderr and a status.

A problem with what was given (an option, a file, a region, the local configuration) is a usage
error, exit 2: nothing was sent. A setup that fails at AWS (no answer, credentials refused, the
organization that cannot be listed) is exit 3, as any part of an audit that cannot be done.
"""

from __future__ import annotations

import os

import click
from botocore.exceptions import (
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
)

from imgperms_async import InvalidSettingError, OrganizationUnavailableError
from imgperms_async.cli._literal import literal
from imgperms_async.cli._status import INCOMPLETE, USAGE


class SetupError(click.ClickException):
    """A file, region, credential or output problem: one line on stderr and exit 2, without the
    usage text that would hide it."""

    exit_code = USAGE

    def __init__(self, message: str) -> None:
        super().__init__(literal(" ".join(message.split())))


class SetupFailedAtAws(SetupError):
    """A setup that AWS (or the network) refused: one line on stderr and exit 3."""

    exit_code = INCOMPLETE


def setup_error(error: Exception, *, profile: str | None) -> SetupError:
    """The one line, and the status, for what stopped a command before its work began."""
    message = setup_error_message(error, profile=profile)
    usage = isinstance(
        error, NoRegionError | NoCredentialsError | PartialCredentialsError | ProfileNotFound
    ) or (
        isinstance(error, InvalidSettingError)
        and not isinstance(error, OrganizationUnavailableError)
    )
    return SetupError(message) if usage else SetupFailedAtAws(message)


def setup_error_message(error: Exception, *, profile: str | None) -> str:
    """What went wrong while setting up, in the terms a user can act on."""
    if isinstance(error, NoRegionError):
        return (
            "no AWS region: pass --region, set AWS_REGION or AWS_DEFAULT_REGION, "
            "or set `region` in your profile"
        )
    if isinstance(error, NoCredentialsError):
        chosen = profile or os.environ.get("AWS_PROFILE") or "default"
        credentials_file = os.environ.get("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials")
        config_file = os.environ.get("AWS_CONFIG_FILE", "~/.aws/config")
        return (
            "no AWS credentials found. botocore looked in: environment variables "
            "(AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), "
            f"the shared credentials file ({credentials_file}) and config file ({config_file}) "
            f"for profile {chosen!r} (keys, SSO, credential_process, assume-role), "
            "container credentials (ECS/EKS) and EC2 instance metadata (IMDS). "
            "Configure one of them or pass --profile."
        )
    return str(error) or type(error).__name__
