"""Authorizing each request by its caller's identity-based policy, and AssumeRole into a member
by the role's trust policy, with AWS's words for a refusal.

The emulator's own keys answer to the caller policy, sessions of the organization's role in a
member to the member policy; without a policy, a caller may do anything (as before policies).
sts:GetCallerIdentity needs no permission, as on AWS.
"""

from __future__ import annotations

from collections.abc import Iterable

from .._identity import Principal
from .._model.accounts import World
from .._options import InvalidOption
from .._services import Call, Permission, Service
from .evaluation import Context, Decision, decide
from .policy import Policy, PolicySource, load_policy

__all__ = ["Authorizer", "TrustPolicy", "configured_iam", "request_context"]


def request_context(
    principal: Principal, region: str, organization_id: str | None, extra: Context
) -> dict[str, str]:
    """The condition keys a request carries: who calls, where, and what it asks itself."""
    context = {
        "aws:principalaccount": principal.account_id,
        "aws:principalarn": principal.principal_arn,
        "aws:requestedregion": region,
        "aws:securetransport": "false",
        **{key.lower(): value for key, value in extra.items()},
    }
    if organization_id is not None:
        context["aws:principalorgid"] = organization_id
    return context


def _sentence(principal: Principal, permission: Permission, decision: Decision) -> str:
    """IAM's words: the caller, the action, the resource (unless "*"), and why."""
    action = permission.action
    resource = "" if permission.resource == "*" else f" on resource: {permission.resource}"
    head = f"User: {principal.arn} is not authorized to perform: {action}{resource}"
    if decision is Decision.EXPLICIT_DENY:
        return f"{head} with an explicit deny in an identity-based policy"
    return f"{head} because no identity-based policy allows the {action} action"


class Authorizer:
    """Checks every permission a request needs against its caller's identity-based policy."""

    def __init__(
        self, *, caller: Policy | None, member: Policy | None, organization_id: str | None
    ) -> None:
        self._caller = caller
        self._member = member
        self._organization_id = organization_id

    def check(self, service: Service, permissions: Iterable[Permission], call: Call) -> None:
        """Return when IAM allows them all; raise the service's AccessDenied for the first not."""
        principal = call.principal
        policy = self._caller if principal.role_arn is None else self._member
        if policy is None:
            return
        for permission in permissions:
            context = request_context(
                principal, call.region, self._organization_id, permission.context
            )
            decision = decide(policy, permission.action, context, resource=permission.resource)
            if decision is not Decision.ALLOWED:
                raise service.access_denied.error(_sentence(principal, permission, decision))


class TrustPolicy:
    """A member role's trust policy: who may assume the role, under which conditions."""

    def __init__(self, policy: Policy, organization_id: str | None) -> None:
        self._policy = policy
        self._organization_id = organization_id

    def allows(self, principal: Principal, region: str, external_id: str | None) -> bool:
        """Whether the policy lets `principal` assume the role: it must be named, by its
        account (`123456789012`, `arn:aws:iam::123456789012:root`), its ARN, or "*"."""
        names = {
            principal.account_id,
            f"arn:aws:iam::{principal.account_id}:root",
            principal.arn,
            principal.principal_arn,
        }
        extra = {} if external_id is None else {"sts:ExternalId": external_id}
        context = request_context(principal, region, self._organization_id, extra)
        decision = decide(self._policy, "sts:AssumeRole", context, principals=names)
        return decision is Decision.ALLOWED


def configured_iam(
    world: World,
    *,
    caller_policy: PolicySource | None,
    member_policy: PolicySource | None,
    member_trust_policy: PolicySource | None,
) -> tuple[Authorizer | None, TrustPolicy | None]:
    """The Emulator's policy arguments, read and checked: an authorizer when an identity policy
    is given, a trust policy when one is; the member ones need an organization."""
    organization = world.organization
    for argument, given in (
        ("member_policy", member_policy),
        ("member_trust_policy", member_trust_policy),
    ):
        if given is not None and organization is None:
            raise InvalidOption(argument, "needs an organization (accounts)")
    organization_id = None if organization is None else organization.organization_id
    authorizer = None
    if caller_policy is not None or member_policy is not None:
        authorizer = Authorizer(
            caller=None if caller_policy is None else load_policy("caller_policy", caller_policy),
            member=None if member_policy is None else load_policy("member_policy", member_policy),
            organization_id=organization_id,
        )
    trust = None
    if member_trust_policy is not None:
        trust = TrustPolicy(
            load_policy("member_trust_policy", member_trust_policy, trust=True), organization_id
        )
    return authorizer, trust
