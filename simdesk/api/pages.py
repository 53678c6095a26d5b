"""Walking cursor-paginated lists: v2's (``{"data": [...], "nextCursor": "…" | null}``, §8.2) and
v1's (``nextCursor`` left out on the last page, §8.3).

A walk keeps its filters fixed: v2 cursors are only valid with the same filters. The v2 lists exist
only on v2; through :func:`pages` (or :func:`gated`) a server with v2 switched off raises
:class:`FeatureUnavailableError`. A caller with a v1 fallback fetches the first page through
``Session.either`` itself and walks on with :func:`walk`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

from simdesk.api import wire
from simdesk.api.errors import ProtocolError
from simdesk.api.session import Session

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


async def walk(fetch: Fetch, first: Any) -> AsyncIterator[list[dict[str, Any]]]:
    """Yield the items of ``first`` (a page's body) and of each page after it, until a page names no next cursor."""
    body = first
    seen: set[str] = set()
    while True:
        if not isinstance(body, dict):
            raise ProtocolError("The server's list answer is not a JSON object")
        yield wire.items(body.get("data"), "list")
        cursor = wire.text(body.get("nextCursor"))
        if not cursor:
            return
        if cursor in seen:
            raise ProtocolError("The server repeated a page cursor")
        seen.add(cursor)
        body = await fetch(cursor)


async def pages(
    session: Session, path: str, params: Mapping[str, str], bucket: str, *, feature: str
) -> AsyncIterator[list[dict[str, Any]]]:
    """Yield each page's items of a v2 list until ``nextCursor`` is null."""
    fetch = gated(session, fetcher(session, path, params, bucket), feature)
    async for page in walk(fetch, await fetch(None)):
        yield page
