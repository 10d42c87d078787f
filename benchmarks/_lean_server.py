"""A lean WorkSpaces server for the throughput scenario: the emulator's answers, at a fraction of its cost.

The fastest clients make 8 000-10 000 requests/s on one core; the emulator, an aiohttp application
that verifies SigV4, serves 5 000-7 000, so against it the benchmark would measure the server. This
one serves the same fixed state from a table: at start it asks the real emulator (in-process, on
the same state and seed) for every page, then answers over HTTP/1.1 keep-alive from an
``asyncio.Protocol``, on uvloop when installed. Status, body bytes and page tokens are the
emulator's own; ``x-amzn-RequestId`` (a fresh uuid4), ``Date`` (RFC 1123, per second),
``Content-Type`` and ``Server`` are rendered as the emulator renders them.
``tests/benchmarks/test_lean_server.py`` checks all of that against the emulator.

It does not verify SigV4 (as the emulator's ``--no-verify`` does not), and it answers only what
the scenario asks: permission pages with ``MaxResults`` absent or the page size, an unknown image
and a token it did not issue as the emulator does; anything else with a 500 that no driver counts
as correct.

    python -m benchmarks._lean_server --images 1000 --accounts 60 --seed 7
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from email.utils import formatdate
from typing import Final, cast

import aiohttp
from aiohttp.http import SERVER_SOFTWARE

from benchmarks._server import fixed_state
from imgperms_async.emulator import Emulator

OPERATION: Final = "DescribeWorkspaceImagePermissions"
TARGET: Final = f"WorkspacesService.{OPERATION}"
CONTENT_TYPE: Final = "application/x-amz-json-1.1"
PAGE_SIZE: Final = 25
_REASONS: Final = {200: "OK", 400: "Bad Request", 500: "Internal Server Error"}

PageKey = tuple[str, str | None]
"""(ImageId, NextToken or ``None`` for the first page)."""


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: bytes
    error_code: str | None = None


async def prerender(emulator: Emulator, image_ids: Iterable[str]) -> dict[PageKey, bytes]:
    """Every page of every image, as the running ``emulator`` serves it."""
    pages: dict[PageKey, bytes] = {}
    headers = {"Content-Type": CONTENT_TYPE, "X-Amz-Target": TARGET}
    async with aiohttp.ClientSession() as session:
        for image_id in image_ids:
            token: str | None = None
            while True:
                params = {"ImageId": image_id} | ({} if token is None else {"NextToken": token})
                async with session.post(
                    emulator.endpoint_url + "/", data=json.dumps(params).encode(), headers=headers
                ) as response:
                    body = await response.read()
                    if response.status != 200:
                        raise RuntimeError(f"the emulator answered {response.status}: {body!r}")
                pages[image_id, token] = body
                token = json.loads(body).get("NextToken")
                if token is None:
                    break
    return pages


def _error(status: int, code: str, message: str) -> Answer:
    """The emulator's error body: ``json.dumps`` with its default separators."""
    return Answer(status, json.dumps({"__type": code, "message": message}).encode(), code)


class Answers:
    """Maps one request (target and JSON body) to the emulator's answer for it."""

    def __init__(self, pages: Mapping[PageKey, bytes]) -> None:
        self._pages = {key: Answer(200, body) for key, body in pages.items()}
        self._images = {image_id for image_id, _ in pages}

    def answer(self, target: str, body: bytes) -> Answer:
        try:
            params = json.loads(body)
        except ValueError:
            params = None
        if target != TARGET or not isinstance(params, dict):
            return _unsupported()
        image_id, token = params.get("ImageId"), params.get("NextToken")
        if (
            not isinstance(image_id, str)
            or not isinstance(token, str | None)
            or params.get("MaxResults", PAGE_SIZE) != PAGE_SIZE
            or set(params) - {"ImageId", "NextToken", "MaxResults"}
        ):
            return _unsupported()
        found = self._pages.get((image_id, token))
        if found is not None:
            return found
        if image_id not in self._images:
            return _error(
                400, "ResourceNotFoundException", f"The image {image_id} could not be found."
            )
        return _error(400, "InvalidParameterValuesException", "The pagination token is invalid.")


