"""An audit's findings imported into AWS Security Hub, so its view is the audit's truth.

Security Hub accepts a finding only from the account its ``AwsAccountId`` names, so each finding
goes to the account that owns the image (through the role the audit assumed there), in the
image's region. A finding is one share outside (or unjudged): its ``Id`` is stable from run to
run (region, account, image, the account shared with), so a rerun updates it instead of adding
another; and a finding of an earlier import whose share is gone (unshared, accepted by an
exception, the image deleted) is imported again as ``PASSED`` and ``ARCHIVED``, as Security Hub
asks finding providers to resolve one, provided the run looked at it (``_Looked``). Findings go
in batches of at most 100, paced within BatchImportFindings' limit (10 requests per second, burst
30, per account and region); reading what is there is GetFindings (3 per second, burst 6). Every
finding Security Hub refuses is reported with its error, never dropped. A dry run reads, and
reports what it would import.
"""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from imgperms_async._audit import Audit
from imgperms_async._compliance import related_requirements
from imgperms_async._exceptions import InvalidSettingError
from imgperms_async._paginate import PageTokens
from imgperms_async._pipeline import ServiceClient
from imgperms_async._records import ImageRecord, InboundRecord, Record, ScopeRecord
from imgperms_async._regions import partition_of

GENERATOR_ID: Final = "imgperms-async/workspaces-image-sharing"
SCHEMA_VERSION: Final = "2018-10-08"
BATCH_SIZE: Final = 100
"""BatchImportFindings' most findings a call."""
IMPORT_RATE_PER_SEC: Final = 10.0
IMPORT_BURST: Final = 29
"""Security Hub's 10 per second, burst 30, less one of slack for the clocks' jitter."""
READ_RATE_PER_SEC: Final = 3.0
READ_BURST: Final = 5
"""GetFindings' 3 per second, burst 6, less one."""
SCOPES_IN_FLIGHT: Final = 16


@dataclass(frozen=True, slots=True)
class FailedFinding:
    finding_id: str
    code: str
    message: str


@dataclass
class ScopeImport:
    """What one (account, region) import came to."""

    account_id: str | None
    region: str
    imported: int = 0
    resolved: int = 0
    failed: list[FailedFinding] = field(default_factory=list)
    error: Exception | None = None


@dataclass
class SecurityHubImport:
    """Every scope's import; ``dry_run`` counts what would have been imported and resolved."""

    dry_run: bool
    scopes: list[ScopeImport] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return sum(scope.imported for scope in self.scopes)

    @property
    def resolved(self) -> int:
        return sum(scope.resolved for scope in self.scopes)

    @property
    def failures(self) -> list[tuple[ScopeImport, FailedFinding | None]]:
        found: list[tuple[ScopeImport, FailedFinding | None]] = []
        for scope in self.scopes:
            if scope.error is not None:
                found.append((scope, None))
            found += [(scope, failed) for failed in scope.failed]
        return found


@dataclass(frozen=True, slots=True)
class _Looked:
    """What a run looked at in one scope: an earlier finding is resolved only when the run could
    have seen it again, never because it did not look (images given, not listed; an image it
    could not read; images shared in, not listed this time)."""

    listed: bool
    """Every image of the scope was listed: one missing from the run is gone."""
    audited: frozenset[str]
    failed: frozenset[str]
    inbound: bool

    def may_resolve(self, finding: str) -> bool:
        parts = finding.split("/")
        if len(parts) != 6:  # not the Id ``finding_id`` makes: leave it be
            return False
        kind, image = parts[1], parts[4]
        if kind == "shared-in":
            return self.inbound
        return image not in self.failed and (self.listed or image in self.audited)


def finding_id(account_id: str, region: str, image_id: str, other_account: str, kind: str) -> str:
    """Stable for the same share, so a rerun updates rather than adds."""
    return f"imgperms/{kind}/{region}/{account_id}/{image_id}/{other_account}"


