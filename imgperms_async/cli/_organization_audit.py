"""An organization's audit: the library's ``OrganizationAudit`` driven to records, as results stream."""

from __future__ import annotations

import logging
from contextlib import aclosing
from dataclasses import dataclass, field

from imgperms_async import (
    Account,
    AuditTotals,
    ClientConfig,
    ImagePermissionsResult,
    OrganizationAudit,
    ScopeResult,
)
from imgperms_async._scopes import Roles
from imgperms_async.cli._baseline import Baseline
from imgperms_async.cli._errors import SetupFailed
from imgperms_async.cli._literal import literal
from imgperms_async.cli._progress import ProgressView
from imgperms_async.cli._recording import Recorder
from imgperms_async.cli._records import AuditRecord, Owner, ScopeRecord
from imgperms_async.cli._summary import plural
from imgperms_async.cli._writers import RecordWriter

logger = logging.getLogger("imgperms_async.cli")


@dataclass(frozen=True)
class OrganizationPlan:
    """An organization audit, checked: ``accounts`` ``None`` means every ACTIVE member, and
    ``regions`` ``None`` every WorkSpaces region."""

    accounts: tuple[Account, ...] | None
    regions: tuple[str, ...] | None
    roles: Roles
    allowlist: frozenset[str]
    concurrency: int
    config: ClientConfig
    region_name: str | None = None
    endpoint_url: str | None = None
    profile: str | None = None
    access_key: str | None = None
    secret_key: str | None = field(default=None, repr=False)
    baseline: Baseline | None = None

    def audit(self) -> OrganizationAudit:
        return OrganizationAudit(
            accounts=self.accounts,
            regions=self.regions,
            role_name=self.roles.role_name,
            role_arn_template=self.roles.role_arn_template,
            external_id=self.roles.external_id,
            allowlist=self.allowlist,
            region_name=self.region_name,
            endpoint_url=self.endpoint_url,
            profile_name=self.profile,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            concurrency=self.concurrency,
            config=self.config,
        )


class OrganizationRun:
    """The run of an organization plan, feeding records to a writer as results come."""

    def __init__(self, plan: OrganizationPlan, writer: RecordWriter) -> None:
        self._plan = plan
        self.recorder = Recorder(writer, baseline=plan.baseline)
        self.totals = AuditTotals()
        self._listed: list[tuple[str | None, str]] = []
        self._accounts = 0
        self._regions: set[str] = set()
        self._scopes_done = 0
        self._scopes_left: dict[str, int] = {}
        """Per account audited, its scopes not yet ended."""
        self._names: dict[str, str | None] = {}

    @property
    def where(self) -> str:
        return f"{plural(self._accounts, 'account')}, {plural(len(self._regions), 'region')}"

    @property
    def progress_total(self) -> int | None:
        return None

    @property
    def progress_unit(self) -> str:
        return "scopes"

    async def run(self, view: ProgressView) -> None:
        try:
            audit = self._plan.audit()
            await audit.__aenter__()
        except Exception as error:
            raise SetupFailed(error, profile=self._plan.profile) from error
        try:
            self._accounts = len(audit.accounts)
            self._names = {account.account_id: account.name for account in audit.accounts}
            self._scopes_left = {
                account.account_id: len(audit.regions_of(account)) for account in audit.accounts
            }
            view.set_total(sum(self._scopes_left.values()))
            self.totals = audit.totals
            logger.debug(
                "auditing %d accounts (%d skipped) in %s; organization %s",
                len(audit.accounts),
                len(audit.skipped),
                ", ".join(audit.regions),
                "known" if audit.members is not None else "unknown",
            )
            async with aclosing(audit.results()) as results:
                async for item in results:
                    self._add(audit, item)
                    view.advance(finished=self._scopes_done, detail=self._detail)
            self.recorder.finish(self._listed)
        finally:
            await audit.__aexit__(None, None, None)

    def _add(self, audit: OrganizationAudit, item: ImagePermissionsResult | ScopeResult) -> None:
        if isinstance(item, ScopeResult):
            self._end_scope(item)
            if item.status != "audited":
                self.recorder.add(ScopeRecord.of(item))
            elif item.region is not None:
                self._regions.add(item.region)
                self._listed.append((item.account_id, item.region))
            return
        account_id = item.account_id or ""
        owner = Owner(account_id, self._names.get(account_id))
        classes = tuple(audit.classify(account) for account in item.shared_account_ids)
        self.recorder.add(AuditRecord.in_organization(item, owner, classes))
        if item.error is not None:
            logger.debug(
                "%s %s %s failed",
                item.account_id,
                literal(item.region or ""),
                literal(item.image_id),
                exc_info=item.error,
            )

    def _end_scope(self, scope: ScopeResult) -> None:
        left = self._scopes_left.get(scope.account_id)
        if left is None:
            return  # an account skipped as not ACTIVE: never one to audit
        ended = left if scope.region is None else 1
        self._scopes_done += ended
        self._scopes_left[scope.account_id] = left - ended

    def _detail(self, _elapsed: float) -> str:
        accounts_done = sum(left == 0 for left in self._scopes_left.values())
        return (
            f"{accounts_done}/{self._accounts} accounts  "
            f"{self.recorder.tally.finished} images  {self.totals.throttles} throttles"
        )
