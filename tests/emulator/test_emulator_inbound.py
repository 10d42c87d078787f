"""Images shared into an account: DescribeWorkspaceImages lists them with ImageType SHARED (and
without an ImageType, after the owned ones), in step with every share and unshare, beside images
of accounts outside the emulator; the truth says who owns each."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from emulator_support import AwsClients, client_as

from imgperms_async.emulator import Emulator, ScopedTruth

Inbound = dict[str, dict[str, dict[str, str]]]
OUTSIDER = "111122223333"


def expected_inbound(truth: ScopedTruth) -> Inbound:
    """What the outbound shares imply: each image shared with an account here, in a region
    that account has enabled."""
    inbound: Inbound = {}
    for owner, regions in truth.images.items():
        for region, images in regions.items():
            for image, shares in images.items():
                for recipient in shares:
                    if region in truth.images.get(recipient, {}):
                        inbound.setdefault(recipient, {}).setdefault(region, {})[image] = owner
    return inbound


def listed(client: Any, **arguments: Any) -> list[dict[str, Any]]:
    pages = client.get_paginator("describe_workspace_images").paginate(**arguments)
    return [image for page in pages for image in page["Images"]]


def active_recipient(truth: ScopedTruth) -> tuple[str, str, str, str]:
    """(owner, region, image, recipient) for a share into an active member."""
    assert truth.organization is not None
    active = {a.account_id for a in truth.organization.accounts[1:] if a.status == "ACTIVE"}
    return next(
        (owner, region, image, recipient)
        for recipient, regions in truth.inbound.items()
        if recipient in active
        for region, images in regions.items()
        for image, owner in images.items()
        if owner in truth.images
    )


@pytest.fixture
def share(organization: Emulator) -> tuple[str, str, str, str]:
    return active_recipient(organization.scoped_truth)


@pytest.mark.parametrize("seed", range(3))
def test_the_inbound_truth_is_what_the_outbound_shares_imply(seed: int) -> None:
    truth = Emulator(accounts=8, seed=seed).scoped_truth
    assert truth.inbound == expected_inbound(truth)
    assert truth.inbound


def test_an_account_receives_nothing_in_a_region_it_has_not_enabled(aws: AwsClients) -> None:
    plain = Emulator(accounts=8, seed=0).scoped_truth
    owner, image, recipient = next(
        (owner, image, recipient)
        for owner, regions in plain.images.items()
        for image, shares in regions.get("af-south-1", {}).items()
        for recipient in shares
        if "af-south-1" in plain.inbound.get(recipient, {})
    )
    with Emulator(accounts=8, seed=0, opt_in_disabled=[(recipient, "af-south-1")]) as served:
        seeded = served.scoped_truth
        other = next(iter(served.scoped_truth.images[owner]["af-south-1"]))
        client_as(aws, served, "workspaces", owner, "af-south-1").update_workspace_image_permission(
            ImageId=other, AllowCopyImage=True, SharedAccountId=recipient
        )
        written = served.scoped_truth
    assert recipient in seeded.images[owner]["af-south-1"][image]
    assert "af-south-1" not in seeded.inbound.get(recipient, {})
    assert recipient in written.images[owner]["af-south-1"][other]
    assert "af-south-1" not in written.inbound.get(recipient, {})


def test_shared_lists_every_image_shared_into_the_caller_with_its_owner(
    organization: Emulator, aws: AwsClients
) -> None:
    truth = organization.scoped_truth
    recipient = active_recipient(truth)[3]
    for region in truth.images[recipient]:
        client = client_as(aws, organization, "workspaces", recipient, region)
        images = listed(client, ImageType="SHARED")
        owners = {image["ImageId"]: image["OwnerAccountId"] for image in images}
        assert owners == truth.inbound.get(recipient, {}).get(region, {})


def test_a_shared_image_is_described_as_its_owner_describes_it(
    organization: Emulator, aws: AwsClients, share: tuple[str, str, str, str]
) -> None:
    owner, region, image, recipient = share
    (owned,) = client_as(aws, organization, "workspaces", owner, region).describe_workspace_images(
        ImageIds=[image]
    )["Images"]
    (received,) = client_as(
        aws, organization, "workspaces", recipient, region
    ).describe_workspace_images(ImageIds=[image], ImageType="SHARED")["Images"]
    assert received == owned
    assert received["OwnerAccountId"] == owner
    assert (received["State"], received["Name"]) == ("AVAILABLE", owned["Name"])


def test_unsharing_takes_the_image_from_the_recipients_list_and_sharing_brings_it_back(
    organization: Emulator, aws: AwsClients, share: tuple[str, str, str, str]
) -> None:
    owner, region, image, recipient = share
    writer = client_as(aws, organization, "workspaces", owner, region)
    reader = client_as(aws, organization, "workspaces", recipient, region)
    writer.update_workspace_image_permission(
        ImageId=image, AllowCopyImage=False, SharedAccountId=recipient
    )
    after_unshare = [i["ImageId"] for i in listed(reader, ImageType="SHARED")]
    gone = organization.scoped_truth.inbound.get(recipient, {}).get(region, {})
    writer.update_workspace_image_permission(
        ImageId=image, AllowCopyImage=True, SharedAccountId=recipient
    )
    after_share = [i["ImageId"] for i in listed(reader, ImageType="SHARED")]
    assert image not in after_unshare
    assert image not in gone
    assert after_share == [*after_unshare, image]
    assert organization.scoped_truth.inbound[recipient][region][image] == owner


def test_without_an_image_type_owned_images_come_first_then_shared_ones(
    organization: Emulator, aws: AwsClients, share: tuple[str, str, str, str]
) -> None:
    _, region, _, recipient = share
    client = client_as(aws, organization, "workspaces", recipient, region)
    owned = [image["ImageId"] for image in listed(client, ImageType="OWNED")]
    shared = [image["ImageId"] for image in listed(client, ImageType="SHARED")]
    assert [image["ImageId"] for image in listed(client)] == owned + shared
    assert owned
    assert shared


@pytest.mark.parametrize(
    ("image_type", "found"),
    [("SHARED", ["shared"]), ("OWNED", ["owned"]), (None, ["owned", "shared"])],
)
def test_image_ids_find_images_of_the_type_asked(
    organization: Emulator,
    aws: AwsClients,
    share: tuple[str, str, str, str],
    image_type: str | None,
    found: list[str],
) -> None:
    _, region, image, recipient = share
    own = next(iter(organization.scoped_truth.images[recipient][region]))
    client = client_as(aws, organization, "workspaces", recipient, region)
    kind = {"ImageType": image_type} if image_type else {}
    answer = client.describe_workspace_images(ImageIds=[own, image], **kind)["Images"]
    names = {own: "owned", image: "shared"}
    assert [names[item["ImageId"]] for item in answer] == found


def test_shared_images_page_like_owned_ones(aws: AwsClients) -> None:
    with Emulator(images=2, inbound_outside=7, seed=2) as served:
        client = aws(served, "workspaces")
        pages = list(
            client.get_paginator("describe_workspace_images").paginate(
                ImageType="SHARED", PaginationConfig={"PageSize": 3}
            )
        )
        expected = list(served.scoped_truth.inbound[served.account_id]["us-east-1"])
    assert [len(page["Images"]) for page in pages] == [3, 3, 1]
    assert [image["ImageId"] for page in pages for image in page["Images"]] == expected


def test_the_permissions_of_a_shared_image_are_its_owners_to_read(
    organization: Emulator, aws: AwsClients, share: tuple[str, str, str, str]
) -> None:
    _, region, image, recipient = share
    client = client_as(aws, organization, "workspaces", recipient, region)
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        client.describe_workspace_image_permissions(ImageId=image)


def test_outside_images_reach_every_account_and_region_it_enabled() -> None:
    truth = Emulator(accounts=4, seed=3, inbound_outside=2).scoped_truth
    assert truth.organization is not None
    members = {account.account_id for account in truth.organization.accounts}
    for account, regions in truth.images.items():
        for region in regions:
            received = truth.inbound[account][region]
            outside = [owner for owner in received.values() if owner not in members]
            assert len(outside) == 2
    assert set(truth.inbound) <= members


def test_outside_images_leave_everything_the_seed_made_as_it_was() -> None:
    plain = Emulator(accounts=4, seed=3).scoped_truth
    more = Emulator(accounts=4, seed=3, inbound_outside=2).scoped_truth
    assert (more.images, more.organization, more.disabled_regions) == (
        plain.images,
        plain.organization,
        plain.disabled_regions,
    )
    assert Emulator(accounts=4, seed=3, inbound_outside=0).scoped_truth == plain


def test_a_standalone_account_receives_outside_images_too(aws: AwsClients) -> None:
    with Emulator(images=3, inbound_outside=2, seed=4) as served:
        images = listed(aws(served, "workspaces"), ImageType="SHARED")
    assert len(images) == 2
    assert {image["OwnerAccountId"] for image in images}.isdisjoint({served.account_id})
    assert Emulator(images=3, seed=4).scoped_truth.inbound == {}


@pytest.fixture
def named_outside() -> Iterator[Emulator]:
    member = list(Emulator(accounts=2, seed=1).scoped_truth.images)[1]
    wanted = {(member, "eu-west-1"): {"wsi-fromoutside1": OUTSIDER}}
    with Emulator(accounts=2, seed=1, inbound_outside=wanted) as served:
        yield served


def test_a_test_may_name_the_outside_images_exactly(
    named_outside: Emulator, aws: AwsClients
) -> None:
    member = list(named_outside.scoped_truth.images)[1]
    client = client_as(aws, named_outside, "workspaces", member, "eu-west-1")
    images = [i for i in listed(client, ImageType="SHARED") if i["OwnerAccountId"] == OUTSIDER]
    assert [image["ImageId"] for image in images] == ["wsi-fromoutside1"]
    assert named_outside.scoped_truth.inbound[member]["eu-west-1"]["wsi-fromoutside1"] == OUTSIDER


OutsideWanted = Callable[[str, str], Any]
"""The inbound_outside argument, from the emulator's own account and its one image."""


