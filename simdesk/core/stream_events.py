"""The typed events of a streamed run (sim-api.md §6.3).

A stream is a sequence of non-terminal events (:class:`Chunk`, :class:`ChunkReset`,
:class:`Thinking`, :class:`ToolCall`, :class:`StreamError`) that ends with exactly one terminal
event: :class:`Final` (the run settled, perhaps unsuccessfully or paused) or :class:`RunFailed`
(the run failed, timed out or was aborted).

The events are slotted dataclasses but not frozen: a stream yields one per token, and a frozen
dataclass costs about four times as much to build. Treat them as read-only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal


@dataclass(slots=True)
class Chunk:
    """Answer text from one block. ``text`` is exactly what the server sent, including the
    ``"\\n\\n"`` it puts before a second block's first chunk (a console shows it as a break)."""

    block_id: str
    text: str


@dataclass(slots=True)
class ChunkReset:
    """The block retracted its text so far (a draft before a tool call): drop it."""

    block_id: str


@dataclass(slots=True)
class Thinking:
    """A piece of a block's reasoning (only with ``include_thinking``)."""

    block_id: str
    text: str


@dataclass(slots=True)
class ToolCall:
    """A tool call starting or ending (only with ``include_tool_calls``); ``status`` only on end."""

    block_id: str
    phase: Literal["start", "end"]
    call_id: str
    name: str
    status: str | None = None


@dataclass(slots=True)
class StreamError:
    """A block's token stream broke; the run goes on (not terminal)."""

    message: str
    block_id: str | None = None


@dataclass(slots=True)
class Final:
    """The run settled. ``status`` is ``completed``, ``failed`` (``success`` False) or ``paused``.

    ``output`` holds only values that were not streamed; ``texts`` is the accumulated answer text
    per block id (after resets, without the inter-block ``"\\n\\n"``), which is what the output
    leaves out. ``texts`` is empty when the stream was opened with ``keep_text=False`` (the
    consumer keeps the text itself, so the client holds none of it). ``run_id`` is the id the
    client sent with the request.
    """

    success: bool
    output: Any
    run_id: str | None
    status: Literal["completed", "failed", "paused"] = "completed"
    error: str | None = None
    texts: Mapping[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """All blocks' answer text, in the order the blocks started streaming."""
        return "\n\n".join(t for t in self.texts.values() if t)


@dataclass(slots=True)
class RunFailed:
    """The run failed, timed out or was aborted mid-stream (terminal; no :class:`Final` follows).

    ``texts`` is the answer text so far per block id, as in :class:`Final` (empty with
    ``keep_text=False``)."""

    message: str
    run_id: str | None
    block_id: str | None = None
    texts: Mapping[str, str] = field(default_factory=dict)


StreamEvent = Chunk | ChunkReset | Thinking | ToolCall | StreamError | Final | RunFailed
TerminalEvent = Final | RunFailed
