"""The few control-plane calls an organization audit makes, with botocore's own clients.

They are per account, not per image (who the caller is, the organization's accounts, a role to
assume, the regions an account has enabled), so botocore's synchronous clients serve them, each
call in a worker thread; the image-permission path stays the raw async one.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from botocore.exceptions import ClientError as BotocoreClientError

from imgperms_async._botocore_settings import BotocoreSession
from imgperms_async._credentials import BotocoreCredentials, Credentials, frozen

DEFAULT_ROLE_NAME: Final = "OrganizationAccountAccessRole"
DEFAULT_SESSION_NAME: Final = "imgperms-audit"
DEFAULT_DURATION_SECS: Final = 3600

AccountStatus = Literal["ACTIVE", "SUSPENDED", "PENDING_CLOSURE"]

_NOT_AN_ORGANIZATION: Final = frozenset(
    {"AWSOrganizationsNotInUseException", "AccessDeniedException", "AccessDenied"}
)
_CANNOT_TELL: Final = frozenset(
    {"UnauthorizedOperation", "AccessDenied", "AccessDeniedException", "AuthFailure"}
)
"""DescribeRegions refused: the account may not ask, or has not enabled the region it was
asked in (EC2 answers AuthFailure there)."""


@dataclass(frozen=True, slots=True)
class OrganizationAccount:
    """An account as Organizations ListAccounts reports it."""

    account_id: str
    name: str
    status: str


@dataclass(frozen=True, slots=True)
class RoleToAssume:
    """How to become an account: the role and what AssumeRole is asked with."""

    role_arn: str
    external_id: str | None = field(default=None, repr=False)
    session_name: str = DEFAULT_SESSION_NAME
    duration_secs: int = DEFAULT_DURATION_SECS


def caller_account(configured: BotocoreSession, region: str) -> str:
    """The caller's own account id (STS GetCallerIdentity)."""
    with closing(configured.client("sts", region)) as client:
        answer = client.get_caller_identity()
    return str(answer["Account"])


def organization_accounts(
    configured: BotocoreSession, region: str
) -> list[OrganizationAccount] | None:
    """Every account of the caller's organization, or ``None`` when the caller is in none or may
    not list it (a member that is not a delegated administrator)."""
    with closing(configured.client("organizations", region)) as client:
        try:
            return list(_every_account(client))
        except BotocoreClientError as error:
            if error.response.get("Error", {}).get("Code") in _NOT_AN_ORGANIZATION:
                return None
            raise


def _every_account(client: Any) -> Iterator[OrganizationAccount]:
    for page in client.get_paginator("list_accounts").paginate():
        for account in page.get("Accounts", ()):
            yield OrganizationAccount(
                account["Id"], account.get("Name", ""), account.get("Status", "ACTIVE")
            )


def assumed_credentials(
    configured: BotocoreSession, region: str, role: RoleToAssume
) -> BotocoreCredentials:
    """Credentials of the role, refreshed by botocore before they expire: botocore's refreshable
    credentials, each session asked of STS with the caller's current credentials.

    The first AssumeRole is made here, so a role that cannot be assumed raises here, plainly;
    left to botocore's first refresh, it would also be logged as a warning with a traceback.
    Each STS client is closed once it has answered, so no connection outlives its call.
    """
    from botocore.credentials import RefreshableCredentials

    extra: dict[str, Any] = {
        "RoleArn": role.role_arn,
        "RoleSessionName": role.session_name,
        "DurationSeconds": role.duration_secs,
    }
    if role.external_id is not None:
        extra["ExternalId"] = role.external_id
    caller = configured.credentials()

    def fetch() -> dict[str, str]:
        with closing(configured.client("sts", region, credentials=frozen(caller))) as client:
            session = client.assume_role(**extra)["Credentials"]
        return {
            "access_key": session["AccessKeyId"],
            "secret_key": session["SecretAccessKey"],
            "token": session["SessionToken"],
            "expiry_time": session["Expiration"].isoformat(),
        }

    credentials: BotocoreCredentials = RefreshableCredentials.create_from_metadata(
        fetch(), refresh_using=fetch, method="assume-role"
    )
    return credentials


def load_enabled_regions_model(configured: BotocoreSession, region: str) -> None:
    """Load EC2's model into the session now: botocore loads a model once per session, but
    accounts reached side by side would each load it at once, in their own threads."""
    with closing(configured.client("ec2", region)):
        pass


def enabled_regions(
    configured: BotocoreSession, region: str, credentials: Credentials
) -> frozenset[str] | None:
    """The regions the account has enabled (EC2 DescribeRegions), or ``None`` when it cannot
    tell (it may not ask, or has not enabled ``region`` itself): then every region is tried, and
    one not enabled says so when called."""
    with closing(configured.client("ec2", region, credentials=credentials)) as client:
        try:
            answer = client.describe_regions(AllRegions=False)
        except BotocoreClientError as error:
            if error.response.get("Error", {}).get("Code") in _CANNOT_TELL:
                return None
            raise
    return frozenset(
        entry["RegionName"]
        for entry in answer.get("Regions", ())
        if entry.get("OptInStatus", "opt-in-not-required") != "not-opted-in"
    )


def workspaces_regions(configured: BotocoreSession, partition: str) -> tuple[str, ...]:
    """Every region where WorkSpaces is offered in the partition, from botocore's data."""
    return tuple(configured.session.get_available_regions("workspaces", partition_name=partition))
