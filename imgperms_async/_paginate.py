"""Every page of a paginated WorkSpaces call, ending with an error rather than looping forever.

The service model has no paginator for DescribeWorkspaceImagePermissions, so botocore offers none.
A server that repeats a token (or never stops) ends the loop with ``PaginationError``.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping
from typing import Any, Final

from imgperms_async._exceptions import PaginationError

MAX_PAGES: Final = 10_000
"""Far past any real image: WorkSpaces caps how many accounts one image can be shared with."""

Call = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


async def paginate(
    call: Call, params: Mapping[str, Any], *, max_pages: int = MAX_PAGES
) -> AsyncGenerator[dict[str, Any]]:
    """Yield each page until the server omits ``NextToken``.

    Leaving the loop early leaves nothing in flight: the next request is only sent when the
    consumer asks for the next page.
    """
    seen_tokens: set[str] = set()
    request = dict(params)
    for _ in range(max_pages):
        page = await call(request)
        yield page
        token = page.get("NextToken")
        if not token:
            return
        if token in seen_tokens:
            raise PaginationError(
                message=f"the server sent the same NextToken twice after {len(seen_tokens) + 1} "
                "pages; stopping instead of looping forever"
            )
        seen_tokens.add(token)
        request = {**params, "NextToken": token}
    raise PaginationError(message=f"more than {max_pages} pages; stopping")
