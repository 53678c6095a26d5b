"""Stream events as the wire frames Sim sent for them, for the raw-frames view and the run history.

The client hands the console typed events, not the bytes it read, so the console re-encodes each
event as the compact JSON frame Sim sends for it. For every frame the client understood the
encoding is exact (same keys, same values); frames the client skipped (unparsable or unknown)
are not seen here. The history stores these frames (a run of chunks packed into one line, see
:func:`pack`); reading them back is the client's own decoder's job
(:func:`simdesk.api.sse.decode_recorded`), so there is one decoder of Sim's frames, and a history
written by any version reads back as its stream did.

Encoding sits on the hot path of a fast stream (one call per chunk), so chunk frames are built
with the C string encoder rather than a full :func:`json.dumps`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import groupby
from json.encoder import encode_basestring  # C-accelerated when available
from operator import attrgetter
from typing import Any

from simdesk.core.stream_events import (
    Chunk,
    ChunkReset,
    Final,
    RunFailed,
    StreamError,
    StreamEvent,
    Thinking,
    ToolCall,
)

DONE = '"[DONE]"'


def _dumps(payload: Any) -> str:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False, default=str)


def encode_event(event: StreamEvent) -> str:
    """The compact JSON payload of the frame that carried ``event`` (without ``data: ``)."""
    if type(event) is Chunk:
        return '{"blockId":' + encode_basestring(event.block_id) + ',"chunk":' + encode_basestring(event.text) + "}"
    return _dumps(frame_of(event))


@dataclass(slots=True)
class ChunkRun:
    """Consecutive chunks of one block, as they arrived together."""

    block_id: str
    texts: list[str]


Item = ChunkRun | StreamEvent
_BLOCK = attrgetter("block_id")
_TEXT = attrgetter("text")
_PACKED = ',"chunks":['  # cannot occur in a real frame: quotes inside JSON strings are escaped


def runs(events: Sequence[StreamEvent]) -> list[Item]:
    """``events`` with each stretch of chunks of one block as a :class:`ChunkRun`.

    Grouping is done by :func:`itertools.groupby` over C-level keys, so a burst of thousands of
    chunks costs a few C loops, not a Python step per chunk. The common burst, chunks of one block
    only, is recognised in three quick passes and needs no grouping at all."""
    if len(events) > 1 and type(events[0]) is Chunk and len(set(map(type, events))) == 1:
        chunks: Sequence[Chunk] = events  # type: ignore[assignment]
        blocks = {c.block_id for c in chunks}  # a comprehension's attribute reads beat attrgetter's
        if len(blocks) == 1:
            return [ChunkRun(blocks.pop(), [c.text for c in chunks])]
    out: list[Item] = []
    for kind, group in groupby(events, type):
        if kind is Chunk:
            for block_id, same in groupby(group, _BLOCK):
                out.append(ChunkRun(block_id, list(map(_TEXT, same))))
        else:
            out.extend(group)
    return out


def pack(items: Sequence[Item]) -> tuple[list[str], int]:
    """Lines for storage and the frame count they stand for: a chunk run is one line
    (``{"blockId":…,"chunks":[…]}``, a shape Sim never sends), any other event its own frame."""
    lines: list[str] = []
    count = 0
    for item in items:
        if type(item) is ChunkRun:
            texts = _dumps_texts(item.texts)
            lines.append('{"blockId":' + encode_basestring(item.block_id) + _PACKED + texts[1:] + "}")
            count += len(item.texts)
        else:
            lines.append(encode_event(item))  # type: ignore[arg-type]
            count += 1
    return lines, count


_dumps_texts = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def unpack(line: str) -> list[str]:
    """The frame payloads a stored line stands for, exactly as :func:`encode_event` writes them."""
    cut = line.find(_PACKED)
    if cut < 0 or not line.startswith('{"blockId":'):
        return [line]
    prefix = line[:cut] + ',"chunk":'
    texts = json.loads("[" + line[cut + len(_PACKED) : -1])
    return [prefix + encode_basestring(t) + "}" for t in texts]


def frame_of(event: StreamEvent) -> dict[str, Any]:
    """The frame payload as a dict (keys as Sim spells them)."""
    match event:
        case Chunk(block_id, text):
            return {"blockId": block_id, "chunk": text}
        case ChunkReset(block_id):
            return {"blockId": block_id, "event": "chunk_reset"}
        case Thinking(block_id, text):
            return {"blockId": block_id, "event": "thinking", "data": text}
        case ToolCall(block_id, phase, call_id, name, status):
            frame: dict[str, Any] = {"blockId": block_id, "event": "tool", "phase": phase, "id": call_id, "name": name}
            if status is not None:
                frame["status"] = status
            return frame
        case StreamError(message, block_id):
            frame = {"event": "stream_error"}
            if block_id is not None:
                frame["blockId"] = block_id
            frame["error"] = message
            return frame
        case Final():
            data: dict[str, Any] = {"success": event.success, "output": event.output}
            if event.error is not None:
                data["error"] = event.error
            if event.status == "paused":
                data["status"] = "paused"
            return {"event": "final", "data": data}
        case RunFailed(message, _run_id, block_id):
            frame = {"event": "error"}
            if block_id is not None:
                frame["blockId"] = block_id
            frame["error"] = message
            return frame
    raise TypeError(f"not a stream event: {event!r}")
