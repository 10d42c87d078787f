"""An audit's results stream at the reader's pace: a reader that stops reading holds the audit
back instead of piling up results, and leaving early leaves nothing running. Answered in
memory (``MockTransport``): no server, no network."""

from __future__ import annotations

import asyncio
import json
from contextlib import aclosing
from typing import Any

from fakes import settle

from imgperms_async import (
    Audit,
    AuditedImage,
    ClientConfig,
    HttpRequest,
    Identity,
    MockResponse,
    MockTransport,
    ScopeResult,
)

IMAGES = [f"wsi-{n:09d}" for n in range(200)]
IDENTITY = Identity(
    region_name="us-east-1",
    endpoint_url="http://127.0.0.1:9",
    aws_access_key_id="AKIDEXAMPLE",
    aws_secret_access_key="secret",
)


def answer(request: HttpRequest) -> MockResponse:
    """Every image listed on one page, each shared with nobody."""
    if request.headers["X-Amz-Target"].endswith("DescribeWorkspaceImages"):
        listed = [{"ImageId": image, "OwnerAccountId": "123456789012"} for image in IMAGES]
        return MockResponse(body=json.dumps({"Images": listed}).encode())
    image = json.loads(request.body)["ImageId"]
    return MockResponse(body=json.dumps({"ImageId": image, "ImagePermissions": []}).encode())


def audit(transport: MockTransport, **options: Any) -> Audit:
    return Audit(
        identity=IDENTITY,
        regions=["us-east-1"],
        transport=transport,
        config=ClientConfig(max_rate=10_000.0),
        **options,
    )


async def quiet(transport: MockTransport) -> int:
    """Let the audit run until it sends nothing more; how many requests it sent by then."""
    while True:
        sent = len(transport.requests)
        await settle()
        if len(transport.requests) == sent:
            return sent


async def test_a_slow_reader_holds_the_audit_back_instead_of_piling_up_results() -> None:
    transport = MockTransport(answer)
    async with audit(transport, concurrency=2) as running, aclosing(running.results()) as results:
        first = await anext(results)
        held_back = await quiet(transport)
        rest = [item async for item in results]

    assert isinstance(first, AuditedImage)
    assert held_back < 100, "the audit ran ahead of its reader"
    assert len([r for r in rest if isinstance(r, AuditedImage)]) == len(IMAGES) - 1
    assert [s.status for s in rest if isinstance(s, ScopeResult)] == ["audited"]


async def test_leaving_the_results_early_sends_nothing_more_and_leaves_no_task() -> None:
    transport = MockTransport(answer)
    async with audit(transport, concurrency=4) as running:
        async with aclosing(running.results()) as results:
            await anext(results)
        sent = len(transport.requests)
        await settle()
        left = {task for task in asyncio.all_tasks() if task is not asyncio.current_task()}

    assert left == set()
    assert len(transport.requests) == sent < len(IMAGES)
