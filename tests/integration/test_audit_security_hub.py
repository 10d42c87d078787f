"""An audit's findings in the emulator's Security Hub (``import_findings``), read back with
boto3's ``get_findings`` in each account and region: one ACTIVE finding per share outside (or
unjudged), one per image shared in from outside; a share gone is ARCHIVED and PASSED on the
next import; batches of at most 100; a hub not enabled is that scope's error."""

from __future__ import annotations

import asyncio
import dataclasses
from contextlib import aclosing
from typing import Any

import pytest
from organization_support import EVERYWHERE, MANAGEMENT, MEMBERS, organization

from imgperms_async import (
    Account,
    Audit,
    ErrorInfo,
    ImageRecord,
    InvalidSettingError,
    SecurityHubImport,
    error_code,
    import_findings,
    record_of,
)
from imgperms_async.emulator import Emulator

from .audit_support import (
    ACROSS_ACCOUNTS,
    HANG_SECS,
    SOURCES,
    Outcome,
    Source,
    audit_of,
    audited_accounts,
    boto3_client,
    boto3_keys,
    requests_of,
)

pytestmark = pytest.mark.usefixtures("one_botocore_loader")
each_source = pytest.mark.parametrize("source", SOURCES)
across_accounts = pytest.mark.parametrize("source", ACROSS_ACCOUNTS)
GENERATOR_ID = "imgperms-async/workspaces-image-sharing"
FLAGGED = ("external", "unknown")
Scope = tuple[str, str]


async def audit_and_import(audit: Audit) -> tuple[Outcome, SecurityHubImport]:
    """The audit's results, then its findings imported while it is still open."""
    async with asyncio.timeout(HANG_SECS), audit:
        async with aclosing(audit.results()) as results:
            items = [item async for item in results]
        imported = await import_findings(audit, [record_of(item) for item in items])
    return Outcome(items, caller=audit.caller_account_id or MANAGEMENT), imported


def expected_findings(outcome: Outcome) -> dict[Scope, dict[str, str]]:
    """(account, region) -> the Id of each finding the audit implies -> its share's class."""
    found: dict[Scope, dict[str, str]] = {}
    for image in outcome.images:
        assert image.region is not None
        owner = outcome.owner(image.account_id)
        for account, share_class in zip(image.shared_account_ids, image.share_classes, strict=True):
            if share_class in FLAGGED:
                key = f"imgperms/shared-out/{image.region}/{owner}/{image.image_id}/{account}"
                found.setdefault((owner, image.region), {})[key] = share_class
    for shared in outcome.inbound:
        if shared.owner_class in FLAGGED:
            owner = outcome.owner(shared.account_id)
            key = (
                f"imgperms/shared-in/{shared.region}/{owner}/{shared.image_id}/"
                f"{shared.owner_account_id}"
            )
            found.setdefault((owner, shared.region), {})[key] = shared.owner_class
    return found


def boto3_findings(
    emu: Emulator, accounts: list[str], *, without: Scope | None = None, **filters: Any
) -> dict[Scope, dict[str, dict[str, Any]]]:
    """(account, region) -> Id -> finding, every page of boto3's get_findings, as each account
    reads its own hub in each region it has enabled (but ``without``)."""
    found: dict[Scope, dict[str, dict[str, Any]]] = {}
    for account in accounts:
        keys = boto3_keys(emu, account)
        for region in emu.scoped_truth.images[account]:
            if (account, region) == without:
                continue
            hub = boto3_client(emu, "securityhub", region, keys=keys)
            pages = hub.get_paginator("get_findings").paginate(
                Filters={
                    "GeneratorId": [{"Value": GENERATOR_ID, "Comparison": "EQUALS"}],
                    **filters,
                }
            )
            findings = {f["Id"]: f for page in pages for f in page["Findings"]}
            if findings:
                found[account, region] = findings
    return found


def active_filter() -> dict[str, Any]:
    return {"RecordState": [{"Value": "ACTIVE", "Comparison": "EQUALS"}]}


