"""The control-plane calls an audit makes: who the caller is, the organization, roles, regions.

They go over the same signed async path as the image calls (``CallPipeline``): botocore's models
build and read them, the project's signer signs them, the shared pool sends them, with the same
retries, clock-skew handling and error mapping. An answer these calls cannot do without (the
keys of an assumed role, the accounts of a page) missing is a malformed answer, retried like any
other, never an account without credentials or an organization of nobody.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from imgperms_async._credentials import Credentials, Session
from imgperms_async._exceptions import error_code
from imgperms_async._modeled import ModeledOperation
from imgperms_async._paginate import PageTokens
from imgperms_async._protocol import Operation

Call = Callable[[Operation, Mapping[str, Any]], Awaitable[dict[str, Any]]]
"""One signed call (``CallPipeline.call``)."""

_NOT_IN_AN_ORGANIZATION: Final = "AWSOrganizationsNotInUseException"
_MAY_NOT_LIST: Final = frozenset({_NOT_IN_AN_ORGANIZATION, "AccessDeniedException", "AccessDenied"})
"""ListAccounts refused: no organization, or a member that is not a delegated administrator
(Organizations answers AccessDeniedException to every member but those)."""
_REGION_NOT_ENABLED: Final = "AuthFailure"
"""What EC2 answers in a region the account has not enabled: then it cannot tell which regions
it has. Any other refusal of DescribeRegions (a missing permission, a service control policy)
fails the account, naming the action, rather than quietly trying every region."""
_NOT_OPTED_IN: Final = "not-opted-in"


@dataclass(frozen=True, slots=True)
class Member:
    """An account as Organizations ListAccounts reports it."""

    account_id: str
    name: str
    status: str


@dataclass(frozen=True, slots=True)
class OrganizationFacts:
    """What DescribeOrganization tells any member: the organization and its management account."""

    organization_id: str
    management_account_id: str


@dataclass(frozen=True, slots=True)
class RoleRequest:
    """One AssumeRole: the role, and what it is asked with."""

    role_arn: str
    session_name: str
    duration_secs: int
    external_id: str | None = field(default=None, repr=False)


class Operations:
    """The control plane's operations, from botocore's models (loaded once, in a thread)."""

    def __init__(self) -> None:
        self.get_caller_identity = ModeledOperation(
            "sts", "GetCallerIdentity", required=("Account",)
        )
        self.assume_role = ModeledOperation(
            "sts",
            "AssumeRole",
            required=(
                "Credentials.AccessKeyId",
                "Credentials.SecretAccessKey",
                "Credentials.SessionToken",
                "Credentials.Expiration",
            ),
        )
        self.list_accounts = ModeledOperation(
            "organizations", "ListAccounts", required=("Accounts", "Accounts[].Id")
        )
        self.describe_organization = ModeledOperation(
            "organizations",
            "DescribeOrganization",
            required=("Organization.Id", "Organization.MasterAccountId"),
        )
        self.describe_regions = ModeledOperation(
            "ec2", "DescribeRegions", required=("Regions", "Regions[].RegionName")
        )

    @classmethod
    async def load(cls) -> Operations:
        return await asyncio.to_thread(cls)


async def caller_account_id(call: Call, operations: Operations) -> str:
    """STS GetCallerIdentity: the account whose credentials sign ``call``."""
    answer = await call(operations.get_caller_identity, {})
    return str(answer["Account"])


class ListingRefused(Exception):
    """The caller is in no organization, or may not list it (a member that is not a delegated
    administrator, or a policy that does not allow it); ``reason`` is AWS's answer."""

    def __init__(self, reason: Exception) -> None:
        super().__init__(str(reason))
        self.reason = reason


async def organization_members(
    call: Call, operations: Operations, *, listed: Callable[[int], None] = lambda count: None
) -> list[Member]:
    """Every account of the caller's organization (any status); ``ListingRefused`` when the
    caller may not list it. ``listed`` hears how many have been read after each page: 5,000
    accounts are 250 pages, read one after another before the first scope can start."""
    members: list[Member] = []
    tokens = PageTokens()
    params: dict[str, Any] = {}
    while True:
        try:
            page = await call(operations.list_accounts, params)
        except Exception as error:
            if not members and error_code(error) in _MAY_NOT_LIST:
                raise ListingRefused(error) from error
            raise
        members += [
            Member(entry["Id"], entry.get("Name", ""), entry.get("Status", "ACTIVE"))
            for entry in page["Accounts"]
        ]
        listed(len(members))
        token = tokens.after(page)
        if token is None:
            return members
        params = {"NextToken": token}


async def organization_facts(call: Call, operations: Operations) -> OrganizationFacts | None:
    """DescribeOrganization, which any member may call; ``None`` when the caller is in no
    organization. Any other refusal (a missing permission) is raised: what a member can learn
    of its organization is never silently skipped."""
    try:
        answer = await call(operations.describe_organization, {})
    except Exception as error:
        if error_code(error) == _NOT_IN_AN_ORGANIZATION:
            return None
        raise
    organization = answer["Organization"]
    return OrganizationFacts(str(organization["Id"]), str(organization["MasterAccountId"]))


async def assume_role(call: Call, operations: Operations, request: RoleRequest) -> Session:
    """A session of the role, signed by whoever ``call`` signs as."""
    params: dict[str, Any] = {
        "RoleArn": request.role_arn,
        "RoleSessionName": request.session_name,
        "DurationSeconds": request.duration_secs,
    }
    if request.external_id is not None:
        params["ExternalId"] = request.external_id
    answer = await call(operations.assume_role, params)
    keys = answer["Credentials"]
    return Session(
        Credentials(keys["AccessKeyId"], keys["SecretAccessKey"], keys["SessionToken"]),
        keys["Expiration"].timestamp(),
    )


async def enabled_regions(call: Call, operations: Operations) -> frozenset[str] | None:
    """The regions the account has enabled (EC2 DescribeRegions), or ``None`` when it cannot
    tell (it has not enabled the region it was asked in): then every region is tried, and one
    not enabled says so when called."""
    try:
        answer = await call(operations.describe_regions, {"AllRegions": False})
    except Exception as error:
        if error_code(error) == _REGION_NOT_ENABLED:
            return None
        raise
    return frozenset(
        entry["RegionName"]
        for entry in answer["Regions"]
        if entry.get("OptInStatus", "opt-in-not-required") != _NOT_OPTED_IN
    )
