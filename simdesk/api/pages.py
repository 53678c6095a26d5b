"""Walking cursor-paginated lists: v2's (``{"data": [...], "nextCursor": "…" | null}``, §8.2) and
v1's (``nextCursor`` left out on the last page, §8.3).

A walk keeps its filters fixed: v2 cursors are only valid with the same filters. The v2 lists exist
only on v2; through :func:`pages` (or :func:`gated`) a server with v2 switched off raises
:class:`FeatureUnavailableError`. A caller with a v1 fallback fetches the first page through
``Session.either`` itself and walks on with :func:`walk`.

A server cannot keep a walk going for ever: a cursor seen before, more than :data:`MAX_EMPTY_PAGES`
empty pages in a row that still name a next cursor, or more than :data:`MAX_PAGES` pages in all end
it with :class:`ProtocolError` naming the route.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any, Protocol

from simdesk.api import wire
from simdesk.api.errors import ProtocolError
from simdesk.api.session import Session

MAX_PAGES = 10_000  # a million items at Sim's page size of 100: more than any real list
MAX_EMPTY_PAGES = 50  # Sim never sends an empty page with a next cursor; allow a filtering proxy a few


class AsyncPager[T](Protocol):
    """The items of a paginated list, fetched a page at a time as they are iterated
    (``async for item in pager``). ``await pager.aclose()`` stops early: no further page is fetched.
    The client's ``list_*`` methods return one (an async generator is one)."""

    def __aiter__(self) -> AsyncIterator[T]: ...

    def __anext__(self) -> Awaitable[T]: ...

    def aclose(self) -> Awaitable[None]: ...


Fetch = Callable[[str | None], Awaitable[Any]]
"""Fetch one page (``None`` = the first, else its cursor) and return its JSON body."""


def fetcher(session: Session, path: str, params: Mapping[str, str], bucket: str) -> Fetch:
    """A :data:`Fetch` for ``GET path`` with ``params``, retried as any idempotent call."""

    async def fetch(cursor: str | None) -> Any:
        query = dict(params)
        if cursor is not None:
            query["cursor"] = cursor
        reply = await session.call("GET", path, params=query, bucket=bucket)
        return reply.json()

    return fetch


def gated(session: Session, fetch: Fetch, feature: str) -> Fetch:
    """``fetch`` for a v2 list: on the gate's 404, :class:`FeatureUnavailableError` naming ``feature``."""

    async def fetch_v2(cursor: str | None) -> Any:
        return await session.either(lambda: fetch(cursor), None, feature=feature)

    return fetch_v2


async def walk(fetch: Fetch, first: Any, route: str) -> AsyncIterator[list[dict[str, Any]]]:
    """Yield the items of ``first`` (a page's body) and of each page after it, until a page names
    no next cursor. ``route`` (the list's path) names the list in errors."""
    body = first
    seen: set[int] = set()  # hashes: a hostile server's cursors may each be megabytes
    count = empty = 0
    while True:
        if not isinstance(body, dict):
            raise ProtocolError(f"The server's list answer ({route}) is not a JSON object")
        items = wire.items(body.get("data"), f"list ({route})")
        yield items
        cursor = wire.text(body.get("nextCursor"))
        if not cursor:
            return
        count += 1
        empty = 0 if items else empty + 1
        if hash(cursor) in seen:
            raise ProtocolError(f"The server repeated a page cursor of {route}: the list would never end")
        if empty > MAX_EMPTY_PAGES:
            raise ProtocolError(f"The server sent {empty} empty pages of {route} in a row, each with a next cursor")
        if count >= MAX_PAGES:
            raise ProtocolError(f"The server's list {route} goes on past {MAX_PAGES:,} pages")
        seen.add(hash(cursor))
        body = await fetch(cursor)


async def pages(
    session: Session, path: str, params: Mapping[str, str], bucket: str, *, feature: str
) -> AsyncIterator[list[dict[str, Any]]]:
    """Yield each page's items of a v2 list until ``nextCursor`` is null."""
    fetch = gated(session, fetcher(session, path, params, bucket), feature)
    async for page in walk(fetch, await fetch(None), path):
        yield page
