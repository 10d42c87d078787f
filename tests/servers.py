"""Servers the tests start on loopback: small aiohttp apps on a free port of 127.0.0.1."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from aiohttp import web

LoopbackServer = Callable[..., Awaitable[str]]
"""``await serve(app, ssl_context=None)``: the URL the app is served at until the test ends."""


@asynccontextmanager
async def loopback_servers() -> AsyncIterator[LoopbackServer]:
    runners: list[web.AppRunner] = []

    async def serve(app: web.Application, *, ssl_context: ssl.SSLContext | None = None) -> str:
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        runners.append(runner)
        await web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ssl_context).start()
        scheme = "https" if ssl_context is not None else "http"
        return f"{scheme}://127.0.0.1:{runner.addresses[0][1]}"

    try:
        yield serve
    finally:
        for runner in runners:
            await runner.cleanup()
