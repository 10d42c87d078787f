"""Fault knobs behave as configured, and the same seed draws the same faults."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest

from imgperms_async.emulator import Emulator
from imgperms_async.emulator._faults import FaultPlan

DESCRIBE = "DescribeWorkspaceImagePermissions"


async def statuses_by_image(ask: Any, emulator: Emulator, image_ids: list[str]) -> dict[str, int]:
    answers = await asyncio.gather(*(ask(emulator, DESCRIBE, {"ImageId": i}) for i in image_ids))
    return {image_id: answer.status for image_id, answer in zip(image_ids, answers, strict=True)}


async def test_fault_rate_one_answers_only_500_and_503_in_about_equal_share(ask: Any) -> None:
    async with Emulator(images=40, fault_rate=1.0) as emu:
        statuses = await statuses_by_image(ask, emu, list(emu.owned_image_ids))
    assert set(statuses.values()) == {500, 503}
    assert emu.stats["http_500"] + emu.stats["http_503"] == 40
    assert 10 <= emu.stats["http_500"] <= 30


async def test_server_faults_carry_their_aws_codes(ask: Any) -> None:
    async with Emulator(images=40, fault_rate=1.0) as emu:
        answers = [await ask(emu, DESCRIBE, {"ImageId": i}) for i in emu.owned_image_ids]
    codes = {answer.status: answer.error_code for answer in answers}
    assert codes == {500: "InternalFailure", 503: "ServiceUnavailable"}


async def test_same_seed_fails_the_same_requests_whatever_the_arrival_order(ask: Any) -> None:
    async with Emulator(images=40, seed=3, fault_rate=0.5) as emu:
        concurrent = await statuses_by_image(ask, emu, list(emu.owned_image_ids))
    async with Emulator(images=40, seed=3, fault_rate=0.5) as emu:
        one_by_one = {
            image_id: (await ask(emu, DESCRIBE, {"ImageId": image_id})).status
            for image_id in reversed(emu.owned_image_ids)
        }
    assert concurrent == one_by_one


async def test_another_seed_fails_other_requests(ask: Any) -> None:
    async with Emulator(images=40, seed=3, fault_rate=0.5) as emu:
        first = await statuses_by_image(ask, emu, list(emu.owned_image_ids))
        ids = list(emu.owned_image_ids)
    async with Emulator(dict.fromkeys(ids, ()), seed=4, fault_rate=0.5) as emu:
        second = await statuses_by_image(ask, emu, ids)
    assert first != second


async def test_retrying_an_identical_request_draws_a_fresh_decision(ask: Any) -> None:
    async with Emulator(images=5, fault_rate=0.5) as emu:
        image_id = emu.owned_image_ids[0]
        statuses = {(await ask(emu, DESCRIBE, {"ImageId": image_id})).status for _ in range(30)}
    assert 200 in statuses
    assert statuses & {500, 503}


async def test_drop_rate_one_cuts_the_body_after_the_headers(ask: Any) -> None:
    async with Emulator(images=5, drop_rate=1.0) as emu:
        with pytest.raises(aiohttp.ClientPayloadError):
            await ask(emu, DESCRIBE, {"ImageId": emu.owned_image_ids[0]})
    assert emu.stats["dropped"] == 1


async def test_malformed_rate_one_truncates_successful_json(ask: Any) -> None:
    async with Emulator(images=5, malformed_rate=1.0) as emu:
        answer = await ask(emu, DESCRIBE, {"ImageId": emu.owned_image_ids[0]})
    assert answer.status == 200
    with pytest.raises(ValueError, match=r"Expecting|Unterminated"):
        _ = answer.json
    assert emu.stats["malformed"] == 1


async def test_malformed_rate_leaves_error_answers_intact(ask: Any) -> None:
    async with Emulator(images=5, malformed_rate=1.0) as emu:
        answer = await ask(emu, DESCRIBE, {"ImageId": "wsi-000000000"})
    assert answer.error_code == "ResourceNotFoundException"


async def test_latency_delays_each_answer(ask: Any) -> None:
    loop = asyncio.get_running_loop()
    async with Emulator(images=5, latency=0.05) as emu:
        started = loop.time()
        await ask(emu, DESCRIBE, {"ImageId": emu.owned_image_ids[0]})
        elapsed = loop.time() - started
    assert elapsed >= 0.05
    assert emu.stats["latency"] == 1


async def test_a_denied_image_always_answers_access_denied(ask: Any) -> None:
    victim = Emulator(images=5).owned_image_ids[0]
    async with Emulator(images=5, deny_images=[victim]) as emu:
        answers = [await ask(emu, DESCRIBE, {"ImageId": victim}) for _ in range(3)]
    assert [(a.status, a.error_code) for a in answers] == [(400, "AccessDeniedException")] * 3


async def test_access_denied_names_the_caller_the_action_and_the_image(ask: Any) -> None:
    victim = Emulator(images=5).owned_image_ids[0]
    async with Emulator(images=5, deny_images=[victim]) as emu:
        answer = await ask(emu, DESCRIBE, {"ImageId": victim})
    assert answer.json["message"] == (
        f"User: arn:aws:iam::{emu.account_id}:user/emulator is not authorized to perform:"
        f" workspaces:{DESCRIBE} on resource:"
        f" arn:aws:workspaces:us-east-1:{emu.account_id}:workspaceimage/{victim}"
    )


async def test_other_images_are_served_beside_a_denied_one(ask: Any) -> None:
    victim, other = Emulator(images=5).owned_image_ids[:2]
    async with Emulator(images=5, deny_images=[victim]) as emu:
        answer = await ask(emu, DESCRIBE, {"ImageId": other})
    assert answer.status == 200


def test_fault_plans_with_one_seed_draw_identical_sequences() -> None:
    def draws(seed: int) -> list[Any]:
        plan = FaultPlan(seed=seed, fault_rate=0.3, drop_rate=0.2, latency=(0.01, 0.02))
        return [plan.decide(DESCRIBE, b'{"ImageId": "wsi-123456789"}') for _ in range(50)]

    assert draws(1) == draws(1)
    assert draws(1) != draws(2)


def test_latency_range_draws_stay_within_bounds() -> None:
    plan = FaultPlan(seed=0, latency=(0.01, 0.02))
    delays = [plan.decide(DESCRIBE, str(n).encode()).delay for n in range(200)]
    assert all(0.01 <= delay <= 0.02 for delay in delays)
    assert len(set(delays)) > 100


async def statuses_by_region(ask: Any, emu: Emulator, interleaved: bool) -> dict[str, list[int]]:
    calls = [(region, n) for n in range(8) for region in emu.regions]
    if interleaved:
        answers = await asyncio.gather(
            *(ask(emu, "DescribeWorkspaceImages", {}, region=region) for region, _ in calls)
        )
    else:
        answers = [
            await ask(emu, "DescribeWorkspaceImages", {}, region=region)
            for region, _ in sorted(calls, reverse=True)
        ]
        calls = sorted(calls, reverse=True)
    seen: dict[str, list[int]] = {region: [] for region in emu.regions}
    for (region, _), answer in zip(calls, answers, strict=True):
        seen[region].append(answer.status)
    return seen


async def test_each_scope_draws_its_own_faults_however_scopes_interleave(ask: Any) -> None:
    regions = ["us-east-1", "eu-west-1", "ap-southeast-2"]
    async with Emulator(images=3, seed=2, regions=regions, fault_rate=0.5) as emu:
        together = await statuses_by_region(ask, emu, interleaved=True)
    async with Emulator(images=3, seed=2, regions=regions, fault_rate=0.5) as emu:
        apart = await statuses_by_region(ask, emu, interleaved=False)
    assert {r: sorted(s) for r, s in together.items()} == {r: sorted(s) for r, s in apart.items()}


async def test_images_to_deny_may_come_from_any_iterable(ask: Any) -> None:
    victim = Emulator(images=5).owned_image_ids[0]
    async with Emulator(images=5, deny_images=(image for image in [victim])) as emu:
        answer = await ask(emu, DESCRIBE, {"ImageId": victim})
    assert answer.error_code == "AccessDeniedException"
