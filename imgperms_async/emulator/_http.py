"""The HTTP side, the one module that imports aiohttp's server: requests become `RawRequest`s
for the pipeline, answers go back, and `GET /_emulator/...` serves what the emulator holds.

aiohttp's low-level server is enough: a route table of a few entries needs no router.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from aiohttp import web

from ._pipeline import Answer, RequestPipeline
from ._protocols import RawRequest

__all__ = ["Inspection", "Serving", "start_server"]

Inspection = Callable[[], object]
"""What a `GET /_emulator/<name>` serves, as JSON."""


class _Handler:
    def __init__(self, pipeline: RequestPipeline, inspections: Mapping[str, Inspection]) -> None:
        self._pipeline = pipeline
        self._inspections = inspections

    async def __call__(self, request: web.BaseRequest) -> web.StreamResponse:
        if request.method == "GET":
            inspect = self._inspections.get(request.path)
            if inspect is not None:
                return web.json_response(inspect())
        if request.method == "POST":
            raw = RawRequest(
                method=request.method,
                path=request.path,
                raw_path=request.raw_path.partition("?")[0],
                query_string=request.query_string,
                headers=request.headers,
                body=await request.read(),
            )
            if self._pipeline.serves(raw):
                return await _send(request, await self._pipeline.answer(raw))
        return await _send(request, self._pipeline.not_found())


async def _send(request: web.BaseRequest, answer: Answer) -> web.StreamResponse:
    if not answer.cut:
        return web.Response(status=answer.status, body=answer.body, headers=answer.headers)
    # Headers and half the body, then close: a connection lost mid-response.
    response = web.StreamResponse(status=answer.status, headers=answer.headers)
    response.content_length = len(answer.body)
    await response.prepare(request)
    await response.write(answer.body[: len(answer.body) // 2])
    if request.transport is not None:
        request.transport.close()
    return response


class Serving:
    """A server started by `start_server`: the port it bound, and how to stop it."""

    def __init__(self, runner: web.ServerRunner) -> None:
        self._runner = runner
        self.port: int = runner.addresses[0][1]

    async def stop(self) -> None:
        await self._runner.cleanup()


async def start_server(
    pipeline: RequestPipeline, inspections: Mapping[str, Inspection], host: str, port: int
) -> Serving:
    """Serve the pipeline and the inspections on host:port (0: a free port) until stopped."""
    runner = web.ServerRunner(web.Server(_Handler(pipeline, inspections), access_log=None))
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return Serving(runner)
