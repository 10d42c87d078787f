"""End to end over loopback: signing, pagination, fan-out, retries and skew against the emulator."""

from __future__ import annotations

import asyncio
import logging
import time
from contextlib import aclosing
from typing import Any

import pytest
from botocore.exceptions import ClientError as BotocoreClientError

from imgperms_async import ImagePermissionsClient, ParamValidationError, ResourceNotFoundException
from imgperms_async.emulator import Emulator

from .conftest import client_for, shared_with

log = logging.getLogger(__name__)

SHARE_COUNTS = {
    "wsi-000000000": 0,
    "wsi-000000001": 1,
    "wsi-000000025": 25,
    "wsi-000000026": 26,
    "wsi-000000050": 50,
    "wsi-000000137": 137,
}


async def test_one_call_returns_the_emulators_truth(many_images_emulator: Emulator) -> None:
    image_id = next(
        i for i, accounts in many_images_emulator.truth.items() if 0 < len(accounts) <= 25
    )
    async with client_for(many_images_emulator) as client:
        response = await client.describe_workspace_image_permissions(ImageId=image_id)
    assert response["ImageId"] == image_id
    shared = tuple(p["SharedAccountId"] for p in response["ImagePermissions"])
    assert shared == many_images_emulator.truth[image_id]
    assert "NextToken" not in response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200


async def test_session_token_credentials_are_accepted() -> None:
    async with Emulator(images=5, seed=1, regions=["eu-west-1"]) as emu:
        creds = emu.session_credentials
        async with ImagePermissionsClient(
            region_name="eu-west-1",
            endpoint_url=emu.endpoint_url,
            aws_access_key_id=creds.access_key,
            aws_secret_access_key=creds.secret_key,
            aws_session_token=creds.session_token,
        ) as client:
            image_id = emu.owned_image_ids[0]
            response = await client.describe_workspace_image_permissions(ImageId=image_id)
        assert response["ImageId"] == image_id
        assert [r.access_key for r in emu.requests] == [creds.access_key]


