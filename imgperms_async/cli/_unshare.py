"""``imgperms unshare``: from an audit report to a plan, and, asked to, to the change, made safely.

The plan is what the report says is shared outside: the ``external`` accounts of an organization
audit, or those outside the allowlist of a one-account audit; never the image owner's account, a
member of the organization or an allowlisted account. Applying it acts on the present, not on the
report: each image's shares are read again first (an account no longer shared is already done),
the accounts are unshared one by one, and the shares are read once more to verify. Every action
is appended to the action log as it happens, so a run that stops half-way can be run again and
does only what is left.
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
import json
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from rich.console import Console
from rich.table import Table
from rich.text import Text

from imgperms_async import Account, ClientConfig, ClientError, ImagePermissionsClient, error_code
from imgperms_async._botocore_settings import BotocoreSession
from imgperms_async._control_plane import caller_account
from imgperms_async._scopes import Roles, ScopeReach
from imgperms_async.cli._errors import SetupError, SetupFailed
from imgperms_async.cli._execute import run_event_loop
from imgperms_async.cli._literal import literal
from imgperms_async.cli._output import OutputError, Sink, open_output
from imgperms_async.cli._records import ErrorInfo
from imgperms_async.cli._reports import Report, ReportedImage
from imgperms_async.cli._summary import plural

Outcome = Literal["already_done", "unshared", "failed", "verified", "still_shared"]
PlanFormat = Literal["table", "json", "jsonl"]
ClientFor = Callable[[str | None, str], Awaitable[ImagePermissionsClient]]
"""An unopened client for (owner account, region); ``None`` is the caller's own account."""

SCOPES_AT_ONCE = 16


@dataclass(frozen=True, slots=True)
class Unshare:
    """One image and the accounts to take out of its shares."""

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
    left_alone: tuple[tuple[str, str], ...]
    """(account, why) for each account asked for by name that this plan may not touch."""

    @property
    def count(self) -> int:
        return sum(len(unshare.accounts) for unshare in self.unshares)

    def describe(self) -> str:
        owners = {unshare.account_id for unshare in self.unshares}
        where = f" in {plural(len(owners), 'account')}" if None not in owners else ""
        return f"{plural(self.count, 'unshare')} on {plural(len(self.unshares), 'image')}{where}"


def plan_from(
    report: Report,
    *,
    images: frozenset[str] | None,
    accounts: frozenset[str] | None,
    allowlist: frozenset[str],
) -> Plan:
    """The external shares of the report, narrowed to ``images`` and ``accounts`` when given.

    An image is one unshare however many records the report has of it (a jsonl report that
    audits appended to holds it once a run), and an account any record protects (the owner, a
    member, allowlisted) is never planned, whatever another record says of it."""
    protected: dict[str, str] = {}
    for image in report.images:
        for account, why in _protected(image, allowlist):
            protected.setdefault(account, why)
    targets: dict[tuple[str | None, str, str], dict[str, None]] = {}
    found: dict[tuple[str | None, str, str], ReportedImage] = {}
    for image in report.images:
        if images is not None and image.image_id not in images:
            continue
        found.setdefault(image.key, image)
        targets.setdefault(image.key, {}).update(
            dict.fromkeys(
                account
                for account in _external(image)
                if account not in protected
                and account not in allowlist
                and account != image.account_id
                and (accounts is None or account in accounts)
            )
        )
    unshares = []
    for key, chosen in targets.items():
        if chosen:
            image = found[key]
            unshares.append(
                Unshare(image.account_id, image.account_name, image.region, key[2], tuple(chosen))
            )
    planned = {account for unshare in unshares for account in unshare.accounts}
    left_alone = tuple(
        (account, protected.get(account, "not shared outside in the report"))
        for account in sorted(accounts or ())
        if account not in planned
    )
    return Plan(tuple(unshares), left_alone)


def _external(image: ReportedImage) -> tuple[str, ...]:
    if image.share_classes is not None:
        return tuple(a for a in image.shared_account_ids if image.share_classes[a] == "external")
    return image.unexpected_account_ids


def _protected(image: ReportedImage, allowlist: frozenset[str]) -> Iterable[tuple[str, str]]:
    for account in image.shared_account_ids:
        share_class = (image.share_classes or {}).get(account)
        if account == image.account_id:
            yield account, "the image owner's own account"
        elif share_class == "organization":
            yield account, "a member of the organization"
        elif share_class == "allowlisted" or account in allowlist:
            yield account, "allowlisted"


