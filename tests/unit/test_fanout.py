"""Fan-out: a pool of workers started as the input needs them, up to ``concurrency``; one result
per distinct id; nothing left running after."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Coroutine
from typing import Any

import pytest
from fakes import settle

from imgperms_async import ImagePermissionsResult, ParamValidationError
from imgperms_async._fanout import FanOut, stop


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
        for _ in range(int(image_id[-2:]) * 3 % 7):  # uneven latency, in loop turns
            await asyncio.sleep(0)
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


class CountingSpawn:
    """Starts workers as ``asyncio.create_task`` does, counting them (the feeder is one)."""

    def __init__(self) -> None:
        self.started = 0

    def __call__(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        self.started += 1
        return asyncio.get_running_loop().create_task(work)

    @property
    def workers(self) -> int:
        return self.started - 1


async def test_one_image_starts_one_worker() -> None:
    spawn = CountingSpawn()

    results = await collect(FanOut([image(1)], instant, concurrency=32, spawn=spawn))

    assert [r.image_id for r in results] == [image(1)]
    assert spawn.workers == 1


async def test_a_fan_out_that_ran_to_its_end_ends_without_another_turn_of_the_loop() -> None:
    # An audit ends one per scope: waiting on its finished workers cost a turn each time.
    fan_out = FanOut([image(1), image(2)], instant, concurrency=32)
    turned: list[bool] = []

    results = [await anext(fan_out), await anext(fan_out)]
    asyncio.get_running_loop().call_soon(turned.append, True)
    with pytest.raises(StopAsyncIteration):
        await anext(fan_out)

    assert {result.image_id for result in results} == {image(1), image(2)}
    assert turned == []


async def test_stopping_a_task_that_failed_retrieves_its_error_as_gathering_it_did() -> None:
    loop = asyncio.get_running_loop()
    reported: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _, context: reported.append(context))

    async def fail() -> None:
        raise RuntimeError("a worker broke")

    failed = loop.create_task(fail())
    await settle()
    await stop([failed])
    del failed
    gc.collect()

    assert reported == [], "no 'Task exception was never retrieved'"


async def test_an_empty_or_invalid_input_starts_no_worker() -> None:
    spawn = CountingSpawn()

    await collect(FanOut(["nope", "also-not"], instant, concurrency=32, spawn=spawn))

    assert spawn.workers == 0


async def test_an_input_slower_than_the_answers_is_served_by_one_worker() -> None:
    async def trickle() -> AsyncIterator[str]:
        for n in range(50):
            await settle()  # the next id comes after the last one was answered
            yield image(n)

    spawn = CountingSpawn()

    results = await collect(FanOut(trickle(), instant, concurrency=32, spawn=spawn))

    assert len(results) == 50
    assert spawn.workers == 1, "a worker is started only when none is idle"


async def test_slow_images_start_workers_up_to_the_concurrency_and_no_more() -> None:
    release = asyncio.Event()
    in_flight = 0
    peak = 0

    async def slow(image_id: str) -> ImagePermissionsResult:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await release.wait()
        in_flight -= 1
        return await instant(image_id)

    spawn = CountingSpawn()
    fan_out = FanOut([image(n) for n in range(100)], slow, concurrency=8, spawn=spawn)
    first = asyncio.create_task(anext(fan_out))
    await settle()
    assert (spawn.workers, peak) == (8, 8)

    release.set()
    rest = [await first, *[result async for result in fan_out]]

    assert len(rest) == 100
    assert (spawn.workers, peak) == (8, 8)


async def test_concurrency_below_one_is_rejected() -> None:
    with pytest.raises(ValueError, match="concurrency"):
        FanOut([], instant, concurrency=0)


async def test_an_empty_input_yields_nothing() -> None:
    assert await collect(FanOut([], instant, concurrency=3)) == []
