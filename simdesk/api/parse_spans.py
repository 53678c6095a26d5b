"""Reading a log's ``traceSpans`` (nested, as real Sim sends them, or flat, as older documents
describe them) into :class:`simdesk.core.spans.Span` trees."""

from __future__ import annotations

from typing import Any

from simdesk.api import wire
from simdesk.core.spans import Span


def spans(value: Any) -> tuple[Span, ...]:
    """The top-level spans of a ``traceSpans`` value (anything not a list of objects is none)."""
    if not isinstance(value, list):
        return ()
    return tuple(_span(item) for item in value if isinstance(item, dict))


def _span(item: dict[str, Any]) -> Span:
    block_id = wire.text(item.get("blockId"))
    # real Sim's block spans say ``duration``; older documents said ``durationMs``
    duration = item.get("duration") if "duration" in item else item.get("durationMs")
    return Span(
        span_id=wire.text(item.get("id")) or block_id or "",
        name=wire.text(item.get("name")) or block_id or "",
        type=wire.text(item.get("type")) or "",
        status=wire.text(item.get("status")),
        block_id=block_id,
        duration_ms=wire.number(duration),
        start_time=wire.when(item.get("startTime")),
        end_time=wire.when(item.get("endTime")),
        execution_order=wire.integer(item.get("executionOrder")),
        input=item.get("input"),
        output=item.get("output"),
        error_message=wire.text(item.get("errorMessage")),
        children=spans(item.get("children")),
    )
