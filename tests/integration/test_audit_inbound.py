"""Images shared into the audited accounts (``inbound=True``): what boto3's
``describe_workspace_images(ImageType="SHARED")`` lists, account by account and region by
region, each owner classed as a share would be."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from organization_support import EVERYWHERE, MANAGEMENT, organization

from imgperms_async.emulator import Emulator

from .audit_support import (
    ACROSS_ACCOUNTS,
    SOURCES,
    Source,
    audit_of,
    audited_accounts,
    boto3_client,
    boto3_keys,
    everything,
    truth_of,
)

pytestmark = pytest.mark.usefixtures("one_botocore_loader")
each_source = pytest.mark.parametrize("source", SOURCES)
across_accounts = pytest.mark.parametrize("source", ACROSS_ACCOUNTS)
OUTSIDE = 30
"""Images of accounts outside the organization shared into each scope: more than a page."""


def boto3_inbound(emu: Emulator, accounts: list[str]) -> dict[str, dict[str, dict[str, Any]]]:
    """account -> region -> image -> (owner, name), every page, as boto3 lists them with each
    account's own keys, in every region it has enabled."""
    found: dict[str, dict[str, dict[str, Any]]] = {}
    for account in accounts:
        keys = boto3_keys(emu, account)
        for region in emu.scoped_truth.images[account]:
            client = boto3_client(emu, "workspaces", region, keys=keys)
            pages = client.get_paginator("describe_workspace_images").paginate(ImageType="SHARED")
            images = {
                image["ImageId"]: (image["OwnerAccountId"], image.get("Name"))
                for page in pages
                for image in page["Images"]
            }
            if images:
                found.setdefault(account, {})[region] = images
    return found


def organization_accounts(emu: Emulator) -> set[str]:
    truth = emu.scoped_truth.organization
    assert truth is not None
    return {account.account_id for account in truth.accounts}


@each_source
async def test_the_images_shared_into_each_scope_are_those_boto3_lists_there(
    source: Source,
) -> None:
    with organization(inbound_outside=OUTSIDE) as emu:
        accounts = audited_accounts(source, emu)
        expected = await asyncio.to_thread(boto3_inbound, emu, accounts)
        emu.reset_log()
        outcome = await everything(audit_of(emu, source, inbound=True))

    found: dict[str, dict[str, dict[str, Any]]] = {}
    for image in outcome.inbound:
        regions = found.setdefault(outcome.owner(image.account_id), {})
        regions.setdefault(image.region, {})[image.image_id] = (
            image.owner_account_id,
            image.image_name,
        )
    assert found == expected
    assert max(len(images) for regions in expected.values() for images in regions.values()) > 25
    assert outcome.answer() == truth_of(emu, accounts)


@across_accounts
async def test_an_owner_in_the_organization_is_organization_and_one_outside_external(
    source: Source,
) -> None:
    with organization(inbound_outside=2) as emu:
        members = organization_accounts(emu)
        outcome = await everything(audit_of(emu, source, inbound=True))

    owners = {image.owner_account_id for image in outcome.inbound}
    assert owners & members, "the seed shares images in from inside the organization"
    assert owners - members, "and from outside"
    assert {(image.owner_account_id, image.owner_class) for image in outcome.inbound} == {
        (owner, "organization" if owner in members else "external") for owner in owners
    }


@across_accounts
async def test_an_allowlisted_owner_outside_is_allowlisted(source: Source) -> None:
    with organization(inbound_outside=2) as emu:
        members = organization_accounts(emu)
        outsiders = sorted(
            owner
            for regions in emu.scoped_truth.inbound.values()
            for images in regions.values()
            for owner in images.values()
            if owner not in members
        )
        outcome = await everything(audit_of(emu, source, inbound=True, allowlist=outsiders[:1]))

    classes = {image.owner_account_id: image.owner_class for image in outcome.inbound}
    assert classes[outsiders[0]] == "allowlisted"
    assert {c for owner, c in classes.items() if owner not in members | {outsiders[0]}} == {
        "external"
    }


async def test_the_caller_alone_classes_every_owner_unknown() -> None:
    """The caller alone does not ask who is in its organization: no owner is flagged."""
    with organization(inbound_outside=2) as emu:
        outcome = await everything(audit_of(emu, "caller", inbound=True))

    assert outcome.inbound
    assert {image.owner_class for image in outcome.inbound} == {"unknown"}
    assert {image.account_id for image in outcome.inbound} == {None}


async def test_no_inbound_image_is_listed_unless_asked() -> None:
    with organization(inbound_outside=2) as emu:
        outcome = await everything(audit_of(emu))

    assert outcome.inbound == []
    listings = [r for r in emu.requests if r.operation == "DescribeWorkspaceImages"]
    assert listings, "the audit lists each scope's own images"
    assert len(listings) == len({(r.account_id, r.region) for r in listings})


async def test_a_region_the_account_has_not_enabled_lists_nothing_shared_into_it() -> None:
    member = EVERYWHERE[0]
    with organization(inbound_outside=2, opt_in_disabled=[(member, "af-south-1")]) as emu:
        outcome = await everything(audit_of(emu, inbound=True))

    assert outcome.status(member, "af-south-1").status == "not_enabled"
    assert [i for i in outcome.inbound if (i.account_id, i.region) == (member, "af-south-1")] == []
    assert {i.account_id for i in outcome.inbound} >= {MANAGEMENT, member}
