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


class PageTokens:
    """The tokens of one listing: the next one to ask with, or the error that ends a listing
    that would never end (a token seen before, or more than ``max_pages`` pages)."""

    __slots__ = ("_max_pages", "_seen")

    def __init__(self, *, max_pages: int = MAX_PAGES) -> None:
        self._max_pages = max_pages
        self._seen: set[str] = set()

    def after(self, page: Mapping[str, Any]) -> str | None:
        """The token to ask for the page after ``page`` with; ``None`` when it was the last."""
        token = page.get("NextToken")
        if not token:
            return None
        if token in self._seen:
            raise PaginationError(
                message=f"the server sent the same NextToken twice after {len(self._seen) + 1} "
                "pages; stopping instead of looping forever"
            )
        if len(self._seen) + 1 >= self._max_pages:
            raise PaginationError(message=f"more than {self._max_pages} pages; stopping")
        self._seen.add(token)
        return str(token)


async def paginate(
    call: Call, params: Mapping[str, Any], *, max_pages: int = MAX_PAGES
) -> AsyncGenerator[dict[str, Any]]:
    """Yield each page until the server omits ``NextToken``.

    Leaving the loop early leaves nothing in flight: the next request is only sent when the
    consumer asks for the next page.
    """
    tokens = PageTokens(max_pages=max_pages)
    request = dict(params)
    while True:
        page = await call(request)
        yield page
        token = tokens.after(page)
        if token is None:
            return
        request = {**params, "NextToken": token}