def _unsupported() -> Answer:
    return _error(500, "InternalFailure", "Not a request the lean benchmark server pre-rendered.")


class _Dates:
    """``Date`` header values, rendered once a second as the emulator does."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._second = -1
        self._value = ""

    def now(self) -> str:
        now = self._clock()
        if int(now) != self._second:
            self._second = int(now)
            self._value = formatdate(now, usegmt=True)
        return self._value


class _Connection(asyncio.Protocol):
    """One keep-alive connection: requests parsed from a buffer, answered in order."""

    def __init__(self, answers: Answers, dates: _Dates) -> None:
        self._answers = answers
        self._dates = dates
        self._buffer = bytearray()
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's TCP transport has the methods of asyncio.Transport without subclassing it.
        self._transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        while (end := buffer.find(b"\r\n\r\n")) >= 0:
            lines = bytes(buffer[:end]).decode("latin-1").split("\r\n")[1:]
            fields = {
                name.strip().lower(): value.strip()
                for name, _, value in (line.partition(":") for line in lines)
            }
            if "transfer-encoding" in fields:
                self._reply(_error(400, "SerializationException", "Chunked bodies are not read."))
                self._close()
                return
            length = int(fields.get("content-length", "0"))
            if len(buffer) < end + 4 + length:
                return
            body = bytes(buffer[end + 4 : end + 4 + length])
            del buffer[: end + 4 + length]
            self._reply(self._answers.answer(fields.get("x-amz-target", ""), body))
            if fields.get("connection", "").lower() == "close":
                self._close()
                return

    def _reply(self, answer: Answer) -> None:
        assert self._transport is not None
        error_header = (
            "" if answer.error_code is None else f"x-amzn-ErrorType: {answer.error_code}\r\n"
        )
        head = (
            f"HTTP/1.1 {answer.status} {_REASONS[answer.status]}\r\n"
            f"x-amzn-RequestId: {uuid.uuid4()}\r\n"
            f"Date: {self._dates.now()}\r\n"
            f"Content-Type: {CONTENT_TYPE}\r\n"
            f"{error_header}"
            f"Content-Length: {len(answer.body)}\r\n"
            f"Server: {SERVER_SOFTWARE}\r\n\r\n"
        )
        self._transport.write(head.encode("latin-1") + answer.body)

    def _close(self) -> None:
        if self._transport is not None:
            self._transport.close()


class LeanServer:
    """Serves ``answers`` on ``host:port`` (0 picks a free port) until stopped."""

    def __init__(self, answers: Answers, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self._answers = answers
        self._host = host
        self._port = port
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        dates = _Dates()
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: _Connection(self._answers, dates), self._host, self._port
        )
        self._port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    @property
    def endpoint_url(self) -> str:
        return f"http://{self._host}:{self._port}"


async def _serve(state: Mapping[str, Sequence[str]], seed: int) -> None:
    emulator = Emulator(state, seed=seed, verify=False)
    async with emulator:
        server = LeanServer(Answers(await prerender(emulator, state)))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await server.start()
    # The emulator's announcement, so the suite starts either server the same way.
    credentials = emulator.credentials
    print(
        server.endpoint_url,
        f"export AWS_ACCESS_KEY_ID={credentials.access_key}",
        f"export AWS_SECRET_ACCESS_KEY={credentials.secret_key}",
        f"export AWS_DEFAULT_REGION={emulator.region}",
        f"export AWS_ENDPOINT_URL_WORKSPACES={server.endpoint_url}",
        sep="\n",
        flush=True,
    )
    await stop.wait()
    await server.stop()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks._lean_server", description=__doc__)
    parser.add_argument("--images", type=int, required=True)
    parser.add_argument("--accounts", type=int, required=True, help="shared accounts per image")
    parser.add_argument("--seed", type=int, default=0, help="seeds the page tokens")
    args = parser.parse_args(argv)
    work = _serve(fixed_state(args.images, args.accounts), args.seed)
    try:
        import uvloop
    except ImportError:
        asyncio.run(work)
    else:
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            runner.run(work)


if __name__ == "__main__":
    main()