@each_source
async def test_the_active_findings_are_the_audits_shares_outside_and_images_shared_in(
    source: Source,
) -> None:
    with organization(inbound_outside=2) as emu:
        audit = audit_of(emu, source, inbound=True, identify_caller=True)
        outcome, imported = await audit_and_import(audit)
        accounts = audited_accounts(source, emu)
        read = await asyncio.to_thread(boto3_findings, emu, accounts, **active_filter())

    expected = expected_findings(outcome)
    assert {scope: set(findings) for scope, findings in read.items()} == {
        scope: set(ids) for scope, ids in expected.items()
    }
    assert imported.imported == sum(len(ids) for ids in expected.values()) > 0
    assert imported.failures == []
    for (account, region), findings in read.items():
        for finding_id, finding in findings.items():
            share_class = expected[account, region][finding_id]
            assert (finding["AwsAccountId"], finding["Region"]) == (account, region)
            assert finding["Compliance"]["Status"] == (
                "FAILED" if share_class == "external" else "WARNING"
            )
            assert finding["Severity"]["Label"] == (
                "HIGH" if share_class == "external" else "MEDIUM"
            )
    kinds = {finding_id.split("/")[1] for ids in expected.values() for finding_id in ids}
    assert kinds == {"shared-out", "shared-in"}


@across_accounts
async def test_a_share_removed_since_is_archived_and_passed_on_the_next_import(
    source: Source,
) -> None:
    with organization() as emu:
        first, _ = await audit_and_import(audit_of(emu, source))
        expected = expected_findings(first)
        (owner, region), ids = next(
            (scope, ids) for scope, ids in sorted(expected.items()) if len(ids) > 1
        )
        gone = sorted(ids)[0]
        image, shared_with = gone.split("/")[-2:]
        workspaces = await asyncio.to_thread(
            boto3_client, emu, "workspaces", region, account_id=owner
        )
        await asyncio.to_thread(
            workspaces.update_workspace_image_permission,
            ImageId=image,
            SharedAccountId=shared_with,
            AllowCopyImage=False,
        )
        _, again = await audit_and_import(audit_of(emu, source))
        read = await asyncio.to_thread(boto3_findings, emu, [owner])

    finding = read[owner, region][gone]
    assert (finding["RecordState"], finding["Compliance"]["Status"]) == ("ARCHIVED", "PASSED")
    assert again.resolved == 1
    still = {i: f["RecordState"] for i, f in read[owner, region].items() if i != gone}
    assert still == dict.fromkeys(set(ids) - {gone}, "ACTIVE")


@across_accounts
async def test_an_import_run_again_updates_the_same_findings_and_adds_none(source: Source) -> None:
    with organization() as emu:
        _, first = await audit_and_import(audit_of(emu, source))
        before = {scope: len(f) for scope, f in _stored(emu).items()}
        _, second = await audit_and_import(audit_of(emu, source))
        after = {scope: len(f) for scope, f in _stored(emu).items()}

    assert before == after
    assert second.imported == first.imported > 0
    assert second.resolved == 0


def _stored(emu: Emulator) -> dict[Scope, list[Any]]:
    return {
        (account, region): findings
        for account, regions in emu.findings.items()
        for region, findings in regions.items()
    }


