"""The lean benchmark server answers as the emulator does, for the throughput scenario's state.

Both servers run side by side on the same state and seed; every page of every image is fetched
from each, following each server's own tokens, and compared: status, body bytes, header names and
their formats, and a token from one server resumes the listing on the other. The lean server runs
both in the test's loop and as the benchmark runs it, ``python -m benchmarks._lean_server`` in its
own process (on uvloop when installed).
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import AsyncIterator, Mapping
from email.utils import parsedate_to_datetime

import aiohttp
import pytest

from benchmarks._lean_server import CONTENT_TYPE, TARGET, Answers, LeanServer, prerender
from benchmarks._scenarios import ACCOUNTS_PER_IMAGE, SEED, lean_server_command, serving
from benchmarks._server import fixed_state
from imgperms_async.emulator import Emulator

STATE = fixed_state(6, ACCOUNTS_PER_IMAGE)
Reply = tuple[int, Mapping[str, str], bytes]


@pytest.fixture(params=["in-process", "as the benchmark runs it"])
async def servers(request: pytest.FixtureRequest) -> AsyncIterator[tuple[str, str]]:
    """(emulator URL, lean server URL), serving the same state."""
    async with Emulator(STATE, seed=SEED, verify=False) as emulator:
        if request.param == "in-process":
            lean = LeanServer(Answers(await prerender(emulator, STATE)))
            await lean.start()
            try:
                yield emulator.endpoint_url, lean.endpoint_url
            finally:
                await lean.stop()
        else:
            with serving(lean_server_command(len(STATE))) as process:
                yield emulator.endpoint_url, process.endpoint_url


async def post(
    session: aiohttp.ClientSession, url: str, params: object, target: str = TARGET
) -> Reply:
    headers = {"Content-Type": CONTENT_TYPE, "X-Amz-Target": target}
    async with session.post(url + "/", data=json.dumps(params), headers=headers) as response:
        return response.status, dict(response.headers), await response.read()


def assert_same_reply(lean: Reply, emulated: Reply) -> None:
    (status, headers, body), (want_status, want_headers, want_body) = lean, emulated
    assert (status, body) == (want_status, want_body)
    assert sorted(headers) == sorted(want_headers)
    assert headers["Content-Type"] == want_headers["Content-Type"] == CONTENT_TYPE
    assert headers["Server"] == want_headers["Server"]
    assert headers.get("x-amzn-ErrorType") == want_headers.get("x-amzn-ErrorType")
    assert uuid.UUID(headers["x-amzn-RequestId"]).version == 4
    assert re.fullmatch(r"\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT", headers["Date"])
    assert (
        abs(
            parsedate_to_datetime(headers["Date"]) - parsedate_to_datetime(want_headers["Date"])
        ).total_seconds()
        <= 2
    )


async def test_every_page_is_the_emulators(servers: tuple[str, str]) -> None:
    emulator_url, lean_url = servers
    async with aiohttp.ClientSession() as session:
        for image_id, accounts in STATE.items():
            params: dict[str, object] = {"ImageId": image_id, "MaxResults": 25}
            seen: list[str] = []
            while True:
                lean = await post(session, lean_url, params)
                assert_same_reply(lean, await post(session, emulator_url, params))
                page = json.loads(lean[2])
                seen += [entry["SharedAccountId"] for entry in page["ImagePermissions"]]
                if "NextToken" not in page:
                    break
                params = {"ImageId": image_id, "NextToken": page["NextToken"]}
            assert tuple(seen) == accounts


async def test_a_token_from_either_server_resumes_on_the_other(servers: tuple[str, str]) -> None:
    emulator_url, lean_url = servers
    image_id = next(iter(STATE))
    async with aiohttp.ClientSession() as session:
        from_emulator = json.loads((await post(session, emulator_url, {"ImageId": image_id}))[2])
        from_lean = json.loads((await post(session, lean_url, {"ImageId": image_id}))[2])
        second = {"ImageId": image_id, "NextToken": from_emulator["NextToken"]}
        assert_same_reply(
            await post(session, lean_url, second), await post(session, emulator_url, second)
        )
        crossed = {"ImageId": image_id, "NextToken": from_lean["NextToken"]}
        assert (await post(session, emulator_url, crossed))[0] == 200


@pytest.mark.parametrize(
    "params",
    [
        {"ImageId": "wsi-unknown000"},
        {"ImageId": next(iter(STATE)), "NextToken": "bm90LWlzc3VlZA=="},
    ],
    ids=["unknown image", "token not issued"],
)
async def test_errors_are_the_emulators(servers: tuple[str, str], params: object) -> None:
    emulator_url, lean_url = servers
    async with aiohttp.ClientSession() as session:
        lean = await post(session, lean_url, params)
        assert lean[0] == 400
        assert_same_reply(lean, await post(session, emulator_url, params))


async def test_what_it_did_not_prerender_is_never_a_success(servers: tuple[str, str]) -> None:
    _, lean_url = servers
    image_id = next(iter(STATE))
    async with aiohttp.ClientSession() as session:
        short_page = await post(session, lean_url, {"ImageId": image_id, "MaxResults": 5})
        other_operation = await post(
            session, lean_url, {}, "WorkspacesService.DescribeWorkspaceImages"
        )
    assert short_page[0] == other_operation[0] == 500


async def test_pipelined_requests_on_one_connection_are_answered_in_order(
    servers: tuple[str, str],
) -> None:
    _, lean_url = servers
    host, port = lean_url.removeprefix("http://").split(":")
    requests = b""
    for image_id in STATE:
        body = json.dumps({"ImageId": image_id}).encode()
        requests += (
            f"POST / HTTP/1.1\r\nHost: {host}\r\nX-Amz-Target: {TARGET}\r\n"
            f"Content-Type: {CONTENT_TYPE}\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode() + body
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(requests[:7])
    await writer.drain()
    writer.write(requests[7:])
    answered = []
    for _ in STATE:
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(re.search(rb"Content-Length: (\d+)", head)[1])  # type: ignore[index]
        answered.append(json.loads(await reader.readexactly(length))["ImageId"])
    writer.close()
    await writer.wait_closed()
    assert answered == list(STATE)