@pytest.mark.parametrize(
    ("wanted", "refusal"),
    [
        (lambda home, image: -1, r"^inbound_outside must be a whole number, 0 or more"),
        (
            lambda home, image: {("000000000000", "us-east-1"): {}},
            r"names 000000000000 in us-east-1, which is not",
        ),
        (lambda home, image: {(home, "us-east-1"): {"wsi-bad": OUTSIDER}}, r"must be an image id"),
        (
            lambda home, image: {(home, "us-east-1"): {"wsi-fromoutside1": "12"}},
            r"must be a 12-digit account id",
        ),
        (
            lambda home, image: {(home, "us-east-1"): {"wsi-fromoutside1": home}},
            r"which is an account here, not outside",
        ),
        (
            lambda home, image: {(home, "us-east-1"): {image: OUTSIDER}},
            r"or an image already here",
        ),
        (lambda home, image: {home: {}}, r"must be a count or a mapping of \(account, region\)"),
    ],
)
def test_outside_images_must_name_what_exists_and_come_from_outside(
    wanted: OutsideWanted, refusal: str
) -> None:
    home = Emulator(images=1, seed=6)
    (image,) = home.owned_image_ids
    with pytest.raises(ValueError, match=refusal):
        Emulator(images=1, seed=6, inbound_outside=wanted(home.account_id, image))


async def test_the_truth_endpoint_serves_the_inbound_images(http_session: Any) -> None:
    async with (
        Emulator(accounts=2, seed=1, inbound_outside=1) as served,
        http_session.get(served.endpoint_url + "/_emulator/truth") as response,
    ):
        body = await response.json()
    assert body["inbound"] == {
        account: {region: dict(images) for region, images in regions.items()}
        for account, regions in served.scoped_truth.inbound.items()
    }
    assert body["inbound"]


def test_the_plugins_emulators_expose_the_inbound_truth(
    workspaces_emulator_factory: Any,
) -> None:
    served = workspaces_emulator_factory(images=1, inbound_outside=2, seed=1)
    assert len(served.scoped_truth.inbound[served.account_id]["us-east-1"]) == 2
