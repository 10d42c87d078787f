"""Many images at once: a fixed pool of workers reading a lazily consumed input, one result per id.

Nothing here grows with the input except the set of ids already seen (needed to answer each
distinct id once): no task or future per image, and bounded queues between the input, the workers
and the consumer, so a slow consumer slows the workers instead of piling up results.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterable, Awaitable, Callable, Coroutine, Iterable
from dataclasses import dataclass
from typing import Any, Final

from imgperms_async._exceptions import ParamValidationError
from imgperms_async._paginate import Call, PageTokens
from imgperms_async._validation import image_id_problems

ORDERED_WINDOW_PER_WORKER: Final = 4
"""With ``ordered=True``, how many results per worker may wait behind a slow image."""


@dataclass(frozen=True, slots=True)
class ImagePermissionsResult:
    """What one image is shared with. On error, the accounts from the pages fetched before it.

    An organization audit also says whose image it is and where (``account_id``, ``region``);
    a single client's fan-out leaves them ``None``.
    """

    image_id: str
    shared_account_ids: tuple[str, ...]
    error: Exception | None
    pages: int
    account_id: str | None = None
    region: str | None = None


FetchImage = Callable[[str], Awaitable[ImagePermissionsResult]]


async def fetch_image(
    call: Call, image_id: str, *, page_size: int | None
) -> ImagePermissionsResult:
    """Every page of one image joined in server order; an error ends this image, never raises.

    A plain loop rather than ``paginate``'s async generator: this runs once per image of a bulk
    audit, and the generator's machinery costs more than the loop it saves writing.
    """
    params: dict[str, Any] = {"ImageId": image_id}
    if page_size is not None:
        params["MaxResults"] = page_size
    accounts: list[str] = []
    pages = 0
    tokens = PageTokens()
    request = params
    try:
        while True:
            page = await call(request)
            pages += 1
            accounts += [
                entry["SharedAccountId"]
                for entry in page["ImagePermissions"]
                if "SharedAccountId" in entry
            ]
            token = tokens.after(page)
            if token is None:
                return ImagePermissionsResult(image_id, tuple(accounts), None, pages)
            request = {**params, "NextToken": token}
    except Exception as exc:
        return ImagePermissionsResult(image_id, tuple(accounts), exc, pages)


class _WorkerDone:
    """Put by each worker as it exits: the consumer stops when every worker has."""


_WORKER_DONE: Final = _WorkerDone()

Spawn = Callable[[Coroutine[Any, Any, None]], "asyncio.Task[None]"]
"""Starts a worker; the client's version also tracks it, to cancel and await it when it closes."""

Done = tuple[int, ImagePermissionsResult] | _WorkerDone


class _Pipeline:
    """The input, the workers and the queues between them and the consumer.

    The workers hold this and never the ``FanOut`` the consumer holds, so a consumer that drops
    its iterator (a plain ``break``) lets the ``FanOut`` be collected at once, and its
    finalizer stops the workers.
    """

    def __init__(
        self,
        image_ids: Iterable[str] | AsyncIterable[str],
        fetch: FetchImage,
        *,
        concurrency: int,
        ordered: bool,
    ) -> None:
        self.image_ids = image_ids
        self.fetch = fetch
        self.concurrency = concurrency
        self.todo: asyncio.Queue[tuple[int, str] | None] = asyncio.Queue(maxsize=concurrency)
        self.done: asyncio.Queue[Done] = asyncio.Queue(maxsize=concurrency)
        self.window = (
            asyncio.Semaphore(concurrency * ORDERED_WINDOW_PER_WORKER) if ordered else None
        )
        self.input_error: Exception | None = None

    async def feed(self) -> None:
        """Reads the input lazily; an input that fails ends the input, and the consumer gets
        its error once every image already handed out has been answered."""
        seen: set[str] = set()
        sequence = 0
        try:
            async for raw_id in _each(self.image_ids):
                image_id = raw_id if isinstance(raw_id, str) else repr(raw_id)
                if image_id in seen:
                    continue
                seen.add(image_id)
                if self.window is not None:
                    await self.window.acquire()
                if problems := image_id_problems(raw_id):
                    invalid = ParamValidationError(report="\n".join(problems))
                    result = ImagePermissionsResult(image_id, (), invalid, 0)
                    await self.done.put((sequence, result))
                else:
                    await self.todo.put((sequence, image_id))
                sequence += 1
        except Exception as exc:
            self.input_error = exc
        for _ in range(self.concurrency):
            await self.todo.put(None)

    async def work(self) -> None:
        while (item := await self.todo.get()) is not None:
            sequence, image_id = item
            await self.done.put((sequence, await self.fetch(image_id)))
        await self.done.put(_WORKER_DONE)


class FanOut:
    """An async iterator of one result per distinct id, in completion order (or input order).

    A class rather than an async generator so that leaving the loop early is immediate: the
    workers are cancelled when the iterator is closed, cancelled, or dropped, without waiting for
    the event loop to finalize an abandoned generator. An exception raised by the input itself is
    re-raised to the consumer after the results of the images already read.
    """

    def __init__(
        self,
        image_ids: Iterable[str] | AsyncIterable[str],
        fetch: FetchImage,
        *,
        concurrency: int,
        ordered: bool = False,
        spawn: Spawn = asyncio.create_task,
    ) -> None:
        self._tasks: list[asyncio.Task[None]] | None = None
        if concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, not {concurrency}")
        self._pipeline = _Pipeline(image_ids, fetch, concurrency=concurrency, ordered=ordered)
        self._spawn = spawn
        self._running = concurrency
        self._waiting: dict[int, ImagePermissionsResult] = {}
        self._next_sequence = 0

    def __aiter__(self) -> FanOut:
        return self

    async def __anext__(self) -> ImagePermissionsResult:
        if self._tasks is None:
            pipeline = self._pipeline
            self._tasks = [self._spawn(pipeline.feed())]
            self._tasks.extend(self._spawn(pipeline.work()) for _ in range(pipeline.concurrency))
        try:
            return await self._next_result()
        except BaseException:
            await self.aclose()
            raise

    async def aclose(self) -> None:
        """Cancel every worker and wait for them: nothing of this fan-out is left in flight."""
        tasks, self._tasks = self._tasks or [], []
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def __aenter__(self) -> FanOut:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def __del__(self) -> None:
        """A consumer that left the loop without closing: stop the workers on their loop."""
        for task in self._tasks or ():
            loop = task.get_loop()
            if not task.done() and not loop.is_closed():
                loop.call_soon_threadsafe(task.cancel)

    async def _next_result(self) -> ImagePermissionsResult:
        pipeline = self._pipeline
        window = pipeline.window
        while True:
            if window is not None and self._next_sequence in self._waiting:
                self._next_sequence += 1
                window.release()
                return self._waiting.pop(self._next_sequence - 1)
            if not self._running:
                error, pipeline.input_error = pipeline.input_error, None
                if error is not None:
                    raise error
                raise StopAsyncIteration
            item = await pipeline.done.get()
            if isinstance(item, _WorkerDone):
                self._running -= 1
            else:
                sequence, result = item
                if window is None:
                    return result
                self._waiting[sequence] = result


async def _each(items: Iterable[str] | AsyncIterable[str]) -> AsyncGenerator[str]:
    if isinstance(items, AsyncIterable):
        async for item in items:
            yield item
    else:
        for item in items:
            yield item
