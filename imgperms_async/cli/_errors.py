"""Problems found before or instead of auditing, as one line on stderr and exit status 2."""

from __future__ import annotations

import os

import click
from botocore.exceptions import NoCredentialsError, NoRegionError

from imgperms_async.cli._literal import literal
from imgperms_async.cli._records import EXIT_USAGE


class SetupError(click.ClickException):
    """A file, region, credential or output problem: one line on stderr and exit 2, without the
    usage text that would hide it."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str) -> None:
        super().__init__(literal(" ".join(message.split())))


class SetupFailed(Exception):
    """Raised by a run whose clients could not be opened (region, credentials, settings);
    ``profile`` is the one the run was given, for the message."""

    def __init__(self, error: Exception, *, profile: str | None) -> None:
        super().__init__(str(error))
        self.error = error
        self.profile = profile

    def message(self) -> str:
        return setup_error_message(self.error, profile=self.profile)


def setup_error_message(error: Exception, *, profile: str | None) -> str:
    """What went wrong while opening the clients, in the terms a user can act on."""
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
