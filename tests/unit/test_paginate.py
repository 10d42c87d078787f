"""Pagination follows NextToken to the end and refuses to loop forever."""

from __future__ import annotations

from typing import Any

import pytest

from imgperms_async import PaginationError
from imgperms_async._paginate import paginate


def pages_of(*tokens: str | None) -> Any:
    """A fake call answering page i with ``tokens[i]`` as NextToken, and recording requests."""
    requests: list[dict[str, Any]] = []

    async def call(request: dict[str, Any]) -> dict[str, Any]:
        requests.append(request)
        token = tokens[len(requests) - 1]
        return {"Page": len(requests)} | ({"NextToken": token} if token else {})

    return call, requests


async def test_follows_next_token_until_it_is_absent() -> None:
    call, requests = pages_of("a", "b", None)
    pages = [p async for p in paginate(call, {"ImageId": "wsi-abc123def"})]
    assert [p["Page"] for p in pages] == [1, 2, 3]
    assert [r.get("NextToken") for r in requests] == [None, "a", "b"]
    assert all(r["ImageId"] == "wsi-abc123def" for r in requests)


async def test_an_empty_token_ends_pagination() -> None:
    call, _ = pages_of("")
    assert len([p async for p in paginate(call, {})]) == 1


async def test_a_repeated_token_ends_with_pagination_error() -> None:
    call, requests = pages_of("a", "b", "a", "c")
    with pytest.raises(PaginationError, match="same NextToken"):
        [p async for p in paginate(call, {})]
    assert len(requests) == 3


async def test_a_server_that_never_stops_is_cut_off() -> None:
    counter = iter(range(10**9))

    async def endless(request: dict[str, Any]) -> dict[str, Any]:
        return {"NextToken": f"t{next(counter)}"}

    with pytest.raises(PaginationError, match="more than 50 pages"):
        [p async for p in paginate(endless, {}, max_pages=50)]


async def test_no_request_is_sent_after_the_consumer_stops() -> None:
    call, requests = pages_of("a", "b", None)
    async for _ in paginate(call, {}):
        break
    assert len(requests) == 1