class ActionLog:
    """One json line per action, flushed as it happens: what was done, to what, and when."""

    def __init__(self, sink: Sink) -> None:
        self._sink = sink
        self.name = sink.name

    def write(
        self,
        unshare: Unshare,
        account: str,
        outcome: Outcome,
        *,
        request_id: str | None = None,
        error: BaseException | None = None,
    ) -> None:
        entry = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "account_id": unshare.account_id,
            "region": unshare.region,
            "image_id": unshare.image_id,
            "shared_account_id": account,
            "outcome": outcome,
            "request_id": request_id,
            "error": None if error is None else ErrorInfo.of(error).to_json(),
        }
        self._sink.write(json.dumps(entry) + "\n")


@dataclass(frozen=True, slots=True)
class Failure:
    unshare: Unshare
    account: str
    why: str

    def describe(self) -> str:
        owner = f"account {self.unshare.account_id}, " if self.unshare.account_id else ""
        return (
            f"{owner}{literal(self.unshare.region)}, {literal(self.unshare.image_id)}, "
            f"{self.account}: {literal(self.why)}"
        )


@dataclass
class Applied:
    """What applying a plan came to: failures are named, one each."""

    unshared: int = 0
    already_done: int = 0
    failures: list[Failure] = field(default_factory=list)


async def apply(plan: Plan, client_for: ClientFor, log: ActionLog) -> Applied:
    """Carry the plan out, scope by scope (up to ``SCOPES_AT_ONCE`` at once), image by image."""
    applied = Applied()
    by_scope: dict[tuple[str | None, str], list[Unshare]] = {}
    for unshare in plan.unshares:
        by_scope.setdefault((unshare.account_id, unshare.region), []).append(unshare)
    slots = asyncio.Semaphore(SCOPES_AT_ONCE)

    async def scope(key: tuple[str | None, str], unshares: Sequence[Unshare]) -> None:
        async with slots:
            try:
                client = await client_for(*key)
                async with client:
                    for unshare in unshares:
                        await _apply_one(client, unshare, log, applied)
            except Exception as error:
                for unshare in unshares:
                    _fail_all(unshare, error, log, applied, done=set())

    await asyncio.gather(*(scope(key, unshares) for key, unshares in by_scope.items()))
    return applied


async def _apply_one(
    client: ImagePermissionsClient, unshare: Unshare, log: ActionLog, applied: Applied
) -> None:
    try:
        before = set(await _shares(client, unshare.image_id))
    except Exception as error:
        _fail_all(unshare, error, log, applied, done=set())
        return
    unshared: list[str] = []
    for account in unshare.accounts:
        if account not in before:
            log.write(unshare, account, "already_done")
            applied.already_done += 1
            continue
        try:
            response = await client.update_workspace_image_permission(
                ImageId=unshare.image_id, SharedAccountId=account, AllowCopyImage=False
            )
        except ClientError as error:
            log.write(unshare, account, "failed", error=error, request_id=_request_id(error))
            _failed(applied, unshare, account, error)
            continue
        except Exception as error:
            log.write(unshare, account, "failed", error=error)
            _failed(applied, unshare, account, error)
            continue
        log.write(unshare, account, "unshared", request_id=_request_id(response))
        unshared.append(account)
    if not unshared:
        return
    try:
        after = set(await _shares(client, unshare.image_id))
    except Exception as error:
        _fail_all(unshare, error, log, applied, done=set(unshare.accounts) - set(unshared))
        return
    for account in unshared:
        if account in after:
            log.write(unshare, account, "still_shared")
            _failed(applied, unshare, account, "still shared after unsharing")
        else:
            log.write(unshare, account, "verified")
            applied.unshared += 1


async def _shares(client: ImagePermissionsClient, image_id: str) -> list[str]:
    return [
        entry["SharedAccountId"]
        async for page in client.paginate_image_permissions(image_id)
        for entry in page["ImagePermissions"]
    ]


def _fail_all(
    unshare: Unshare, error: BaseException, log: ActionLog, applied: Applied, *, done: set[str]
) -> None:
    for account in unshare.accounts:
        if account not in done:
            log.write(unshare, account, "failed", error=error)
            _failed(applied, unshare, account, error)


