"""Many images at once: a fixed pool of workers reading a lazily consumed input, one result per id.

Nothing here grows with the input except the set of ids already seen (needed to answer each
distinct id once): no task or future per image, and bounded queues between the input, the workers
and the consumer, so a slow consumer slows the workers instead of piling up results.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterable, Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Final

from imgperms_async._exceptions import ParamValidationError
from imgperms_async._paginate import Call, paginate
from imgperms_async._validation import image_id_problems

ORDERED_WINDOW_PER_WORKER: Final = 4
"""With ``ordered=True``, how many results per worker may wait behind a slow image."""


@dataclass(frozen=True, slots=True)
class ImagePermissionsResult:
    """What one image is shared with. On error, the accounts from the pages fetched before it."""

    image_id: str
    shared_account_ids: tuple[str, ...]
    error: Exception | None
    pages: int

    @property
    def ok(self) -> bool:
        return self.error is None


FetchImage = Callable[[str], Awaitable[ImagePermissionsResult]]


async def fetch_image(
    call: Call, image_id: str, *, page_size: int | None
) -> ImagePermissionsResult:
    """Every page of one image joined in server order; an error ends this image, never raises."""
    params: dict[str, object] = {"ImageId": image_id}
    if page_size is not None:
        params["MaxResults"] = page_size
    accounts: list[str] = []
    pages = 0
    try:
        async for page in paginate(call, params):
            pages += 1
            accounts.extend(
                entry["SharedAccountId"]
                for entry in page.get("ImagePermissions", ())
                if "SharedAccountId" in entry
            )
    except Exception as exc:
        return ImagePermissionsResult(image_id, tuple(accounts), exc, pages)
    return ImagePermissionsResult(image_id, tuple(accounts), None, pages)


@dataclass(frozen=True, slots=True)
class _InputFailed:
    error: Exception


_WORKER_DONE: Final = object()


async def fan_out(
    image_ids: Iterable[str] | AsyncIterable[str],
    fetch: FetchImage,
    *,
    concurrency: int,
    ordered: bool = False,
) -> AsyncGenerator[ImagePermissionsResult]:
    """Yield one result per distinct id, in completion order (or input order with ``ordered``).

    Leaving the loop, ``aclose()`` or cancelling the consumer cancels every worker and waits for
    them, so nothing is left in flight. An exception raised by the input itself is re-raised here.
    """
    if concurrency < 1:
        raise ValueError(f"concurrency must be at least 1, not {concurrency}")
    todo: asyncio.Queue[tuple[int, str] | None] = asyncio.Queue(maxsize=concurrency)
    done: asyncio.Queue[tuple[int, ImagePermissionsResult] | _InputFailed | object] = asyncio.Queue(
        maxsize=concurrency
    )
    window = asyncio.Semaphore(concurrency * ORDERED_WINDOW_PER_WORKER) if ordered else None

    async def feed() -> None:
        seen: set[str] = set()
        sequence = 0
        try:
            async for raw_id in _each(image_ids):
                image_id = raw_id if isinstance(raw_id, str) else repr(raw_id)
                if image_id in seen:
                    continue
                seen.add(image_id)
                if window is not None:
                    await window.acquire()
                if problems := image_id_problems(raw_id):
                    invalid = ParamValidationError(report="\n".join(problems))
                    await done.put((sequence, ImagePermissionsResult(image_id, (), invalid, 0)))
                else:
                    await todo.put((sequence, image_id))
                sequence += 1
        except Exception as exc:
            await done.put(_InputFailed(exc))
        for _ in range(concurrency):
            await todo.put(None)

    async def work() -> None:
        while (item := await todo.get()) is not None:
            sequence, image_id = item
            await done.put((sequence, await fetch(image_id)))
        await done.put(_WORKER_DONE)

    tasks = [asyncio.create_task(feed())]
    tasks.extend(asyncio.create_task(work()) for _ in range(concurrency))
    try:
        running = concurrency
        waiting: dict[int, ImagePermissionsResult] = {}
        next_sequence = 0
        while running:
            item = await done.get()
            if item is _WORKER_DONE:
                running -= 1
            elif isinstance(item, _InputFailed):
                raise item.error
            elif isinstance(item, tuple):
                sequence, result = item
                if window is None:
                    yield result
                    continue
                waiting[sequence] = result
                while next_sequence in waiting:
                    yield waiting.pop(next_sequence)
                    next_sequence += 1
                    window.release()
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _each(items: Iterable[str] | AsyncIterable[str]) -> AsyncGenerator[str]:
    if isinstance(items, AsyncIterable):
        async for item in items:
            yield item
    else:
        for item in items:
            yield item
