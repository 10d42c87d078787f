"""UpdateWorkspaceImagePermission as AWS answers it, per account and region, every write logged."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from emulator_support import AwsClients, assumed_keys

from imgperms_async.emulator import Emulator, RequestRecord

UPDATE = "UpdateWorkspaceImagePermission"
OUTSIDER = "111122223333"


def image_with(emulator: Emulator, region: str, account: str, *, shared: bool) -> str:
    images = emulator.scoped_truth.images[account][region]
    return next(image for image, shares in images.items() if bool(shares) == shared)


def writes(emulator: Emulator) -> list[RequestRecord]:
    return [record for record in emulator.requests if record.operation == UPDATE]


def code_of(call: Any, **arguments: Any) -> str:
    with pytest.raises(ClientError) as caught:
        call(**arguments)
    return str(caught.value.response["Error"]["Code"])


def test_a_share_is_appended_and_logged_as_a_change(
    threaded_emulator: Emulator, aws: AwsClients
) -> None:
    image = image_with(threaded_emulator, "us-east-1", threaded_emulator.account_id, shared=True)
    before = threaded_emulator.truth[image]
    aws(threaded_emulator, "workspaces").update_workspace_image_permission(
        ImageId=image, AllowCopyImage=True, SharedAccountId=OUTSIDER
    )
    assert threaded_emulator.truth[image] == (*before, OUTSIDER)
    (record,) = writes(threaded_emulator)
    assert (record.image_id, record.shared_account_id, record.allow_copy_image) == (
        image,
        OUTSIDER,
        True,
    )
    assert (record.status, record.changed, record.account_id, record.region) == (
        200,
        True,
        threaded_emulator.account_id,
        "us-east-1",
    )


@pytest.mark.parametrize("allow", [True, False])
def test_doing_what_is_already_done_succeeds_and_changes_nothing(
    threaded_emulator: Emulator, aws: AwsClients, allow: bool
) -> None:
    image = image_with(threaded_emulator, "us-east-1", threaded_emulator.account_id, shared=True)
    account = threaded_emulator.truth[image][0] if allow else OUTSIDER
    before = threaded_emulator.truth[image]
    aws(threaded_emulator, "workspaces").update_workspace_image_permission(
        ImageId=image, AllowCopyImage=allow, SharedAccountId=account
    )
    assert threaded_emulator.truth[image] == before
    assert [(r.status, r.changed) for r in writes(threaded_emulator)] == [(200, False)]


def test_an_unshare_is_served_on_the_next_read(
    threaded_emulator: Emulator, aws: AwsClients
) -> None:
    client = aws(threaded_emulator, "workspaces")
    image = image_with(threaded_emulator, "us-east-1", threaded_emulator.account_id, shared=True)
    removed, *kept = client.describe_workspace_image_permissions(ImageId=image)["ImagePermissions"]
    client.update_workspace_image_permission(
        ImageId=image, AllowCopyImage=False, SharedAccountId=removed["SharedAccountId"]
    )
    after = client.describe_workspace_image_permissions(ImageId=image)["ImagePermissions"]
    assert removed not in after
    assert after[: len(kept)] == kept


def test_sharing_an_image_with_its_own_account_is_invalid(
    threaded_emulator: Emulator, aws: AwsClients
) -> None:
    image = threaded_emulator.owned_image_ids[0]
    code = code_of(
        aws(threaded_emulator, "workspaces").update_workspace_image_permission,
        ImageId=image,
        AllowCopyImage=True,
        SharedAccountId=threaded_emulator.account_id,
    )
    assert code == "InvalidParameterValuesException"
    assert [r.changed for r in writes(threaded_emulator)] == [None]


@pytest.mark.parametrize("account", ["12345678901", "1234567890123", "12345678901a", ""])
def test_a_shared_account_id_must_be_twelve_digits(
    threaded_emulator: Emulator, aws: AwsClients, account: str
) -> None:
    client = aws(threaded_emulator, "workspaces")
    code = code_of(
        client.update_workspace_image_permission,
        ImageId=threaded_emulator.owned_image_ids[0],
        AllowCopyImage=True,
        SharedAccountId=account,
    )
    assert code == "InvalidParameterValuesException"
    assert (
        threaded_emulator.truth[threaded_emulator.owned_image_ids[0]]
        == Emulator(images=40, seed=7).truth[threaded_emulator.owned_image_ids[0]]
    )


def test_an_unknown_image_is_not_found(threaded_emulator: Emulator, aws: AwsClients) -> None:
    code = code_of(
        aws(threaded_emulator, "workspaces").update_workspace_image_permission,
        ImageId="wsi-000000000",
        AllowCopyImage=True,
        SharedAccountId=OUTSIDER,
    )
    assert code == "ResourceNotFoundException"


def member_session(organization: Emulator, aws: AwsClients, member: str) -> dict[str, str]:
    answer = aws(organization, "sts").assume_role(
        RoleArn=organization.role_arn(member), RoleSessionName="unshare"
    )
    return assumed_keys(answer["Credentials"])


def test_a_member_unshares_its_own_image_in_that_region_only(
    organization: Emulator, aws: AwsClients
) -> None:
    truth = organization.scoped_truth
    member = next(a for a in truth.images if a != organization.account_id)
    image = image_with(organization, "eu-west-1", member, shared=True)
    removed, *kept = truth.images[member]["eu-west-1"][image]
    client = aws(
        organization, "workspaces", region="eu-west-1", **member_session(organization, aws, member)
    )
    client.update_workspace_image_permission(
        ImageId=image, AllowCopyImage=False, SharedAccountId=removed
    )
    after = organization.scoped_truth
    assert after.images[member]["eu-west-1"][image] == tuple(kept)
    assert {
        (account, region): images
        for account, regions in after.images.items()
        for region, images in regions.items()
        if (account, region) != (member, "eu-west-1")
    } == {
        (account, region): images
        for account, regions in truth.images.items()
        for region, images in regions.items()
        if (account, region) != (member, "eu-west-1")
    }


def test_another_accounts_image_is_not_found_for_the_caller(
    organization: Emulator, aws: AwsClients
) -> None:
    member = next(a for a in organization.scoped_truth.images if a != organization.account_id)
    image = image_with(organization, "us-east-1", member, shared=True)
    code = code_of(
        aws(organization, "workspaces").update_workspace_image_permission,
        ImageId=image,
        AllowCopyImage=False,
        SharedAccountId=organization.truth[image][0],
    )
    assert code == "ResourceNotFoundException"


def test_an_account_that_may_not_write_is_denied_and_nothing_changes(aws: AwsClients) -> None:
    probe = Emulator(accounts=2, seed=3)
    member = next(a for a in probe.scoped_truth.images if a != probe.account_id)
    with Emulator(accounts=2, seed=3, deny_writes=[member]) as served:
        image = image_with(served, "us-east-1", member, shared=True)
        before = served.truth[image]
        client = aws(served, "workspaces", **member_session(served, aws, member))
        code = code_of(
            client.update_workspace_image_permission,
            ImageId=image,
            AllowCopyImage=False,
            SharedAccountId=before[0],
        )
        mine = image_with(served, "us-east-1", served.account_id, shared=True)
        aws(served, "workspaces").update_workspace_image_permission(
            ImageId=mine, AllowCopyImage=False, SharedAccountId=served.truth[mine][0]
        )
        assert served.truth[image] == before
        assert [(r.account_id, r.error_code, r.changed) for r in writes(served)] == [
            (member, "AccessDeniedException", None),
            (served.account_id, None, True),
        ]
    assert code == "AccessDeniedException"


def test_reads_are_not_writes_in_the_log(threaded_emulator: Emulator, aws: AwsClients) -> None:
    client = aws(threaded_emulator, "workspaces")
    client.describe_workspace_image_permissions(ImageId=threaded_emulator.owned_image_ids[0])
    client.describe_workspace_images()
    assert writes(threaded_emulator) == []
    assert {r.changed for r in threaded_emulator.requests} == {None}