def _failed(applied: Applied, unshare: Unshare, account: str, why: BaseException | str) -> None:
    text = why if isinstance(why, str) else f"{error_code(why)}: {ErrorInfo.of(why).message}"
    applied.failures.append(Failure(unshare, account, text))


def _request_id(answer: ClientError | dict[str, object]) -> str | None:
    metadata = (
        answer.response.get("ResponseMetadata", {})
        if isinstance(answer, ClientError)
        else (answer.get("ResponseMetadata", {}))
    )
    value = metadata.get("RequestId") if isinstance(metadata, dict) else None
    return value if isinstance(value, str) else None


def render_plan(plan: Plan, output_format: PlanFormat) -> str:
    """The plan as a table for a person, or json/jsonl for a script (one image a record)."""
    if output_format == "json":
        return json.dumps([unshare.to_json() for unshare in plan.unshares], indent=2) + "\n"
    if output_format == "jsonl":
        return "".join(json.dumps(unshare.to_json()) + "\n" for unshare in plan.unshares)
    table = Table(caption=Text(f"plan: {plan.describe()}"), caption_justify="left")
    for column in ("account", "region", "image", "unshare"):
        table.add_column(column)
    for unshare in plan.unshares:
        owner = unshare.account_id or ""
        if unshare.account_name:
            owner += f" ({unshare.account_name})"
        table.add_row(
            Text(literal(owner)),
            Text(literal(unshare.region)),
            Text(literal(unshare.image_id)),
            Text(" ".join(unshare.accounts)),
        )
    buffer = io.StringIO()
    Console(file=buffer, width=120, no_color=True, highlight=False).print(table)
    return buffer.getvalue()


@contextmanager
def open_action_log(path: Path) -> Iterator[ActionLog]:
    """The action log, appended to (a rerun adds to the same story), checked before any change."""
    try:
        sink = open_output(path, append=True)
    except OutputError as error:
        raise SetupError(str(error)) from None
    try:
        yield ActionLog(sink)
    finally:
        sink.commit()


def run_unshare(
    plan: Plan,
    log: ActionLog,
    *,
    organization: bool,
    accounts: dict[str, Account],
    roles: Roles,
    home_region: str | None,
    profile: str | None,
    endpoint_url: str | None,
    config: ClientConfig,
) -> Applied:
    """Apply the plan in an event loop: as the caller for a one-account report, else through
    the same roles the organization audit assumed.

    A one-account report does not say whose images it holds: the caller's account is asked
    first (STS), so the action log and the failures name it, and credentials that do not work
    stop the run before any change."""

    async def one_account() -> Applied:
        if not plan.unshares:
            return Applied()
        try:
            account_id = await asyncio.to_thread(
                _caller, profile, endpoint_url, home_region or plan.unshares[0].region
            )
        except Exception as error:
            raise SetupFailed(error, profile=profile) from error
        owned = dataclasses.replace(
            plan,
            unshares=tuple(
                dataclasses.replace(unshare, account_id=account_id) for unshare in plan.unshares
            ),
        )

        async def client_for(account_id: str | None, region: str) -> ImagePermissionsClient:
            return ImagePermissionsClient(
                region_name=region, endpoint_url=endpoint_url, profile_name=profile, config=config
            )

        return await apply(owned, client_for, log)

    async def across_accounts() -> Applied:
        try:
            reach = ScopeReach(
                roles=roles,
                region_name=home_region,
                regions=tuple(dict.fromkeys(unshare.region for unshare in plan.unshares)),
                endpoint_url=endpoint_url,
                profile_name=profile,
                aws_access_key_id=None,
                aws_secret_access_key=None,
                aws_session_token=None,
                concurrency=SCOPES_AT_ONCE,
                scope_concurrency=1,
                config=config,
                transport=None,
            )
            await reach.__aenter__()
        except Exception as error:
            raise SetupFailed(error, profile=profile) from error
        try:

            async def client_for(account_id: str | None, region: str) -> ImagePermissionsClient:
                account = accounts.get(account_id or "") or Account(account_id or "")
                return await reach.client(account, region)

            return await apply(plan, client_for, log)
        finally:
            await reach.__aexit__(None, None, None)

    applied: list[Applied] = []

    async def main() -> None:
        applied.append(await (across_accounts() if organization else one_account()))

    run_event_loop(main())
    return applied[0]


def _caller(profile: str | None, endpoint_url: str | None, region: str) -> str:
    return caller_account(BotocoreSession(profile_name=profile, endpoint_url=endpoint_url), region)
