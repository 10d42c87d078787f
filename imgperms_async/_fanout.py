"""Many images at once: a bounded pool of workers reading a lazily consumed input, one result per id.

Nothing here grows with the input except the set of ids already seen (needed to answer each
distinct id once): no task or future per image, and bounded queues between the input, the workers
and the consumer, so a slow consumer slows the workers instead of piling up results. Workers are
started as the input needs them, up to ``concurrency``: an audit of thousands of (account,
region) scopes that hold one image each starts one worker in each, not ``concurrency``.
"""

from __future__ import annotations

import asyncio
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    Awaitable,
    Callable,
    Coroutine,
    Iterable,
    Sequence,
)
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


class _InputDone:
    """Put by the feed once the input is read and every worker started is told to stop."""


_WORKER_DONE: Final = _WorkerDone()
_INPUT_DONE: Final = _InputDone()

Spawn = Callable[[Coroutine[Any, Any, None]], "asyncio.Task[None]"]
"""Starts a worker; the client's version also tracks it, to cancel and await it when it closes."""

Done = tuple[int, ImagePermissionsResult] | _WorkerDone | _InputDone


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
        spawn: Spawn,
    ) -> None:
        self.image_ids = image_ids
        self.fetch = fetch
        self.concurrency = concurrency
        self.spawn = spawn
        self.tasks: list[asyncio.Task[None]] = []
        self.started = 0
        """Workers started; final once the input is read."""
        self.idle = 0
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
                    if self.idle == 0 and self.started < self.concurrency:
                        self.started += 1
                        self.tasks.append(self.spawn(self.work()))
                    await self.todo.put((sequence, image_id))
                sequence += 1
        except Exception as exc:
            self.input_error = exc
        for _ in range(self.started):
            await self.todo.put(None)
        await self.done.put(_INPUT_DONE)

    async def work(self) -> None:
        while True:
            self.idle += 1
            try:
                item = await self.todo.get()
            finally:
                self.idle -= 1
            if item is None:
                break
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
        if not isinstance(concurrency, int) or isinstance(concurrency, bool) or concurrency < 1:
            raise ValueError(
                f"concurrency must be a whole number of at least 1, not {concurrency!r}"
            )
        self._pipeline = _Pipeline(
            image_ids, fetch, concurrency=concurrency, ordered=ordered, spawn=spawn
        )
        self._started = False
        self._input_done = False
        self._workers_done = 0
        self._waiting: dict[int, ImagePermissionsResult] = {}
        self._next_sequence = 0

    def __aiter__(self) -> FanOut:
        return self

    async def __anext__(self) -> ImagePermissionsResult:
        if not self._started:
            self._started = True
            pipeline = self._pipeline
            pipeline.tasks.append(pipeline.spawn(pipeline.feed()))
        try:
            return await self._next_result()
        except BaseException:
            await self.aclose()
            raise

    async def aclose(self) -> None:
        """Cancel every worker and wait for them: nothing of this fan-out is left in flight."""
        tasks = self._pipeline.tasks
        while tasks:
            started = list(tasks)
            tasks.clear()
            await stop(started)

    async def __aenter__(self) -> FanOut:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def __del__(self) -> None:
        """A consumer that left the loop without closing: stop the workers on their loop."""
        pipeline = getattr(self, "_pipeline", None)  # None when __init__ refused its arguments
        for task in pipeline.tasks if pipeline is not None else ():
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
            if self._input_done and self._workers_done == pipeline.started:
                error, pipeline.input_error = pipeline.input_error, None
                if error is not None:
                    raise error
                raise StopAsyncIteration
            item = await pipeline.done.get()
            if isinstance(item, _WorkerDone):
                self._workers_done += 1
            elif isinstance(item, _InputDone):
                self._input_done = True
            else:
                sequence, result = item
                if window is None:
                    return result
                self._waiting[sequence] = result


async def stop(tasks: Sequence[asyncio.Task[None]]) -> None:
    """Cancel the tasks still running and wait for them to end.

    A task already finished is not waited for: gathering it still cost a turn of the event loop,
    twice per scope of an audit (its fan-out's and its client's). Its exception, if any, is
    retrieved, as gathering it would, so none is logged as never retrieved.
    """
    running = [task for task in tasks if not task.done()]
    for task in running:
        task.cancel()
    if running:
        await asyncio.gather(*running, return_exceptions=True)
    for task in tasks:
        if not task.cancelled():
            task.exception()


async def _each(items: Iterable[str] | AsyncIterable[str]) -> AsyncGenerator[str]:
    if isinstance(items, AsyncIterable):
        async for item in items:
            yield item
    else:
        for item in items:
            yield item