@pytest.mark.parametrize(("image_id", "shares"), SHARE_COUNTS.items())
async def test_pagination_fetches_every_page_exactly_once(image_id: str, shares: int) -> None:
    state = {i: shared_with(n) for i, n in SHARE_COUNTS.items()}
    async with Emulator(images=state) as emu, client_for(emu) as client:
        pages = [page async for page in client.paginate_image_permissions(image_id)]
        requests = list(emu.requests)

    joined = [p["SharedAccountId"] for page in pages for p in page["ImagePermissions"]]
    assert joined == shared_with(shares)
    assert len(pages) == max(1, -(-shares // 25))
    tokens = [r.next_token for r in requests]
    assert tokens[0] is None
    assert len(set(tokens)) == len(tokens), "no page was fetched twice"
    assert all(r.status == 200 for r in requests)


async def test_page_size_sets_max_results(many_images_emulator: Emulator) -> None:
    image_id = next(i for i, accounts in many_images_emulator.truth.items() if len(accounts) >= 10)
    async with client_for(many_images_emulator) as client:
        pages = [p async for p in client.paginate_image_permissions(image_id, page_size=4)]
    assert all(len(page["ImagePermissions"]) <= 4 for page in pages)
    assert len(pages) == -(-len(many_images_emulator.truth[image_id]) // 4)


async def test_iter_image_ids_lists_every_owned_image(many_images_emulator: Emulator) -> None:
    async with client_for(many_images_emulator) as client:
        ids = [i async for i in client.iter_image_ids(page_size=7)]
    assert ids == list(many_images_emulator.owned_image_ids)


async def test_fan_out_over_2000_images_returns_exactly_the_truth() -> None:
    async with Emulator(images=2000, seed=11) as emu, client_for(emu, max_connections=64) as client:
        results = [r async for r in client.fan_out(emu.owned_image_ids, concurrency=64)]
    assert len(results) == 2000
    assert {r.image_id: r.shared_account_ids for r in results} == dict(emu.truth)
    assert all(r.error is None for r in results)


async def test_fan_out_of_every_owned_image_composes_with_iter_image_ids(
    many_images_emulator: Emulator,
) -> None:
    async with client_for(many_images_emulator) as client:
        results = [r async for r in client.fan_out(client.iter_image_ids(), concurrency=16)]
    assert {r.image_id: r.shared_account_ids for r in results} == dict(many_images_emulator.truth)


async def test_fan_out_answers_duplicates_once_and_invalid_ids_with_an_error(
    many_images_emulator: Emulator,
) -> None:
    known = list(many_images_emulator.owned_image_ids[:5])
    ids = [*known, known[0], "bogus", known[1], "bogus", "wsi-zzzzzzzzz"]
    async with client_for(many_images_emulator) as client:
        results = {r.image_id: r async for r in client.fan_out(ids, concurrency=4)}
    assert set(results) == {*known, "bogus", "wsi-zzzzzzzzz"}
    assert isinstance(results["bogus"].error, ParamValidationError)
    assert results["bogus"].pages == 0
    assert isinstance(results["wsi-zzzzzzzzz"].error, ResourceNotFoundException)
    assert all(results[i].shared_account_ids == many_images_emulator.truth[i] for i in known)


async def test_fan_out_survives_faults_drops_and_slow_answers() -> None:
    async with (
        Emulator(images=400, seed=5, fault_rate=0.05, drop_rate=0.02, latency=(0.0, 0.02)) as emu,
        client_for(emu, retry_mode="standard") as client,
    ):
        results = [r async for r in client.fan_out(emu.owned_image_ids, concurrency=32)]
        stats = client.stats
    assert [r.image_id for r in results if r.error] == []
    assert {r.image_id: r.shared_account_ids for r in results} == dict(emu.truth)
    assert emu.stats["http_500"] + emu.stats["http_503"] > 0
    assert emu.stats["dropped"] > 0
    assert stats.retries > 0


async def test_rate_limited_bulk_audit_loses_no_image() -> None:
    rate = 100.0
    async with Emulator(images=500, seed=3, rate=rate, burst=20) as emu, client_for(emu) as client:
        started = time.monotonic()
        results = [r async for r in client.fan_out(emu.owned_image_ids, concurrency=32)]
        elapsed = time.monotonic() - started
        served = emu.stats["served"]
        throttled = emu.stats["throttled"]
    assert [r.image_id for r in results if r.error] == []
    assert {r.image_id: r.shared_account_ids for r in results} == dict(emu.truth)
    ideal = served / rate
    log.warning(
        "rate-limited audit: %.2f s for %d requests at %.0f/s: %.2fx ideal, %.1f%% throttled",
        elapsed,
        served,
        rate,
        elapsed / ideal,
        100 * throttled / (served + throttled),
    )


async def test_wrong_credentials_fail_fast_and_are_not_retried(
    many_images_emulator: Emulator,
) -> None:
    client = ImagePermissionsClient(
        region_name="us-east-1",
        endpoint_url=many_images_emulator.endpoint_url,
        aws_access_key_id=many_images_emulator.credentials.access_key,
        aws_secret_access_key="not-the-secret",
    )
    async with client:
        with pytest.raises(BotocoreClientError) as caught:
            await client.describe_workspace_image_permissions(
                ImageId=many_images_emulator.owned_image_ids[0]
            )
    assert caught.value.response["Error"]["Code"] == "InvalidSignatureException"
    assert caught.value.response["ResponseMetadata"]["RetryAttempts"] == 0
    assert len(many_images_emulator.requests) == 1


async def test_unknown_access_key_is_rejected_without_retry(many_images_emulator: Emulator) -> None:
    client = ImagePermissionsClient(
        region_name="us-east-1",
        endpoint_url=many_images_emulator.endpoint_url,
        aws_access_key_id="AKIDNOBODY",
        aws_secret_access_key="whatever",
    )
    async with client:
        with pytest.raises(BotocoreClientError, match="UnrecognizedClientException"):
            await client.describe_workspace_image_permissions(
                ImageId=many_images_emulator.owned_image_ids[0]
            )
    assert len(many_images_emulator.requests) == 1


async def test_a_ten_minute_clock_skew_is_corrected_and_the_call_succeeds() -> None:
    async with Emulator(images=3, seed=2, clock_offset=600) as emu, client_for(emu) as client:
        response = await client.describe_workspace_image_permissions(ImageId=emu.owned_image_ids[0])
        codes = [r.error_code for r in emu.requests]
    assert response["ResponseMetadata"]["RetryAttempts"] == 1
    assert codes == ["InvalidSignatureException", None]


async def test_the_servers_retry_after_sets_the_wait() -> None:
    async with (
        Emulator(images=2, seed=4, rate=2, burst=1, retry_after=0.6) as emu,
        client_for(emu, retry_mode="standard") as client,
    ):
        image_id = emu.owned_image_ids[0]
        await client.describe_workspace_image_permissions(ImageId=image_id)
        started = time.monotonic()
        response = await client.describe_workspace_image_permissions(ImageId=image_id)
        waited = time.monotonic() - started
    # The token is back after 0.5 s; a jittered wait could retry too early, the header never does.
    assert response["ResponseMetadata"]["RetryAttempts"] == 1
    assert waited >= 0.6


# The next tests serve the emulator from its own thread, so the test loop's tasks are the client's.


async def test_leaving_fan_out_early_leaves_no_task_and_closes_connections() -> None:
    with Emulator(images=100, seed=8, latency=0.05) as emu:
        before = asyncio.all_tasks()
        client = client_for(emu)
        async with client:
            async with aclosing(client.fan_out(emu.owned_image_ids, concurrency=16)) as results:
                async for _ in results:
                    break
            assert asyncio.all_tasks() - before == set()
            transport = client._open.transport  # type: ignore[union-attr]
        assert transport._session is None  # type: ignore[union-attr]


async def test_breaking_out_without_aclosing_is_cleaned_up_by_client_close() -> None:
    with Emulator(images=100, seed=8, latency=0.05) as emu:
        before = asyncio.all_tasks()
        async with client_for(emu) as client:
            async for _ in client.fan_out(emu.owned_image_ids, concurrency=16):
                break
        assert asyncio.all_tasks() - before == set()


async def test_cancelling_the_consumer_cancels_in_flight_requests() -> None:
    with Emulator(images=50, seed=8, latency=0.5) as emu:
        before = asyncio.all_tasks()
        client = client_for(emu)
        await client.__aenter__()

        async def consume() -> list[Any]:
            return [r async for r in client.fan_out(emu.owned_image_ids, concurrency=8)]

        consumer = asyncio.create_task(consume())
        await asyncio.sleep(0.1)
        consumer.cancel()
        with pytest.raises(asyncio.CancelledError):
            await consumer
        assert asyncio.all_tasks() - before == set()
        await client.aclose()
