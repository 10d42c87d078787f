"""From an audit report to a plan, and, asked to, to the change, made safely.

A report is evidence, not authority. The plan is what it says is shared outside (a share it
classes ``external``), never the owner's account, a member, an allowlisted or accepted account,
or one whose membership it could not tell (``unknown``). Applying it acts on the present: the
caller's organization is read again first, and a share with any of its accounts (or its
management account, or the caller's) is never removed, whatever the report says; when the
organization cannot be read, only accounts the user names are unshared. The report must be for
accounts the caller reaches. Then each image's shares are read again (an account no longer shared
is already done), the accounts are unshared one by one, and the shares are read once more to
verify. Every action is reported as it happens, so a run that stops half-way can be run again and
does only what is left. Images shared *into* an account are never planned: only their owner can
remove that share.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

from imgperms_async._client import ImagePermissionsClient
from imgperms_async._client_config import ClientConfig
from imgperms_async._exceptions import ClientError, InvalidSettingError, error_code
from imgperms_async._http import Transport
from imgperms_async._identity import Identity
from imgperms_async._organization._accounts import Account
from imgperms_async._organization._reach import Membership, Reach
from imgperms_async._organization._roles import Role
from imgperms_async._records import ImageRecord, InboundRecord, Record
from imgperms_async._stats import AuditTotals

Outcome = Literal["already_done", "unshared", "failed", "verified", "still_shared"]
SCOPES_IN_FLIGHT: Final = 16
"""Scopes changed at once: writes are few, and each is read before and after."""

INBOUND_ADVICE: Final = (
    "an image shared into your account can only be unshared by its owner: ask the owner to "
    "remove the share, and do not launch WorkSpaces from the image meanwhile"
)


class UnshareRefused(InvalidSettingError):
    """The plan cannot be applied as asked: nothing was changed; the message says why."""


@dataclass(frozen=True, slots=True)
class Unshare:
    """One image and the accounts to take out of its shares; ``account_id`` ``None`` is the
    caller's own account (a one-account report does not name it)."""

    account_id: str | None
    account_name: str | None
    region: str
    image_id: str
    accounts: tuple[str, ...]

    def to_json(self) -> dict[str, object]:
        return {
            "account_id": self.account_id,
            "account_name": self.account_name,
            "region": self.region,
            "image_id": self.image_id,
            "unshare_account_ids": list(self.accounts),
        }


@dataclass(frozen=True, slots=True)
class Plan:
    unshares: tuple[Unshare, ...]
    left_alone: tuple[tuple[str, str], ...] = ()
    """(account, why) for each account named that this plan may not touch."""
    inbound: int = 0
    """Images shared into the audited accounts, which unshare never touches."""

    @property
    def count(self) -> int:
        return sum(len(unshare.accounts) for unshare in self.unshares)


def plan_unshares(
    records: Sequence[Record],
    *,
    images: Iterable[str] = (),
    owners: Iterable[str] = (),
    shared_with: Iterable[str] = (),
    allowlist: Iterable[str] = (),
    regions: Iterable[str] = (),
) -> Plan:
    """The external shares of a report, narrowed to ``images``, to the images of ``owners``,
    to the accounts ``shared_with`` and to ``regions`` when given. Naming an image, owner or
    region the report does not hold is an error: a typo must not plan nothing and call it done.

    An image is one unshare however many records the report has of it (a jsonl report that
    audits appended to holds it once a run), and an account any record protects (the owner, a
    member, allowlisted) is never planned, whatever another record says of it.
    """
    wanted_images, wanted_owners, wanted_accounts = set(images), set(owners), set(shared_with)
    wanted_regions = set(regions)
    allowed = set(allowlist)
    found = [record for record in records if isinstance(record, ImageRecord) and not record.gone]
    _refuse_unknown("image", wanted_images, {record.image_id for record in found})
    _refuse_unknown("account", wanted_owners, {r.account_id for r in found if r.account_id})
    _refuse_unknown("region", wanted_regions, {record.region for record in found})
    protected: dict[str, str] = {}
    for record in found:
        for account, why in _protected(record, allowed):
            protected.setdefault(account, why)
    targets: dict[tuple[str | None, str, str], dict[str, None]] = {}
    first: dict[tuple[str | None, str, str], ImageRecord] = {}
    for record in found:
        if wanted_images and record.image_id not in wanted_images:
            continue
        if wanted_owners and record.account_id not in wanted_owners:
            continue
        if wanted_regions and record.region not in wanted_regions:
            continue
        key = (record.account_id, record.region, record.image_id)
        first.setdefault(key, record)
        targets.setdefault(key, {}).update(
            dict.fromkeys(
                account
                for account in record.unexpected_account_ids
                if account not in protected
                and account not in allowed
                and account != record.account_id
                and (not wanted_accounts or account in wanted_accounts)
            )
        )
    # By owner, region and image: the same plan whatever order the report's records came in.
    unshares = tuple(
        Unshare(first[key].account_id, first[key].account_name, key[1], key[2], tuple(chosen))
        for key, chosen in sorted(
            targets.items(), key=lambda item: (item[0][0] or "", *item[0][1:])
        )
        if chosen
    )
    planned = {account for unshare in unshares for account in unshare.accounts}
    left_alone = tuple(
        (account, protected.get(account, "not shared outside in the report"))
        for account in sorted(wanted_accounts)
        if account not in planned
    )
    inbound = sum(isinstance(record, InboundRecord) for record in records)
    return Plan(unshares, left_alone, inbound)


