"""Saving a run's transcript as JSON or Markdown, complete, from the frames in the history.

The on-screen transcript keeps only the tail of long blocks; exports replay the stored frames so
the file holds every character. Both writers stream to the file (a 100 MB run is not built in
memory twice).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from simdesk.core.meter import money
from simdesk.core.stream_events import Chunk, ChunkReset, StreamError, StreamEvent, Thinking, ToolCall
from simdesk.core.transcript import Outcome

Frame = tuple[float, str]  # (arrival time, the frame's data payload), as the history keeps them
Event = tuple[float, StreamEvent]  # the same frame decoded (simdesk.api.sse.decode_recorded)


@dataclass
class _Block:
    block_id: str
    name: str
    text: list[str] = field(default_factory=list)
    thinking: list[str] = field(default_factory=list)
    tools: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    resets: int = 0


@dataclass(frozen=True)
class ExportMeta:
    """What the export says about the run besides its frames."""

    workflow_name: str
    workflow_id: str
    mode: str
    input: Mapping[str, Any]
    options: Mapping[str, Any]
    started_at: float
    run_id: str | None
    outcome: Outcome | None
    timing: Mapping[str, Any]
    names: Mapping[str, str] = field(default_factory=dict)


def _blocks(events: Iterable[Event], names: Mapping[str, str]) -> list[_Block]:
    """Accumulate every block's full text and lanes from the run's events."""
    blocks: dict[str, _Block] = {}

    def block(block_id: str) -> _Block:
        if block_id not in blocks:
            blocks[block_id] = _Block(block_id, names.get(block_id, block_id))
        return blocks[block_id]

    for at, event in events:
        match event:
            case Chunk(block_id, text):
                b = block(block_id)
                if not b.text and len(blocks) > 1 and text.startswith("\n\n"):
                    text = text[2:]
                b.text.append(text)
            case ChunkReset(block_id):
                b = block(block_id)
                b.text.clear()
                b.resets += 1
            case Thinking(block_id, text):
                block(block_id).thinking.append(text)
            case ToolCall(block_id, phase, call_id, name, status):
                b = block(block_id)
                if phase == "start":
                    b.tools.append({"id": call_id, "name": name, "startS": at, "endS": None, "status": None})
                else:
                    for tool in reversed(b.tools):
                        if tool["id"] == call_id and tool["endS"] is None:
                            tool.update(endS=at, status=status)
                            break
            case StreamError(message, block_id):
                block(block_id or "(run)").errors.append(message)
    return list(blocks.values())


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def write_json(path: Path, meta: ExportMeta, events: Iterable[Event], frames: Iterable[Frame]) -> None:
    """The whole run as one JSON document: its blocks from ``events``, then its raw ``frames``
    (both read once, in order: pass two passes over the stored frames)."""
    with Path(path).open("w", encoding="utf-8") as out:
        head = {
            "workflow": {"id": meta.workflow_id, "name": meta.workflow_name},
            "runId": meta.run_id,
            "mode": meta.mode,
            "startedAt": _iso(meta.started_at),
            "input": meta.input,
            "options": meta.options,
            "outcome": meta.outcome.to_dict() if meta.outcome else None,
            "timing": meta.timing,
        }
        out.write(json.dumps(head, ensure_ascii=False, indent=2, default=str)[:-2])
        out.write(',\n  "blocks": ')
        blocks = [
            {
                "id": b.block_id,
                "name": b.name,
                "text": "".join(b.text),
                "thinking": "".join(b.thinking),
                "tools": b.tools,
                "streamErrors": b.errors,
                "resets": b.resets,
            }
            for b in _blocks(events, meta.names)
        ]
        out.write(json.dumps(blocks, ensure_ascii=False, default=str))
        out.write(',\n  "frames": [')
        first = True
        for at, payload in frames:
            out.write(("\n    " if first else ",\n    ") + f'{{"t": {at:.4f}, "frame": {payload}}}')
            first = False
        out.write("\n  ]\n}\n")


def write_markdown(path: Path, meta: ExportMeta, events: Iterable[Event]) -> None:
    """The run as a readable Markdown document."""
    with Path(path).open("w", encoding="utf-8") as out:
        _markdown(out, meta, events)


def _markdown(out: TextIO, meta: ExportMeta, events: Iterable[Event]) -> None:
    outcome = meta.outcome
    out.write(f"# {meta.workflow_name} — {outcome.status if outcome else 'unfinished'}\n\n")
    facts = [
        ("Workflow", f"`{meta.workflow_id}`"),
        ("Run id", f"`{meta.run_id}`" if meta.run_id else "—"),
        ("Mode", meta.mode),
        ("Started", _iso(meta.started_at)),
    ]
    if outcome is not None:
        if outcome.duration_ms is not None:
            facts.append(("Server duration", f"{outcome.duration_ms / 1000:.2f} s"))
        if outcome.cost is not None:
            facts.append(("Cost", money(outcome.cost)))
    ttfc = meta.timing.get("firstChunkS")
    if isinstance(ttfc, int | float):
        facts.append(("Time to first chunk", f"{ttfc * 1000:.0f} ms"))
    for name, value in facts:
        out.write(f"- **{name}:** {value}\n")
    out.write("\n## Input\n\n```json\n")
    out.write(json.dumps(meta.input, ensure_ascii=False, indent=2, default=str))
    out.write("\n```\n")
    for block in _blocks(events, meta.names):
        out.write(f"\n## {block.name}\n\n")
        if block.thinking:
            out.write("> **Thinking:** " + "".join(block.thinking).replace("\n", "\n> ") + "\n\n")
        for tool in block.tools:
            took = f"{tool['endS'] - tool['startS']:.2f} s" if tool["endS"] is not None else "did not end"
            out.write(f"- Tool `{tool['name']}`: {tool['status'] or '—'} ({took})\n")
        for message in block.errors:
            out.write(f"- ⚠ Stream error: {message}\n")
        if block.tools or block.errors:
            out.write("\n")
        out.write("".join(block.text) + "\n")
    out.write("\n## Result\n\n")
    if outcome is None:
        out.write("The run did not finish while simdesk watched it.\n")
        return
    out.write(f"**Status:** {outcome.status}\n\n")
    if outcome.error:
        code = f" (`{outcome.error_code}`)" if outcome.error_code else ""
        out.write(f"**Error:** {outcome.error}{code}\n\n")
    if outcome.request_id:
        out.write(f"**Request id:** `{outcome.request_id}`\n\n")
    if outcome.note:
        out.write(f"{outcome.note}\n\n")
    if outcome.output is not None:
        out.write("```json\n" + json.dumps(outcome.output, ensure_ascii=False, indent=2, default=str) + "\n```\n")
