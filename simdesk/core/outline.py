"""What a workflow's blocks are called and what they output, learned from its runs' trace spans.

Sim's API does not list a workflow's blocks (CONTRACT §8.2 gives only ``inputs``), yet the
``selectedOutputs`` picker needs ``<blockName>.<path>`` selectors and the stream view wants block
names instead of ids. Both are in the trace spans of a run's log (§9): each span has the block's
id, name, type and output. An outline is kept per workflow (in the presets file) and refreshed
after runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from simdesk.core.spans import Span, block_spans

# Block types whose text streams token by token; others emit their value once.
STREAMING_TYPES = frozenset({"agent"})
# What a stream shows by default: each agent's text and each Response block's reply.
DEFAULT_OUTPUTS = {"agent": "content", "response": "data"}
# Start blocks only echo the run's input: named (a selected output may be keyed by their id) but
# not offered as outputs to pick.
_START_TYPES = frozenset({"starter", "start_trigger", "api_trigger"})


@dataclass(frozen=True)
class BlockInfo:
    """One block: id, display name, type, and the top-level keys of its output."""

    block_id: str
    name: str
    type: str
    outputs: tuple[str, ...] = ()

    @property
    def streams(self) -> bool:
        """True for blocks whose text streams live (agents)."""
        return self.type in STREAMING_TYPES


@dataclass(frozen=True)
class WorkflowOutline:
    """The blocks of one workflow, in the order they ran."""

    blocks: tuple[BlockInfo, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)

    def names(self) -> dict[str, str]:
        """Block id → name (for the stream view)."""
        return {b.block_id: b.name for b in self.blocks}

    def selectors(self) -> list[str]:
        """``selectedOutputs`` suggestions: agents' ``content`` first, then every other output
        (of blocks other than the start block)."""
        first = [f"{b.name}.content" for b in self.blocks if b.streams and "content" in b.outputs]
        rest = [
            f"{b.name}.{key}"
            for b in self.blocks
            if b.type not in _START_TYPES
            for key in b.outputs
            if f"{b.name}.{key}" not in first
        ]
        return first + rest

    def default_selectors(self) -> list[str]:
        """What to stream when the user picked nothing: every agent's ``content`` and every
        Response block's ``data``."""
        picks = ((b, DEFAULT_OUTPUTS.get(b.type)) for b in self.blocks)
        return [f"{b.name}.{key}" for b, key in picks if key is not None and key in b.outputs]

    def to_json(self) -> list[dict[str, Any]]:
        """JSON-ready form."""
        return [{"id": b.block_id, "name": b.name, "type": b.type, "outputs": list(b.outputs)} for b in self.blocks]

    @classmethod
    def from_json(cls, data: Any) -> WorkflowOutline:
        """Inverse of :meth:`to_json` (anything malformed is skipped)."""
        blocks = []
        for item in data if isinstance(data, list) else ():
            if isinstance(item, dict) and isinstance(item.get("id"), str) and isinstance(item.get("name"), str):
                outputs = tuple(str(o) for o in item.get("outputs") or () if isinstance(o, str))
                blocks.append(BlockInfo(item["id"], item["name"], str(item.get("type") or ""), outputs))
        return cls(tuple(blocks))


def outline_from_spans(spans: Iterable[Span]) -> WorkflowOutline:
    """Build an outline from a run's trace (nested or flat), blocks in the order they ran."""
    seen: dict[str, BlockInfo] = {}
    for span in block_spans(spans):
        assert span.block_id is not None  # block_spans returns only block spans
        output = span.output
        keys = tuple(k for k in output if isinstance(k, str)) if isinstance(output, Mapping) else ()
        old = seen.get(span.block_id)
        if old is None or len(keys) > len(old.outputs):
            seen[span.block_id] = BlockInfo(span.block_id, span.name, span.type, keys)
    return WorkflowOutline(tuple(seen.values()))


def merge(old: WorkflowOutline, new: WorkflowOutline) -> WorkflowOutline:
    """``new`` plus blocks only ``old`` knew (a run may skip branches)."""
    known = {b.block_id for b in new.blocks}
    return WorkflowOutline(new.blocks + tuple(b for b in old.blocks if b.block_id not in known))