async def import_findings(
    audit: Audit,
    records: Sequence[Record],
    *,
    dry_run: bool = False,
    now: datetime.datetime | None = None,
) -> SecurityHubImport:
    """Import ``records``' findings into every scope the audit audited (and resolve those no
    longer true there); ``audit`` must still be open, as it reaches each account."""
    if audit.caller_account_id is None and any(
        isinstance(r, ImageRecord | InboundRecord | ScopeRecord) and r.account_id is None
        for r in records
    ):
        # Without it, the caller's findings would be dropped and its earlier ones resolved.
        raise InvalidSettingError(
            error_msg="findings of the caller's own account need its account id: audit it "
            "with identify_caller=True"
        )
    at = (now or datetime.datetime.now(datetime.UTC)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    audited = {
        (r.account_id, r.region)
        for r in records
        if isinstance(r, ScopeRecord) and r.status == "audited" and r.region is not None
    }
    findings: dict[tuple[str | None, str], list[dict[str, Any]]] = {scope: [] for scope in audited}
    for record in records:
        if isinstance(record, ImageRecord | InboundRecord):
            for finding in _findings_of(record, audit.caller_account_id, at):
                findings.setdefault((record.account_id, record.region), []).append(finding)
    images: dict[tuple[str | None, str, bool], set[str]] = {}
    for record in records:
        if isinstance(record, ImageRecord) and not record.gone:
            key = (record.account_id, record.region, record.error is None)
            images.setdefault(key, set()).add(record.image_id)
    result = SecurityHubImport(dry_run)
    slots = asyncio.Semaphore(SCOPES_IN_FLIGHT)

    async def scope(key: tuple[str | None, str]) -> None:
        looked = _Looked(
            listed=audit.lists_images,
            audited=frozenset(images.get((*key, True), ())),
            failed=frozenset(images.get((*key, False), ())),
            inbound=audit.inbound,
        )
        async with slots:
            result.scopes.append(
                await _import_scope(audit, key, findings.get(key, []), looked, dry_run, at)
            )

    await asyncio.gather(*(scope(key) for key in sorted(audited, key=str)))
    return result


def _findings_of(
    record: ImageRecord | InboundRecord, caller: str | None, at: str
) -> Iterable[dict[str, Any]]:
    if isinstance(record, ImageRecord) and record.error is None and not record.gone:
        owner = record.account_id or caller
        if owner is None:
            return
        for account, share_class in zip(
            record.shared_account_ids, record.share_classes, strict=True
        ):
            if share_class in ("external", "unknown"):
                yield _finding(
                    owner, record.region, record.image_id, account, share_class, at, inbound=False
                )
    elif isinstance(record, InboundRecord) and not record.gone:
        owner = record.account_id or caller
        if owner is not None and record.owner_class in ("external", "unknown"):
            yield _finding(
                owner,
                record.region,
                record.image_id,
                record.owner_account_id,
                record.owner_class,
                at,
                inbound=True,
            )


def _finding(
    account_id: str,
    region: str,
    image_id: str,
    other: str,
    share_class: str,
    at: str,
    *,
    inbound: bool,
) -> dict[str, Any]:
    partition = partition_of(region)
    outside = share_class == "external"
    kind = "shared-in" if inbound else "shared-out"
    if inbound:
        title = f"WorkSpaces image {image_id} is shared into this account by {other}"
        resource_owner = other
    else:
        title = f"WorkSpaces image {image_id} is shared with account {other}"
        resource_owner = account_id
    whom = "outside the organization and the allowlist" if outside else "of unknown membership"
    return {
        "SchemaVersion": SCHEMA_VERSION,
        "Id": finding_id(account_id, region, image_id, other, kind),
        "ProductArn": _product_arn(partition, region, account_id),
        "GeneratorId": GENERATOR_ID,
        "AwsAccountId": account_id,
        "Region": region,
        "Types": ["Software and Configuration Checks/AWS Security Best Practices/Data Exposure"],
        "CreatedAt": at,
        "UpdatedAt": at,
        "Severity": {"Label": "HIGH" if outside else "MEDIUM"},
        "Title": title[:256],
        "Description": (
            f"The WorkSpaces image {image_id} in {region} is "
            + (
                f"owned by {other}, an account {whom}, and shared into {account_id}."
                if inbound
                else f"shared with {other}, an account {whom}."
            )
        )[:1024],
        "Remediation": {
            "Recommendation": {
                "Text": (
                    "Only the image's owner can remove the share: ask them, and do not launch "
                    "WorkSpaces from it meanwhile."
                    if inbound
                    else "Unshare it: `imgperms unshare REPORT --apply`, or aws workspaces "
                    f"update-workspace-image-permission --region {region} --image-id {image_id} "
                    f"--shared-account-id {other} --no-allow-copy-image"
                )[:512]
            }
        },
        "Resources": [
            {
                "Type": "Other",
                "Id": f"arn:{partition}:workspaces:{region}:{resource_owner}:workspaceimage/{image_id}",
                "Partition": partition,
                "Region": region,
                "Details": {"Other": {"SharedAccountId": other, "ShareClass": share_class}},
            }
        ],
        "Compliance": {
            "Status": "FAILED" if outside else "WARNING",
            "RelatedRequirements": related_requirements()[:32],
        },
        "RecordState": "ACTIVE",
    }


def _resolved(existing: dict[str, Any], at: str) -> dict[str, Any]:
    """A finding of an earlier import, no longer true: the same Id, newer, passed, archived."""
    keep = (
        "SchemaVersion",
        "Id",
        "ProductArn",
        "GeneratorId",
        "AwsAccountId",
        "Types",
        "CreatedAt",
        "Title",
        "Description",
        "Resources",
        "Region",
    )
    finding = {name: existing[name] for name in keep if name in existing}
    finding["UpdatedAt"] = at
    finding["Severity"] = {"Label": "INFORMATIONAL"}
    finding["Compliance"] = {"Status": "PASSED", "RelatedRequirements": related_requirements()[:32]}
    finding["RecordState"] = "ARCHIVED"
    return finding


def _product_arn(partition: str, region: str, account_id: str) -> str:
    return f"arn:{partition}:securityhub:{region}:{account_id}:product/{account_id}/default"


async def _import_scope(
    audit: Audit,
    key: tuple[str | None, str],
    current: list[dict[str, Any]],
    looked: _Looked,
    dry_run: bool,
    at: str,
) -> ScopeImport:
    account_id, region = key
    outcome = ScopeImport(account_id, region)
    try:
        reader = await audit.service_client(
            "securityhub",
            account_id=account_id,
            region=region,
            max_rate=READ_RATE_PER_SEC,
            burst=READ_BURST,
        )
        owner = account_id or audit.caller_account_id
        active = await _active(reader, owner)
        created = {finding["Id"]: finding.get("CreatedAt") for finding in active}
        current_ids = {finding["Id"] for finding in current}
        for finding in current:
            if created.get(finding["Id"]):
                finding["CreatedAt"] = created[finding["Id"]]
        gone = [
            _resolved(finding, at)
            for finding in active
            if finding["Id"] not in current_ids and looked.may_resolve(finding["Id"])
        ]
        if dry_run:
            outcome.imported, outcome.resolved = len(current), len(gone)
            return outcome
        writer = await audit.service_client(
            "securityhub",
            account_id=account_id,
            region=region,
            max_rate=IMPORT_RATE_PER_SEC,
            burst=IMPORT_BURST,
        )
        for batch, resolving in _batches(current, gone):
            answer = await writer.call("BatchImportFindings", Findings=batch)
            failed = [
                FailedFinding(f.get("Id", ""), f.get("ErrorCode", ""), f.get("ErrorMessage", ""))
                for f in answer.get("FailedFindings", ())
            ]
            outcome.failed += failed
            done = len(batch) - len(failed)
            if resolving:
                outcome.resolved += done
            else:
                outcome.imported += done
    except Exception as error:
        outcome.error = error
    return outcome


async def _active(reader: ServiceClient, account_id: str | None) -> list[dict[str, Any]]:
    """This tool's ACTIVE findings in the account and region, every page."""
    filters: dict[str, Any] = {
        "GeneratorId": [{"Value": GENERATOR_ID, "Comparison": "EQUALS"}],
        "RecordState": [{"Value": "ACTIVE", "Comparison": "EQUALS"}],
    }
    if account_id is not None:
        filters["AwsAccountId"] = [{"Value": account_id, "Comparison": "EQUALS"}]
    found: list[dict[str, Any]] = []
    params: dict[str, Any] = {"Filters": filters, "MaxResults": 100}
    tokens = PageTokens()
    while True:
        page = await reader.call("GetFindings", **params)
        found += page.get("Findings", [])
        token = tokens.after(page)
        if token is None:
            return found
        params = {**params, "NextToken": token}


def _batches(
    current: list[dict[str, Any]], gone: list[dict[str, Any]]
) -> Iterable[tuple[list[dict[str, Any]], bool]]:
    """Batches of at most ``BATCH_SIZE``: the findings true now, then those resolved."""
    for findings, resolving in ((current, False), (gone, True)):
        for start in range(0, len(findings), BATCH_SIZE):
            yield findings[start : start + BATCH_SIZE], resolving
