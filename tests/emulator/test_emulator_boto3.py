"""boto3, the reference client, talks to the emulator and gets the seeded truth back."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from imgperms_async.emulator import Emulator


def all_permission_pages(client: Any, image_id: str, **options: Any) -> list[dict[str, Any]]:
    pages = [client.describe_workspace_image_permissions(ImageId=image_id, **options)]
    while "NextToken" in pages[-1]:
        pages.append(
            client.describe_workspace_image_permissions(
                ImageId=image_id, NextToken=pages[-1]["NextToken"], **options
            )
        )
    return pages


def shared_accounts(pages: list[dict[str, Any]]) -> tuple[str, ...]:
    return tuple(p["SharedAccountId"] for page in pages for p in page["ImagePermissions"])


def image_with_exactly(emulator: Emulator, count: int) -> str:
    return next(image for image, accounts in emulator.truth.items() if len(accounts) == count)


def test_paginating_every_image_reproduces_the_seeded_truth(
    threaded_emulator: Emulator, boto: Any
) -> None:
    seen = {
        image_id: shared_accounts(all_permission_pages(boto, image_id))
        for image_id in threaded_emulator.owned_image_ids
    }
    assert seen == threaded_emulator.truth


def test_image_with_fifty_shares_takes_two_full_pages_and_no_third(
    threaded_emulator: Emulator, boto: Any
) -> None:
    pages = all_permission_pages(boto, image_with_exactly(threaded_emulator, 50))
    assert [len(page["ImagePermissions"]) for page in pages] == [25, 25]


def test_image_without_shares_answers_one_empty_page(
    threaded_emulator: Emulator, boto: Any
) -> None:
    pages = all_permission_pages(boto, image_with_exactly(threaded_emulator, 0))
    assert len(pages) == 1
    assert pages[0]["ImagePermissions"] == []


def test_max_results_sets_the_page_size(threaded_emulator: Emulator, boto: Any) -> None:
    pages = all_permission_pages(boto, image_with_exactly(threaded_emulator, 25), MaxResults=10)
    assert [len(page["ImagePermissions"]) for page in pages] == [10, 10, 5]


def test_describe_workspace_images_paginates_over_every_owned_image(
    threaded_emulator: Emulator, boto: Any
) -> None:
    pages = [boto.describe_workspace_images(MaxResults=15)]
    while "NextToken" in pages[-1]:
        pages.append(
            boto.describe_workspace_images(MaxResults=15, NextToken=pages[-1]["NextToken"])
        )
    images = [image for page in pages for image in page["Images"]]
    assert [image["ImageId"] for image in images] == list(threaded_emulator.owned_image_ids)
    assert {image["State"] for image in images} == {"AVAILABLE"}


def test_describe_workspace_images_by_id_returns_those_images(
    threaded_emulator: Emulator, boto: Any
) -> None:
    wanted = list(threaded_emulator.owned_image_ids[3:6])
    images = boto.describe_workspace_images(ImageIds=wanted)["Images"]
    assert [image["ImageId"] for image in images] == wanted


def test_shared_image_listing_is_empty_because_every_seeded_image_is_owned(boto: Any) -> None:
    assert boto.describe_workspace_images(ImageType="SHARED")["Images"] == []


def test_sharing_an_image_appends_the_account_once(threaded_emulator: Emulator, boto: Any) -> None:
    image_id = image_with_exactly(threaded_emulator, 0)
    for _ in range(2):
        boto.update_workspace_image_permission(
            ImageId=image_id, AllowCopyImage=True, SharedAccountId="111122223333"
        )
    assert shared_accounts(all_permission_pages(boto, image_id)) == ("111122223333",)


def test_unsharing_an_image_removes_the_account(threaded_emulator: Emulator, boto: Any) -> None:
    image_id = image_with_exactly(threaded_emulator, 25)
    removed, *kept = threaded_emulator.truth[image_id]
    boto.update_workspace_image_permission(
        ImageId=image_id, AllowCopyImage=False, SharedAccountId=removed
    )
    assert shared_accounts(all_permission_pages(boto, image_id)) == tuple(kept)


def test_session_credentials_sign_successfully(
    threaded_emulator: Emulator, boto_factory: Any
) -> None:
    client = boto_factory(credentials=threaded_emulator.session_credentials)
    image_id = threaded_emulator.owned_image_ids[0]
    answer = client.describe_workspace_image_permissions(ImageId=image_id)
    assert answer["ImageId"] == image_id


def test_a_client_for_another_region_is_refused(boto_factory: Any) -> None:
    client = boto_factory(region="ap-southeast-2")
    with pytest.raises(ClientError) as caught:
        client.describe_workspace_images(MaxResults=1)
    assert caught.value.response["Error"] == {
        "Code": "InvalidSignatureException",
        "Message": "Credential should be scoped to a valid region, not 'ap-southeast-2'. ",
    }


def test_unknown_image_is_resource_not_found(boto: Any) -> None:
    with pytest.raises(ClientError) as caught:
        boto.describe_workspace_image_permissions(ImageId="wsi-000000000")
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"
