"""Walking v2's cursor-paginated lists (``{"data": [...], "nextCursor": "…" | null}``, §8.2).

Cursors are opaque and only valid with the same filters, so the filters are fixed for the whole
walk. The lists exist only on v2; on a server with v2 switched off the first page raises
:class:`FeatureUnavailableError`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

from simdesk.api import wire
from simdesk.api.errors import ProtocolError
from simdesk.api.session import Session


async def pages(
    session: Session, path: str, params: Mapping[str, str], bucket: str, *, feature: str
) -> AsyncIterator[list[dict[str, Any]]]:
    """Yield each page's items until ``nextCursor`` is null."""
    cursor: str | None = None
    seen: set[str] = set()
    while True:
        query = dict(params)
        if cursor is not None:
            query["cursor"] = cursor

        async def fetch(query: dict[str, str] = query) -> Any:
            reply = await session.call("GET", path, params=query, bucket=bucket)
            return reply.json()

        body = await session.either(fetch, None, feature=feature)
        if not isinstance(body, dict):
            raise ProtocolError("The server's list answer is not a JSON object")
        yield wire.items(body.get("data"), "list")
        cursor = wire.text(body.get("nextCursor"))
        if not cursor:
            return
        if cursor in seen:
            raise ProtocolError("The server repeated a page cursor")
        seen.add(cursor)