def _refuse_unknown(what: str, wanted: set[str], present: set[str]) -> None:
    missing = sorted(wanted - present)
    if missing:
        raise UnshareRefused(
            error_msg=f"the report has no {what} {', '.join(map(repr, missing))}: nothing to "
            f"unshare there (check the {what} and the report)"
        )


def _protected(record: ImageRecord, allowlist: set[str]) -> Iterable[tuple[str, str]]:
    for account, share_class in zip(record.shared_account_ids, record.share_classes, strict=True):
        if account == record.account_id:
            yield account, "the image owner's own account"
        elif share_class == "organization":
            yield account, "a member of the organization"
        elif share_class == "allowlisted" or account in allowlist:
            yield account, "allowlisted"


@dataclass(frozen=True, slots=True)
class Action:
    """One step of applying a plan, as it happened."""

    unshare: Unshare
    account: str
    outcome: Outcome
    request_id: str | None = None
    error: BaseException | str | None = None


@dataclass
class Applied:
    """What applying a plan came to: each failure is one of ``failures``."""

    unshared: int = 0
    already_done: int = 0
    failures: list[Action] = field(default_factory=list)
    left_alone: list[tuple[str, str]] = field(default_factory=list)
    """(account, why) for shares the plan had that applying it refused to remove."""
    totals: AuditTotals = field(default_factory=AuditTotals)


async def apply_unshares(
    plan: Plan,
    *,
    identity: Identity | None = None,
    role: Role | None = None,
    accounts: Mapping[str, Account] | None = None,
    named: Iterable[str] = (),
    config: ClientConfig | None = None,
    transport: Transport | None = None,
    on_action: Callable[[Action], None] = lambda action: None,
) -> Applied:
    """Carry the plan out, scope by scope, image by image, and report each ``Action``.

    ``accounts`` are those the audit reached through roles or profiles of their own (an
    accounts file); ``named`` the accounts the user asked to unshare by name, the only ones
    unshared when the caller cannot read its organization. Raises ``UnshareRefused`` before any
    change when the report is not for accounts the caller reaches.
    """
    applied = Applied()
    reach = Reach(
        identity or Identity(),
        role=role or Role(),
        config=config or ClientConfig(),
        scope_config=config or ClientConfig(),
        transport=transport,
        fallback_regions=tuple(dict.fromkeys(u.region for u in plan.unshares)),
    )
    async with reach:
        try:
            plan = await _authorized(plan, reach, accounts or {}, set(named), applied)
            await _apply(plan, reach, accounts or {}, applied, on_action)
        finally:
            applied.totals = reach.totals
    return applied


async def _authorized(
    plan: Plan, reach: Reach, accounts: Mapping[str, Account], named: set[str], applied: Applied
) -> Plan:
    """The plan as the present allows it: owners the caller reaches, and no share with the
    caller's organization, read now."""
    caller = await reach.caller_account_id()
    membership = await reach.membership()
    members = membership.members
    never = {caller}
    if membership.facts is not None:
        never.add(membership.facts.management_account_id)
    reachable = {caller, *accounts} | (members or set())
    strangers = sorted(
        {u.account_id for u in plan.unshares if u.account_id is not None} - reachable
    )
    if strangers:
        raise UnshareRefused(
            error_msg=f"the report is for account {', '.join(strangers)}, which "
            + (
                "is not in your organization"
                if members is not None
                else "these credentials do not reach (give its role with --accounts-file), and"
                " your organization's accounts could not be listed" + _unlisted(membership)
            )
            + ": nothing was changed"
        )
    if members is None and not named:
        raise UnshareRefused(
            error_msg="cannot read your organization's accounts (ListAccounts)"
            + _unlisted(membership)
            + ", so a member could not be told from an outsider: name the accounts to unshare"
            " (--shared-account); nothing was changed"
        )
    kept: list[Unshare] = []
    for unshare in plan.unshares:
        chosen: list[str] = []
        for account in unshare.accounts:
            if account in never or (members is not None and account in members):
                applied.left_alone.append((account, "a member of your organization, read now"))
            elif members is None and account not in named:
                applied.left_alone.append((account, "not named, and the organization is unknown"))
            else:
                chosen.append(account)
        if chosen:
            owner = unshare.account_id or caller
            kept.append(
                Unshare(
                    owner, unshare.account_name, unshare.region, unshare.image_id, tuple(chosen)
                )
            )
    return Plan(tuple(kept), plan.left_alone, plan.inbound)


