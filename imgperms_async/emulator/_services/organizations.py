"""AWS Organizations: DescribeOrganization and ListAccounts, as a management account sees them.

Any account of the organization may describe it; only the management account and delegated
administrators may list its accounts; a standalone account is in no organization at all.
"""

from __future__ import annotations

import hashlib

from .._errors import ServiceError
from .._model.accounts import Account, Organization, World
from .._page_tokens import PageTokens
from .._protocols import Params
from .._protocols.json11 import JsonProtocol, dumps
from .._protocols.params import optional
from . import AccessDenied, Call, Permission

__all__ = ["MAX_ACCOUNTS_PAGE", "Organizations"]

MAX_ACCOUNTS_PAGE = 20


def _invalid_input(reason: str, message: str) -> ServiceError:
    return ServiceError("InvalidInputException", message, fields={"Reason": reason})


_OPERATIONS = frozenset({"DescribeOrganization", "ListAccounts"})


class Organizations:
    name = "organizations"
    endpoint_variable = "ORGANIZATIONS"
    protocol = JsonProtocol("AWSOrganizationsV20161128.", message_key="Message")
    global_endpoint = True
    access_denied = AccessDenied("AccessDeniedException")

    def __init__(self, world: World, *, seed: int) -> None:
        self._world = world
        self._accounts = tuple(world.accounts.values())
        """ListAccounts order, fixed at start: a page costs its own accounts, not all of them."""
        self._tokens = PageTokens(hashlib.sha256(f"accounts-{seed}".encode()).digest())

    def permissions(self, operation: str, params: Params, call: Call) -> tuple[Permission, ...]:
        return (Permission(f"organizations:{operation}", "*"),)

    def answer(self, operation: str, params: Params, call: Call) -> bytes:
        organization = self._world.organization
        if operation not in _OPERATIONS:
            raise ServiceError("UnknownOperationException", f"Unknown operation {operation}")
        if organization is None:
            raise ServiceError(
                "AWSOrganizationsNotInUseException",
                "Your account is not a member of an organization.",
            )
        if operation == "DescribeOrganization":
            return self._describe(organization)
        caller = call.account.account_id
        if caller != organization.management_account_id and (
            caller not in organization.delegated_admins
        ):
            raise ServiceError(
                "AccessDeniedException", "You don't have permissions to access this resource."
            )
        return self._list_accounts(organization, params)

    @staticmethod
    def _describe(organization: Organization) -> bytes:
        management = organization.management_account_id
        return dumps(
            {
                "Organization": {
                    "Id": organization.organization_id,
                    "Arn": organization.arn,
                    "FeatureSet": "ALL",
                    "MasterAccountArn": organization.account_arn(management),
                    "MasterAccountId": management,
                    "MasterAccountEmail": organization.management_email,
                    "AvailablePolicyTypes": [
                        {"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"}
                    ],
                }
            }
        )

    def _list_accounts(self, organization: Organization, params: Params) -> bytes:
        limit = optional(params, "MaxResults", int)
        token = optional(params, "NextToken", str)
        if limit is not None and limit < 1:
            raise _invalid_input(
                "MIN_VALUE_EXCEEDED",
                "You provided a value that is less than the minimum allowed value.",
            )
        if limit is not None and limit > MAX_ACCOUNTS_PAGE:
            raise _invalid_input(
                "MAX_VALUE_EXCEEDED", "You provided a value that exceeds the maximum allowed value."
            )
        try:
            offset = 0 if token is None else self._tokens.offset("accounts", token)
        except ServiceError:
            raise _invalid_input(
                "INVALID_NEXT_TOKEN",
                "You specified an invalid value for nextToken. You must get the value from the"
                " response to a previous call to the API.",
            ) from None
        end = offset + (limit or MAX_ACCOUNTS_PAGE)
        page: dict[str, object] = {
            "Accounts": [_account(organization, account) for account in self._accounts[offset:end]]
        }
        if end < len(self._accounts):
            page["NextToken"] = self._tokens.issue("accounts", end)
        return dumps(page)


def _account(organization: Organization, account: Account) -> dict[str, object]:
    return {
        "Id": account.account_id,
        "Arn": organization.account_arn(account.account_id),
        "Email": account.email,
        "Name": account.name,
        "Status": account.status,
        "State": account.status,
        "JoinedMethod": account.joined_method,
        "JoinedTimestamp": account.joined,
    }