async def test_findings_go_in_batches_of_at_most_100() -> None:
    """An account with more findings in a region than one batch holds: every one arrives, in
    as few batches as 100 a batch allows (the emulator refuses a batch of more)."""
    member = EVERYWHERE[0]
    with organization(inbound_outside=150) as emu:
        outcome, imported = await audit_and_import(
            audit_of(emu, accounts=[Account(member)], regions=["us-east-1"], inbound=True)
        )
        read = await asyncio.to_thread(boto3_findings, emu, [member], **active_filter())

    expected = expected_findings(outcome)[member, "us-east-1"]
    assert len(expected) > 100
    assert set(read[member, "us-east-1"]) == set(expected)
    batches = requests_of(emu, "securityhub", operation="BatchImportFindings")
    assert [r.error_code for r in batches] == [None] * (-(-len(expected) // 100))
    assert imported.imported == len(expected)


@across_accounts
async def test_a_region_without_security_hub_is_that_scopes_error_and_the_rest_is_imported(
    source: Source,
) -> None:
    disabled = (MEMBERS[0], "us-east-1")
    with organization(inbound_outside=2, securityhub_disabled=[disabled]) as emu:
        outcome, imported = await audit_and_import(audit_of(emu, source, inbound=True))
        read = await asyncio.to_thread(
            boto3_findings, emu, audited_accounts(source, emu), without=disabled, **active_filter()
        )

    [failed] = [scope for scope in imported.scopes if scope.error is not None]
    assert failed.error is not None
    assert ((failed.account_id, failed.region), error_code(failed.error)) == (
        disabled,
        "InvalidAccessException",
    )
    expected = expected_findings(outcome)
    del expected[disabled]
    assert {scope: set(f) for scope, f in read.items()} == {
        scope: set(ids) for scope, ids in expected.items()
    }


async def test_an_audit_that_did_not_ask_who_the_caller_is_resolves_no_finding_still_true() -> None:
    """The caller alone, not identified: its findings must not be dropped, nor its earlier
    ones archived as if every share were gone."""
    with organization(inbound_outside=2) as emu:
        await audit_and_import(audit_of(emu, "caller", inbound=True, identify_caller=True))
        before = await asyncio.to_thread(boto3_findings, emu, [MANAGEMENT], **active_filter())
        emu.reset_log()
        with pytest.raises(InvalidSettingError, match="identify_caller"):
            await audit_and_import(audit_of(emu, "caller", inbound=True))
        after = await asyncio.to_thread(boto3_findings, emu, [MANAGEMENT], **active_filter())

    assert before
    assert {scope: set(f) for scope, f in after.items()} == {
        scope: set(f) for scope, f in before.items()
    }


def _active_ids(emu: Emulator, account: str) -> dict[Scope, set[str]]:
    read = boto3_findings(emu, [account], **active_filter())
    return {scope: set(findings) for scope, findings in read.items()}


async def test_an_audit_of_some_images_resolves_no_finding_of_the_others() -> None:
    """Images given, not listed: what the audit did not look at is no evidence of anything."""
    with organization() as emu:
        await audit_and_import(audit_of(emu, "caller", identify_caller=True))
        before = await asyncio.to_thread(_active_ids, emu, MANAGEMENT)
        (region, ids), *_ = sorted((r, ids) for (_, r), ids in before.items())
        image = sorted(ids)[0].split("/")[4]
        _, again = await audit_and_import(
            audit_of(emu, "caller", identify_caller=True, image_ids=[image], regions=[region])
        )
        after = await asyncio.to_thread(_active_ids, emu, MANAGEMENT)

    assert len({finding_id.split("/")[4] for ids in before.values() for finding_id in ids}) > 1
    assert again.resolved == 0
    assert after == before


async def test_an_audit_without_inbound_resolves_no_finding_of_an_image_shared_in() -> None:
    with organization(inbound_outside=2) as emu:
        await audit_and_import(audit_of(emu, "caller", inbound=True, identify_caller=True))
        before = await asyncio.to_thread(_active_ids, emu, MANAGEMENT)
        _, again = await audit_and_import(audit_of(emu, "caller", identify_caller=True))
        after = await asyncio.to_thread(_active_ids, emu, MANAGEMENT)

    assert any("/shared-in/" in finding_id for ids in before.values() for finding_id in ids)
    assert again.resolved == 0
    assert after == before


async def test_an_image_that_could_not_be_audited_keeps_its_findings() -> None:
    with organization() as emu:
        audit = audit_of(emu, "caller", identify_caller=True)
        async with asyncio.timeout(HANG_SECS), audit:
            async with aclosing(audit.results()) as results:
                records = [record_of(item) async for item in results]
            await import_findings(audit, records)
            flagged = next(
                r
                for r in records
                if isinstance(r, ImageRecord) and set(r.share_classes) & set(FLAGGED)
            )
            failed = dataclasses.replace(
                flagged,
                shared_account_ids=(),
                share_classes=(),
                error=ErrorInfo("AccessDeniedException", "denied"),
            )
            again = await import_findings(audit, [failed if r is flagged else r for r in records])

    assert again.resolved == 0