def _unlisted(membership: Membership) -> str:
    """AWS's answer when the organization's accounts could not be listed, as a refusal quotes
    it: it names what to grant (organizations:ListAccounts)."""
    why = membership.refusal
    if why is None:
        return ""
    response = getattr(why, "response", None)
    message = response.get("Error", {}).get("Message") if isinstance(response, dict) else None
    return f" ({error_code(why)}: {message or why})"


async def _apply(
    plan: Plan,
    reach: Reach,
    accounts: Mapping[str, Account],
    applied: Applied,
    on_action: Callable[[Action], None],
) -> None:
    by_scope: dict[tuple[str, str], list[Unshare]] = {}
    for unshare in plan.unshares:
        assert unshare.account_id is not None  # every owner is known once authorized
        by_scope.setdefault((unshare.account_id, unshare.region), []).append(unshare)
    slots = asyncio.Semaphore(SCOPES_IN_FLIGHT)
    caller = await reach.caller_account_id()

    def report(action: Action) -> None:
        if action.outcome == "verified":
            applied.unshared += 1
        elif action.outcome == "already_done":
            applied.already_done += 1
        elif action.outcome in ("failed", "still_shared"):
            applied.failures.append(action)
        on_action(action)

    async def scope(owner: str, region: str, unshares: Sequence[Unshare]) -> None:
        async with slots:
            try:
                account = accounts.get(owner) or Account(owner)
                credentials = (
                    reach.caller_credentials
                    if owner == caller and account.role_arn is None and account.profile is None
                    else await reach.credentials(account)
                )
                async with reach.workspaces(region, credentials) as client:
                    for unshare in unshares:
                        await _apply_one(client, unshare, report)
            except Exception as error:
                for unshare in unshares:
                    for shared in unshare.accounts:
                        report(Action(unshare, shared, "failed", error=error))

    await asyncio.gather(
        *(scope(owner, region, unshares) for (owner, region), unshares in by_scope.items())
    )


async def _apply_one(
    client: ImagePermissionsClient, unshare: Unshare, report: Callable[[Action], None]
) -> None:
    try:
        before = set(await _shares(client, unshare.image_id))
    except Exception as error:
        for account in unshare.accounts:
            report(Action(unshare, account, "failed", error=error))
        return
    unshared: list[str] = []
    for account in unshare.accounts:
        if account not in before:
            report(Action(unshare, account, "already_done"))
            continue
        try:
            response = await client.update_workspace_image_permission(
                ImageId=unshare.image_id, SharedAccountId=account, AllowCopyImage=False
            )
        except Exception as error:
            report(Action(unshare, account, "failed", _request_id(error), error))
            continue
        report(Action(unshare, account, "unshared", _request_id(response)))
        unshared.append(account)
    if not unshared:
        return
    try:
        after = set(await _shares(client, unshare.image_id))
    except Exception as error:
        for account in unshared:
            report(Action(unshare, account, "failed", error=error))
        return
    for account in unshared:
        if account in after:
            report(Action(unshare, account, "still_shared", error="still shared after unsharing"))
        else:
            report(Action(unshare, account, "verified"))


async def _shares(client: ImagePermissionsClient, image_id: str) -> list[str]:
    return [
        entry["SharedAccountId"]
        async for page in client.paginate_image_permissions(image_id)
        for entry in page["ImagePermissions"]
        if "SharedAccountId" in entry
    ]


def _request_id(answer: BaseException | Mapping[str, object]) -> str | None:
    if isinstance(answer, ClientError):
        metadata: object = answer.response.get("ResponseMetadata", {})
    elif isinstance(answer, Mapping):
        metadata = answer.get("ResponseMetadata", {})
    else:
        return None
    value = metadata.get("RequestId") if isinstance(metadata, dict) else None
    return value if isinstance(value, str) else None
