"""update_workspace_image_permission against the emulator: shares and unshares as boto3 does,
with the modeled errors, retried like every call, and refused before sending when invalid."""

from __future__ import annotations

import pytest

from imgperms_async import (
    AccessDeniedException,
    ImagePermissionsClient,
    InvalidParameterValuesException,
    ParamValidationError,
    ResourceNotFoundException,
)
from imgperms_async.emulator import Emulator

from .conftest import client_for


async def shares_of(client: ImagePermissionsClient, image_id: str) -> list[str]:
    return [
        entry["SharedAccountId"]
        async for page in client.paginate_image_permissions(image_id)
        for entry in page["ImagePermissions"]
    ]


async def test_unsharing_removes_the_account_and_answers_as_boto3(emulator: Emulator) -> None:
    image_id = next(i for i, shared in emulator.truth.items() if shared)
    account = emulator.truth[image_id][0]
    async with client_for(emulator) as client:
        response = await client.update_workspace_image_permission(
            ImageId=image_id, SharedAccountId=account, AllowCopyImage=False
        )
        assert account not in await shares_of(client, image_id)
    assert set(response) == {"ResponseMetadata"}
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200


async def test_sharing_adds_the_account(emulator: Emulator) -> None:
    image_id = emulator.owned_image_ids[0]
    async with client_for(emulator) as client:
        await client.update_workspace_image_permission(
            ImageId=image_id, SharedAccountId="999988887777", AllowCopyImage=True
        )
        assert "999988887777" in await shares_of(client, image_id)


async def test_an_unknown_image_is_resource_not_found(emulator: Emulator) -> None:
    async with client_for(emulator, max_attempts=1) as client:
        with pytest.raises(client.exceptions.ResourceNotFoundException) as caught:
            await client.update_workspace_image_permission(
                ImageId="wsi-000000000", SharedAccountId="999988887777", AllowCopyImage=False
            )
    assert isinstance(caught.value, ResourceNotFoundException)


async def test_sharing_with_the_owner_is_invalid(emulator: Emulator) -> None:
    async with client_for(emulator, max_attempts=1) as client:
        with pytest.raises(InvalidParameterValuesException):
            await client.update_workspace_image_permission(
                ImageId=emulator.owned_image_ids[0],
                SharedAccountId=emulator.account_id,
                AllowCopyImage=True,
            )


async def test_a_denied_write_is_access_denied() -> None:
    owner = Emulator(images=3, seed=1).account_id
    async with (
        Emulator(images=3, seed=1, deny_writes=[owner]) as emu,
        client_for(emu, max_attempts=1) as client,
    ):
        with pytest.raises(AccessDeniedException):
            await client.update_workspace_image_permission(
                ImageId=emu.owned_image_ids[0], SharedAccountId="999988887777", AllowCopyImage=False
            )


async def test_an_invalid_account_is_refused_before_any_request(emulator: Emulator) -> None:
    emulator.reset_log()
    async with client_for(emulator) as client:
        with pytest.raises(ParamValidationError, match="SharedAccountId"):
            await client.update_workspace_image_permission(
                ImageId=emulator.owned_image_ids[0], SharedAccountId="42", AllowCopyImage=False
            )
    assert emulator.requests == []


async def test_an_update_is_retried_through_server_faults() -> None:
    async with Emulator(images=3, seed=2, fault_rate=0.3) as emu, client_for(emu) as client:
        image_id = emu.owned_image_ids[0]
        for n in range(10):
            await client.update_workspace_image_permission(
                ImageId=image_id, SharedAccountId=f"99998888{n:04d}", AllowCopyImage=True
            )
        retries = client.stats.retries
    assert retries > 0
    assert {f"99998888{n:04d}" for n in range(10)} <= set(emu.truth[image_id])
