"""Fan-out: a fixed pool of workers, one result per distinct id, nothing left running after."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator

import pytest

from imgperms_async import ImagePermissionsResult, ParamValidationError
from imgperms_async._fanout import FanOut


def image(n: int) -> str:
    return f"wsi-{n:09d}"


async def instant(image_id: str) -> ImagePermissionsResult:
    return ImagePermissionsResult(image_id, ("111122223333",), None, 1)


async def collect(fan_out: FanOut) -> list[ImagePermissionsResult]:
    return [result async for result in fan_out]


async def test_every_distinct_id_gets_exactly_one_result() -> None:
    ids = [image(n % 50) for n in range(200)]
    results = await collect(FanOut(ids, instant, concurrency=8))
    assert sorted(r.image_id for r in results) == sorted({*ids})


async def test_an_invalid_id_yields_an_error_result_without_a_fetch() -> None:
    fetched: list[str] = []

    async def fetch(image_id: str) -> ImagePermissionsResult:
        fetched.append(image_id)
        return await instant(image_id)

    results = await collect(FanOut([image(1), "nope", image(2)], fetch, concurrency=2))
    (invalid,) = [r for r in results if r.image_id == "nope"]
    assert isinstance(invalid.error, ParamValidationError)
    assert (invalid.shared_account_ids, invalid.pages) == ((), 0)
    assert sorted(fetched) == [image(1), image(2)]


async def test_an_id_that_is_not_a_string_is_an_error_result_and_the_rest_is_audited() -> None:
    ids: list[object] = [image(1), ["wsi-000000002"], None, image(3)]
    results = await collect(FanOut(ids, instant, concurrency=2))  # type: ignore[arg-type]
    by_id = {r.image_id: r for r in results}
    assert set(by_id) == {image(1), "['wsi-000000002']", "None", image(3)}
    assert isinstance(by_id["None"].error, ParamValidationError)
    assert isinstance(by_id["['wsi-000000002']"].error, ParamValidationError)
    assert by_id[image(3)].error is None


async def test_async_iterables_are_consumed_lazily() -> None:
    produced: list[int] = []

    async def ids() -> AsyncIterator[str]:
        for n in range(1000):
            produced.append(n)
            yield image(n)

    fan_out = FanOut(ids(), instant, concurrency=4)
    await anext(fan_out)
    assert len(produced) < 20, "only what fills the workers and the queues is read ahead"
    await fan_out.aclose()


async def test_ordered_results_keep_input_order_despite_uneven_latency() -> None:
    async def fetch(image_id: str) -> ImagePermissionsResult:
        await asyncio.sleep(0.001 * (int(image_id[-2:]) % 7))
        return await instant(image_id)

    ids = [image(n) for n in range(60)]
    results = await collect(FanOut(ids, fetch, concurrency=8, ordered=True))
    assert [r.image_id for r in results] == ids


async def test_results_already_read_arrive_before_the_inputs_error() -> None:
    async def ids() -> AsyncIterator[str]:
        for n in range(5):
            yield image(n)
        raise OSError("the ids file went away")

    delivered: list[str] = []

    async def consume() -> None:
        async for result in FanOut(ids(), instant, concurrency=2):
            delivered.append(result.image_id)

    with pytest.raises(OSError, match="went away"):
        await consume()

    assert sorted(delivered) == [image(n) for n in range(5)]


async def test_an_error_in_the_input_reaches_the_consumer() -> None:
    async def ids() -> AsyncIterator[str]:
        yield image(1)
        raise OSError("the ids file went away")

    with pytest.raises(OSError, match="went away"):
        await collect(FanOut(ids(), instant, concurrency=2))


async def test_workers_never_exceed_the_concurrency_however_long_the_input() -> None:
    peak = 0

    async def fetch(image_id: str) -> ImagePermissionsResult:
        nonlocal peak
        peak = max(peak, len(asyncio.all_tasks()))
        return await instant(image_id)

    count = sum([1 async for _ in FanOut((image(n) for n in range(20_000)), fetch, concurrency=16)])
    assert count == 20_000
    assert peak <= 16 + 2, "16 workers, the feeder and the test itself"


async def test_closing_early_cancels_the_fetches_in_flight() -> None:
    cancelled = 0

    async def slow(image_id: str) -> ImagePermissionsResult:
        nonlocal cancelled
        if image_id != image(0):
            try:
                await asyncio.sleep(60)
            except asyncio.CancelledError:
                cancelled += 1
                raise
        return await instant(image_id)

    before = asyncio.all_tasks()
    fan_out = FanOut([image(n) for n in range(10)], slow, concurrency=4)
    assert (await anext(fan_out)).image_id == image(0)
    await fan_out.aclose()
    assert cancelled == 3
    assert asyncio.all_tasks() - before == set()


async def test_dropping_the_iterator_cancels_its_workers() -> None:
    started = asyncio.Event()

    async def slow(image_id: str) -> ImagePermissionsResult:
        started.set()
        await asyncio.sleep(60)
        raise AssertionError("never finishes")

    before = asyncio.all_tasks()
    fan_out = FanOut([image(n) for n in range(10)], slow, concurrency=4)
    consumer = asyncio.create_task(anext(fan_out))
    await started.wait()
    consumer.cancel()
    await asyncio.gather(consumer, return_exceptions=True)
    del fan_out
    gc.collect()
    await asyncio.sleep(0)
    assert asyncio.all_tasks() - before == set()


async def test_a_plain_break_stops_the_workers_at_once() -> None:
    async def stuck(image_id: str) -> ImagePermissionsResult:
        if image_id != image(0):
            await asyncio.Event().wait()
        return await instant(image_id)

    before = asyncio.all_tasks()
    async for _ in FanOut([image(n) for n in range(10)], stuck, concurrency=4):
        break
    for _ in range(5):
        await asyncio.sleep(0)

    assert asyncio.all_tasks() - before == set()


async def test_concurrency_below_one_is_rejected() -> None:
    with pytest.raises(ValueError, match="concurrency"):
        FanOut([], instant, concurrency=0)


async def test_an_empty_input_yields_nothing() -> None:
    assert await collect(FanOut([], instant, concurrency=3)) == []
