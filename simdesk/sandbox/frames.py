"""Turn a run's timeline into the frames of Sim's execution stream (CONTRACT.md §6.2, §6.3).

Pure: no I/O, no clock. :class:`FrameBuilder` is told each step as it happens and returns the
frames (dicts) to send for it; :meth:`FrameBuilder.final` gives the terminal frame's payload.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from simdesk.sandbox.model import Plan, Step, Workflow


def _norm(name: str) -> str:
    return name.replace(" ", "").lower()


def resolve_selectors(workflow: Workflow, selectors: list[str]) -> dict[str, list[str]]:
    """Map ``selectedOutputs`` entries to {block id: [paths]}; unknown selectors are dropped.

    Forms: ``<blockName>.<path>`` (name matched case- and space-insensitively),
    ``<blockId>_<path>``, ``<blockId>.<path>``, bare ``<blockId>`` (path ``""``).
    """
    by_name = {_norm(b.name): b.id for b in workflow.blocks}
    ids = {b.id for b in workflow.blocks}
    chosen: dict[str, list[str]] = {}

    def add(block_id: str, path: str) -> None:
        paths = chosen.setdefault(block_id, [])
        if path not in paths:
            paths.append(path)

    for sel in selectors:
        if sel in ids:
            add(sel, "")
            continue
        head, dot, tail = sel.partition(".")
        if dot and head in ids:
            add(head, tail)
        elif dot and _norm(head) in by_name:
            add(by_name[_norm(head)], tail)
        else:
            for block_id in ids:
                if sel.startswith(block_id + "_"):
                    add(block_id, sel[len(block_id) + 1 :])
                    break
    return chosen


def _pick(value: Any, path: str) -> Any:
    for part in [p for p in path.split(".") if p]:
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


@dataclass
class FrameBuilder:
    """Decides which frames a step produces for one stream request."""

    workflow: Workflow
    selectors: list[str]
    protocol: bool  # the client sent X-Sim-Stream-Protocol: agent-events-v1
    include_thinking: bool = False
    include_tool_calls: bool = False
    _selected: dict[str, list[str]] = field(init=False)
    _agents: set[str] = field(init=False)
    _tool_users: set[str] = field(init=False)
    _buffers: dict[str, str] = field(default_factory=dict)
    _emitters: list[str] = field(default_factory=list)
    _emitted: set[tuple[str, str]] = field(default_factory=set)

    def __post_init__(self) -> None:
        self._selected = resolve_selectors(self.workflow, self.selectors)
        self._agents = {
            block_id
            for block_id, paths in self._selected.items()
            if (b := self.workflow.block(block_id)) is not None
            and b.type == "agent"
            and any(p in ("", "content") for p in paths)
        }
        self._tool_users = set()

    def prepare(self, plan: Plan) -> None:
        """Note which agents call tools: without the protocol their answer comes in one piece."""
        self._tool_users = {s.block_id for s in plan.steps if s.kind == "tool_start"}

    def _chunk(self, emitter: str, block_id: str, text: str) -> dict[str, Any]:
        if emitter not in self._emitters:
            if self._emitters:
                text = "\n\n" + text
            self._emitters.append(emitter)
        return {"blockId": block_id, "chunk": text}

    def _live(self, block_id: str) -> bool:
        return block_id in self._agents and (self.protocol or block_id not in self._tool_users)

    def on_step(self, step: Step) -> list[dict[str, Any]]:
        b = step.block_id
        frames: list[dict[str, Any]] = []
        if step.kind == "chunk" and b in self._agents:
            if self._live(b):
                frames.append(self._chunk(b, b, step.text))
                self._emitted.add((b, "content"))
            else:
                self._buffers[b] = self._buffers.get(b, "") + step.text
        elif step.kind == "reset" and b in self._agents:
            self._buffers.pop(b, None)
            if self._live(b) and self.protocol:
                frames.append({"blockId": b, "event": "chunk_reset"})
        elif step.kind == "thinking" and self.protocol and self.include_thinking and b in self._agents:
            frames.append({"blockId": b, "event": "thinking", "data": step.text})
        elif step.kind in ("tool_start", "tool_end") and self.protocol and self.include_tool_calls:
            if b in self._agents:
                tool = {"id": step.tool.get("id"), "name": step.tool.get("name")}
                frame = {"blockId": b, "event": "tool", "phase": step.kind[5:], **tool}
                if step.kind == "tool_end" and "status" in step.tool:
                    frame["status"] = step.tool["status"]
                frames.append(frame)
        elif step.kind == "stream_error" and b in self._agents:
            frames.append({"event": "stream_error", "blockId": b, "error": step.text})
        elif step.kind == "block_done":
            frames += self._block_done(step)
        return frames

    def _block_done(self, step: Step) -> list[dict[str, Any]]:
        """An agent's held-back answer goes out now; selected outputs of other blocks (Start,
        Response, functions) never stream, they come in the final frame only
        (``tests/fixtures/sim-0.8.9/stream-select.body``, ``resp-legacy-stream-sel.body``)."""
        b = step.block_id
        if b not in self._buffers:
            return []
        self._emitted.add((b, "content"))
        return [self._chunk(b, b, self._buffers.pop(b))]

    def final_output(self, plan: Plan, reached: dict[str, Any]) -> Any:
        """``final.data.output``: the full output, or the selected values not yet streamed."""
        if not self._selected:
            return plan.output
        out: dict[str, Any] = {}
        for block_id, paths in self._selected.items():
            if block_id not in reached:
                continue
            for path in paths:
                if (block_id, path) in self._emitted or (
                    (block_id, "content") in self._emitted and path in ("", "content")
                ):
                    continue
                value = _pick(reached[block_id], path)
                if value is not None:
                    out.setdefault(block_id, {})[path or "value"] = value
        return out
