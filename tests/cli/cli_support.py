"""Helpers shared by the CLI tests: a runner bound to an emulator, subprocess runs, a dead port."""

from __future__ import annotations

import asyncio
import os
import socket
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

import aiohttp
from aiohttp import web
from click.testing import CliRunner, Result

from imgperms_async.cli import main


@dataclass(frozen=True)
class Cli:
    endpoint_url: str

    def __call__(self, *args: str, stdin: str | None = None) -> Result:
        return CliRunner().invoke(main, list(args), input=stdin, catch_exceptions=False)

    def audit(self, *args: str, stdin: str | None = None) -> Result:
        """``imgperms audit`` against the emulator in us-east-1, without a progress bar."""
        return self(
            "audit",
            "--endpoint-url",
            self.endpoint_url,
            "--region",
            "us-east-1",
            "--no-progress",
            *args,
            stdin=stdin,
        )


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def run_imgperms(
    *args: str, env: Mapping[str, str], stdin: str | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "imgperms_async", *args],
        env={**os.environ, **env},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@contextmanager
def serving_in_thread(
    application: web.Application, *, ssl_context: ssl.SSLContext | None = None
) -> Iterator[str]:
    """Serve an aiohttp app on loopback from its own thread and loop (the CLI runs its own
    event loop, so the server cannot share the test's); yields its URL."""
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(application, access_log=None)
    loop.run_until_complete(runner.setup())
    loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ssl_context).start())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    scheme = "http" if ssl_context is None else "https"
    try:
        yield f"{scheme}://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.run_until_complete(runner.cleanup())
        loop.close()


@contextmanager
def tls_proxy(target_url: str, context: ssl.SSLContext) -> Iterator[str]:
    """An https endpoint on loopback that forwards every request to ``target_url``."""

    async def forward(request: web.Request) -> web.Response:
        async with aiohttp.ClientSession() as session, session.request(
            request.method, target_url + request.path_qs, headers=request.headers,
            data=await request.read(),
        ) as answer:  # fmt: skip
            return web.Response(
                status=answer.status, headers=answer.headers, body=await answer.read()
            )

    application = web.Application()
    application.router.add_route("*", "/{tail:.*}", forward)
    with serving_in_thread(application, ssl_context=context) as url:
        yield url


@contextmanager
def redirecting_server() -> Iterator[str]:
    """An endpoint that answers 302 to a page saying ``{"status": "ok"}``."""

    async def redirect(request: web.Request) -> web.Response:
        return web.Response(status=302, headers={"Location": "/status"})

    async def status(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    application = web.Application()
    application.router.add_post("/", redirect)
    application.router.add_route("*", "/status", status)
    with serving_in_thread(application) as url:
        yield url


def run_on_terminal(
    *args: str, env: Mapping[str, str], columns: int = 80, timeout: float = 60
) -> tuple[int, str, str]:
    """``python -m imgperms_async ARGS`` with stdout on a pseudo-terminal ``columns`` wide (stdin
    and stderr are not terminals); its exit status, what the terminal showed (line ends as
    ``\\n``) and stderr."""
    import fcntl
    import pty
    import struct
    import termios

    main_end, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    process = subprocess.Popen(
        [sys.executable, "-m", "imgperms_async", *args],
        env={**os.environ, **env},
        stdin=subprocess.DEVNULL,
        stdout=terminal,
        stderr=subprocess.PIPE,
        text=True,
    )
    os.close(terminal)
    shown = bytearray()
    while True:
        try:
            chunk = os.read(main_end, 65536)
        except OSError:  # EIO: the process closed the terminal
            break
        if not chunk:
            break
        shown += chunk
    os.close(main_end)
    _, stderr = process.communicate(timeout=timeout)
    return process.returncode, shown.decode().replace("\r\n", "\n"), stderr
