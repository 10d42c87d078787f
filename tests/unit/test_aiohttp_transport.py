"""The aiohttp adapter: what goes on the wire, what comes back, and how each failure is named.

Against small aiohttp servers on loopback, and, for failures a server cannot easily stage, aiohttp
patched by aioresponses (skipped where aioresponses cannot build responses for the installed
aiohttp: 0.7.9 lacks the ``stream_writer`` argument aiohttp 3.14 requires).
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
import trustme
from aiohttp import web
from aiohttp.typedefs import Handler
from botocore.exceptions import (
    ConnectionClosedError,
    EndpointConnectionError,
    ReadTimeoutError,
    SSLError,
)
from servers import LoopbackServer

import imgperms_async
from imgperms_async import AiohttpTransport, ClientClosedError, HttpRequest, InvalidSettingError

BODY = b'{"ImageId":"wsi-abc123def","ImagePermissions":[]}'


def post(url: str) -> HttpRequest:
    return HttpRequest(url + "/", {"X-Amz-Target": "WorkspacesService.Test"}, b"{}")


@pytest.fixture
async def transport() -> AsyncIterator[AiohttpTransport]:
    async with AiohttpTransport(max_connections=4, read_timeout_secs=0.5) as opened:
        yield opened


def app(**routes: Handler) -> web.Application:
    application = web.Application()
    for path, handler in routes.items():
        application.router.add_route("*", "/" + path.removeprefix("root").strip("_"), handler)
    return application


async def test_the_request_goes_as_given_with_the_packages_user_agent(
    loopback_server: LoopbackServer, transport: AiohttpTransport
) -> None:
    seen: list[web.Request] = []

    async def root(request: web.Request) -> web.Response:
        seen.append(request)
        assert await request.read() == b"{}"
        return web.Response(body=BODY)

    url = await loopback_server(app(root=root))
    response = await transport.send(post(url))

    assert response.status == 200
    assert response.body == BODY
    (request,) = seen
    assert request.method == "POST"
    assert request.headers["X-Amz-Target"] == "WorkspacesService.Test"
    assert request.headers["User-Agent"] == f"imgperms-async/{imgperms_async.__version__}"


async def test_header_names_come_back_lower_case_and_repeats_joined(
    loopback_server: LoopbackServer, transport: AiohttpTransport
) -> None:
    async def root(request: web.Request) -> web.Response:
        response = web.Response(body=BODY, headers={"X-Amzn-RequestId": "rid-1"})
        response.headers.add("X-Repeated", "one")
        response.headers.add("X-Repeated", "two")
        return response

    response = await transport.send(post(await loopback_server(app(root=root))))

    assert response.headers["x-amzn-requestid"] == "rid-1"
    assert response.headers["x-repeated"] == "one, two"


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_a_redirect_is_answered_as_it_is_never_followed(
    loopback_server: LoopbackServer, transport: AiohttpTransport, status: int
) -> None:
    followed: list[str] = []

    async def root(request: web.Request) -> web.Response:
        return web.Response(status=status, headers={"Location": "/elsewhere"})

    async def elsewhere(request: web.Request) -> web.Response:
        followed.append(request.method)
        return web.json_response({"status": "ok"})

    response = await transport.send(
        post(await loopback_server(app(root=root, elsewhere=elsewhere)))
    )

    assert response.status == status
    assert followed == []


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def test_a_refused_connection_is_botocores_endpoint_error(
    transport: AiohttpTransport,
) -> None:
    with pytest.raises(EndpointConnectionError, match=r"127\.0\.0\.1"):
        await transport.send(post(f"http://127.0.0.1:{closed_port()}"))


async def test_an_answer_slower_than_the_read_timeout_is_a_read_timeout(
    loopback_server: LoopbackServer, transport: AiohttpTransport
) -> None:
    answer = asyncio.Event()

    async def root(request: web.Request) -> web.Response:
        await answer.wait()
        return web.Response(body=BODY)

    with pytest.raises(ReadTimeoutError):
        await transport.send(post(await loopback_server(app(root=root))))
    answer.set()


async def test_a_connection_cut_mid_body_is_a_closed_connection(
    loopback_server: LoopbackServer, transport: AiohttpTransport
) -> None:
    async def root(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        response.content_length = len(BODY)
        await response.prepare(request)
        await response.write(BODY[:10])
        assert request.transport is not None
        request.transport.close()
        return response

    with pytest.raises(ConnectionClosedError):
        await transport.send(post(await loopback_server(app(root=root))))


async def test_a_closed_transport_refuses_to_send() -> None:
    transport = AiohttpTransport()
    await transport.aclose()

    with pytest.raises(ClientClosedError):
        await transport.send(post("http://127.0.0.1:9"))


@pytest.fixture(scope="module")
def authority() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
async def tls_url(loopback_server: LoopbackServer, authority: trustme.CA) -> str:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)

    async def root(request: web.Request) -> web.Response:
        return web.Response(body=BODY)

    return await loopback_server(app(root=root), ssl_context=context)


async def test_an_untrusted_certificate_is_botocores_ssl_error(tls_url: str) -> None:
    async with AiohttpTransport() as transport:
        with pytest.raises(SSLError):
            await transport.send(post(tls_url))


async def test_a_ca_bundle_makes_the_certificate_trusted(
    tls_url: str, authority: trustme.CA, tmp_path: Path
) -> None:
    bundle = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(bundle))

    async with AiohttpTransport(ca_bundle=str(bundle)) as transport:
        assert (await transport.send(post(tls_url))).status == 200


async def test_without_verification_any_certificate_is_accepted(tls_url: str) -> None:
    async with AiohttpTransport(verify_tls=False) as transport:
        assert (await transport.send(post(tls_url))).status == 200


@pytest.mark.parametrize("content", [None, "this is not a certificate\n"])
def test_a_missing_or_broken_ca_bundle_is_an_error_naming_it_at_once(
    tmp_path: Path, content: str | None
) -> None:
    bundle = tmp_path / "bundle.pem"
    if content is not None:
        bundle.write_text(content)

    with pytest.raises(InvalidSettingError, match=r"bundle\.pem"):
        AiohttpTransport(ca_bundle=str(bundle))


@pytest.fixture
async def patched_aiohttp() -> AsyncIterator[object]:
    """aiohttp patched by aioresponses, once it has shown it can answer on this aiohttp."""
    aioresponses = pytest.importorskip("aioresponses").aioresponses
    with aioresponses() as patched:
        patched.get("http://probe.test/", body=b"{}")
        try:
            async with aiohttp.ClientSession() as session, session.get("http://probe.test/"):
                pass
        except TypeError as error:
            pytest.skip(
                f"aioresponses cannot build responses for aiohttp {aiohttp.__version__}: {error}"
            )
        yield patched


async def test_a_disconnect_before_the_answer_is_a_closed_connection(
    patched_aiohttp: object,
) -> None:
    url = "http://workspaces.test.example"
    patched_aiohttp.post(url + "/", exception=aiohttp.ServerDisconnectedError())  # type: ignore[attr-defined]

    async with AiohttpTransport() as transport:
        with pytest.raises(ConnectionClosedError):
            await transport.send(post(url))


async def test_a_request_goes_through_the_proxy_http_proxy_names(
    loopback_server: LoopbackServer, transport: AiohttpTransport, monkeypatch: pytest.MonkeyPatch
) -> None:
    hosts: list[str] = []

    async def root(request: web.Request) -> web.Response:
        hosts.append(request.headers["Host"])
        return web.Response(body=BODY)

    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.setenv("HTTP_PROXY", await loopback_server(app(root=root)))
    response = await transport.send(post("http://workspaces.us-east-1.amazonaws.com"))

    assert response.body == BODY
    assert hosts == ["workspaces.us-east-1.amazonaws.com"]


async def test_a_host_no_proxy_names_is_reached_directly(
    loopback_server: LoopbackServer, transport: AiohttpTransport, monkeypatch: pytest.MonkeyPatch
) -> None:
    reached: list[str] = []

    async def proxied(request: web.Request) -> web.Response:
        reached.append("proxy")
        return web.Response(status=502)

    async def direct(request: web.Request) -> web.Response:
        reached.append("server")
        return web.Response(body=BODY)

    monkeypatch.setenv("HTTP_PROXY", await loopback_server(app(root=proxied)))
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    response = await transport.send(post(await loopback_server(app(root=direct))))

    assert response.body == BODY
    assert reached == ["server"]
