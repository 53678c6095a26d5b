"""A streamed run as a person reads it: answer text per block, thinking and tool lanes, errors,
and the result at the end (sim-api.md §6.3).

:class:`Transcript` applies stream events in order and reports what changed as a short list of
:data:`Change` values, so a view repaints only those parts. Memory is bounded whatever the stream
size: each block keeps the last :data:`TEXT_CAP` characters of its answer (the full text is in the
run history on disk), lanes keep a capped amount too, and only :data:`MAX_BLOCKS` blocks keep
their text at all.

Times are seconds since the run started (the caller's clock), so a replay from the history shows
the same durations as the live run did.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from simdesk.core.frames import ChunkRun, Item, runs
from simdesk.core.stream_events import (
    ChunkReset,
    Final,
    RunFailed,
    StreamError,
    StreamEvent,
    Thinking,
    ToolCall,
)

TEXT_CAP = 256 * 1024  # characters of answer text a block keeps in memory (the rest is on disk)
THINKING_CAP = 64 * 1024
MAX_TOOLS = 500
MAX_ERRORS = 100
MAX_BLOCKS = 64  # blocks that keep their text; older ones keep only their lanes and counts
_SEPARATOR = "\n\n"

# Statuses an outcome can have: Sim's settled ones, plus "interrupted" for a run whose end this
# client never saw (the stream or the connection broke, the app closed).
SETTLED = frozenset({"completed", "failed", "paused", "cancelled"})


class TailText:
    """Append-only text that keeps its last ``cap`` characters; ``dropped`` counts the rest.

    Appends are O(1) (a list of parts); parts are joined and trimmed only when they have grown
    well past the cap, so a fast stream does not re-copy the text on every chunk.
    """

    __slots__ = ("_length", "_parts", "cap", "dropped")

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.dropped = 0
        self._parts: list[str] = []
        self._length = 0

    def append(self, text: str) -> None:
        """Add ``text`` at the end."""
        self._parts.append(text)
        self._length += len(text)
        if self._length > 2 * self.cap or len(self._parts) > 8192:
            self._compact()

    def clear(self) -> None:
        """Forget everything (a ``chunk_reset``)."""
        self._parts.clear()
        self._length = 0
        self.dropped = 0

    @property
    def text(self) -> str:
        """The kept text (at most ``cap`` characters)."""
        self._compact()
        return self._parts[0] if self._parts else ""

    @property
    def total(self) -> int:
        """Characters appended since the last clear, kept or not."""
        return self.dropped + self._length

    def _compact(self) -> None:
        if len(self._parts) <= 1 and self._length <= self.cap:
            return
        joined = "".join(self._parts)
        if len(joined) > self.cap:
            self.dropped += len(joined) - self.cap
            joined = joined[-self.cap :]
        self._parts = [joined] if joined else []
        self._length = len(joined)


@dataclass
class ToolSpan:
    """One tool call. Times are seconds since the run started; ``ended`` is ``None`` while open."""

    call_id: str
    name: str
    started: float
    ended: float | None = None
    status: str | None = None

    @property
    def duration(self) -> float | None:
        """Seconds from start to end, once ended."""
        return None if self.ended is None else max(0.0, self.ended - self.started)


@dataclass
class ThinkingLane:
    """A block's reasoning. It ends when the block does something else (text, a tool) or the run ends."""

    text: TailText = field(default_factory=lambda: TailText(THINKING_CAP))
    started: float = 0.0
    last: float = 0.0
    ended: float | None = None
    pieces: int = 0

    @property
    def duration(self) -> float:
        """Seconds spent thinking so far (until ``ended`` once it ended)."""
        return max(0.0, (self.ended if self.ended is not None else self.last) - self.started)


@dataclass
class BlockState:
    """What one block has streamed."""

    block_id: str
    index: int
    name: str | None = None
    text: TailText = field(default_factory=lambda: TailText(TEXT_CAP))
    resets: int = 0
    chunks: int = 0
    thinking: ThinkingLane | None = None
    tools: list[ToolSpan] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    first_at: float | None = None
    last_at: float | None = None
    evicted: bool = False

    @property
    def title(self) -> str:
        """The block's name when known, else its id."""
        return self.name or self.block_id

    def open_tools(self) -> list[ToolSpan]:
        """Tool calls that started and have not ended."""
        return [t for t in self.tools if t.ended is None]


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a run ended, as far as this client knows.

    ``status`` is ``completed``, ``failed``, ``paused``, ``cancelled`` or ``interrupted``.
    ``error_code`` and ``request_id`` come from Sim when it gave them; ``note`` says something
    the user should know (e.g. that a cancel was confirmed by the server).
    """

    status: str
    output: Any = None
    error: str | None = None
    error_code: str | None = None
    request_id: str | None = None
    run_id: str | None = None
    duration_ms: float | None = None
    cost: float | None = None
    note: str | None = None

    @property
    def ok(self) -> bool:
        """Completed (or paused, which is a normal stop)."""
        return self.status in ("completed", "paused")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (for the history and the saved transcript)."""
        return {
            "status": self.status,
            "output": self.output,
            "error": self.error,
            "errorCode": self.error_code,
            "requestId": self.request_id,
            "runId": self.run_id,
            "durationMs": self.duration_ms,
            "cost": self.cost,
            "note": self.note,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Outcome:
        """Inverse of :meth:`to_dict`."""
        return cls(
            status=str(data.get("status") or "interrupted"),
            output=data.get("output"),
            error=data.get("error"),
            error_code=data.get("errorCode"),
            request_id=data.get("requestId"),
            run_id=data.get("runId"),
            duration_ms=data.get("durationMs"),
            cost=data.get("cost"),
            note=data.get("note"),
        )


@dataclass
class Timing:
    """Client-side timing of a run, in seconds since it started."""

    first_chunk: float | None = None
    last_chunk: float | None = None
    last_event: float | None = None
    ended: float | None = None
    chunks: int = 0
    chars: int = 0
    events: int = 0

    @property
    def ttfc_ms(self) -> float | None:
        """Time to the first chunk of answer text, in milliseconds."""
        return None if self.first_chunk is None else self.first_chunk * 1000.0

    @property
    def chunks_per_s(self) -> float | None:
        """Chunks per second between the first and the last chunk."""
        if self.first_chunk is None or self.last_chunk is None or self.chunks < 2:
            return None
        span = self.last_chunk - self.first_chunk
        return self.chunks / span if span > 0 else None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "firstChunkS": self.first_chunk,
            "lastChunkS": self.last_chunk,
            "endedS": self.ended,
            "chunks": self.chunks,
            "chars": self.chars,
            "events": self.events,
        }


# --- what changed, for a view ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BlockAdded:
    """A block streamed for the first time."""

    block_id: str


@dataclass(frozen=True, slots=True)
class TextAdded:
    """``text`` was appended to the block's answer (consecutive chunks arrive joined)."""

    block_id: str
    text: str


@dataclass(frozen=True, slots=True)
class TextCleared:
    """The block's answer text was retracted (``chunk_reset``)."""

    block_id: str


@dataclass(frozen=True, slots=True)
class LanesChanged:
    """The block's thinking or tool lane changed."""

    block_id: str


@dataclass(frozen=True, slots=True)
class ErrorAdded:
    """A non-terminal ``stream_error`` (``block_id`` may be ``None``)."""

    block_id: str | None
    message: str


@dataclass(frozen=True, slots=True)
class Settled:
    """The run ended (see :attr:`Transcript.outcome`)."""

    outcome: Outcome


Change = BlockAdded | TextAdded | TextCleared | LanesChanged | ErrorAdded | Settled


class ChangeList:
    """Collects changes, joining text appended to the same block (in linear time: parts are
    joined once, in :meth:`done`)."""

    def __init__(self) -> None:
        self._changes: list[Change] = []
        self._block: str | None = None  # the block whose text is being collected
        self._parts: list[str] = []

    def add(self, change: Change) -> None:
        """Queue one change."""
        if type(change) is TextAdded:
            if change.block_id == self._block:
                self._parts.append(change.text)
                return
            self._close()
            self._block = change.block_id
            self._parts = [change.text]
            return
        self._close()
        self._changes.append(change)

    def extend(self, changes: Iterable[Change]) -> None:
        """Queue several changes."""
        for change in changes:
            self.add(change)

    def _close(self) -> None:
        if self._block is not None:
            self._changes.append(TextAdded(self._block, "".join(self._parts)))
            self._block, self._parts = None, []

    def done(self) -> list[Change]:
        """The changes so far (the list is then empty again)."""
        self._close()
        changes, self._changes = self._changes, []
        return changes

    def __len__(self) -> int:
        return len(self._changes) + (self._block is not None)


class Transcript:
    """Applies stream events to per-block state. Not thread-safe; one per run."""

    def __init__(self, *, names: Mapping[str, str] | None = None, max_blocks: int = MAX_BLOCKS) -> None:
        self.blocks: dict[str, BlockState] = {}
        self.errors: list[tuple[str | None, str]] = []  # stream_errors without a block, and all of them in order
        self.outcome: Outcome | None = None
        self.timing = Timing()
        self._names = dict(names or {})
        self._max_blocks = max_blocks

    # --- reading -------------------------------------------------------------------------

    @property
    def finished(self) -> bool:
        """True once the run's end is known."""
        return self.outcome is not None

    def text(self) -> str:
        """All kept answer text, blocks separated by a blank line."""
        return "\n\n".join(b.text.text for b in self.blocks.values() if b.text.total)

    def set_names(self, names: Mapping[str, str]) -> list[Change]:
        """Name blocks (block id → display name); returns lane changes for renamed blocks."""
        self._names.update(names)
        changes: list[Change] = []
        for block_id, name in names.items():
            block = self.blocks.get(block_id)
            if block is not None and block.name != name:
                block.name = name
                changes.append(LanesChanged(block_id))
        return changes

    # --- applying ------------------------------------------------------------------------

    def apply(self, events: Iterable[tuple[float, StreamEvent]]) -> list[Change]:
        """Apply ``(seconds since start, event)`` pairs in order; returns what changed.

        Consecutive chunks of one block come back as one :class:`TextAdded`."""
        changes = ChangeList()
        batch: list[StreamEvent] = []
        batch_at = 0.0
        for at, event in events:
            if batch and at != batch_at:
                changes.extend(self.apply_batch(batch, batch_at))
                batch = []
            batch_at = at
            batch.append(event)
        if batch:
            changes.extend(self.apply_batch(batch, batch_at))
        return changes.done()

    def apply_batch(self, events: Sequence[StreamEvent], at: float) -> list[Change]:
        """Apply events that arrived together (at ``at`` seconds since the start)."""
        return self.apply_runs(runs(events), at)

    def apply_runs(self, items: Sequence[Item], at: float) -> list[Change]:
        """Apply events grouped by :func:`simdesk.core.frames.runs`: the hot path of a fast
        stream, where a run of chunks of one block costs one join and one append."""
        changes: list[Change] = []
        timing = self.timing
        timing.last_event = at
        for item in items:
            if self.outcome is not None:
                break
            if type(item) is ChunkRun:
                timing.events += len(item.texts)
                self._chunks(item.block_id, item.texts, at, changes)
            else:
                timing.events += 1
                self._apply_other(item, at, changes)  # type: ignore[arg-type]
        return changes

    def _chunks(self, block_id: str, texts: list[str], at: float, changes: list[Change]) -> None:
        """Add a run of chunks of one block."""
        block = self.blocks.get(block_id)
        if block is None:
            block = self._block(block_id, at, changes)
        else:
            block.last_at = at
        if self._end_thinking(block, at):
            changes.append(LanesChanged(block_id))
        text = "".join(texts)
        if not block.chunks and block.index > 0 and text.startswith(_SEPARATOR):
            # Sim puts "\n\n" before a second block's first chunk to part blocks in one string;
            # here blocks are apart already
            text = text[len(_SEPARATOR) :]
        block.chunks += len(texts)
        if not block.evicted:
            block.text.append(text)
        timing = self.timing
        timing.chunks += len(texts)
        timing.chars += len(text)
        if timing.first_chunk is None:
            timing.first_chunk = at
        timing.last_chunk = at
        if text:
            last = changes[-1] if changes else None
            if type(last) is TextAdded and last.block_id == block_id:
                changes[-1] = TextAdded(block_id, last.text + text)
            else:
                changes.append(TextAdded(block_id, text))

    def finish(self, outcome: Outcome, at: float | None = None) -> list[Change]:
        """Record how the run ended (a no-op if it already ended); closes open lanes."""
        if self.outcome is not None:
            return []
        end = at if at is not None else (self.timing.last_event or 0.0)
        self.outcome = outcome
        self.timing.ended = end
        changes: list[Change] = []
        for block in self.blocks.values():
            touched = False
            if block.thinking is not None and block.thinking.ended is None:
                block.thinking.ended = end
                touched = True
            for tool in block.open_tools():
                tool.ended = end
                tool.status = tool.status or ("interrupted" if outcome.status != "completed" else None)
                touched = True
            if touched:
                changes.append(LanesChanged(block.block_id))
        changes.append(Settled(outcome))
        return changes

    # --- internals -----------------------------------------------------------------------

    def _block(self, block_id: str, at: float, changes: list[Change]) -> BlockState:
        block = self.blocks.get(block_id)
        if block is None:
            block = BlockState(block_id, len(self.blocks), self._names.get(block_id), first_at=at)
            self.blocks[block_id] = block
            changes.append(BlockAdded(block_id))
            self._evict()
        block.last_at = at
        return block

    def _evict(self) -> None:
        """Past ``max_blocks``, the oldest blocks give up their text (it stays on disk)."""
        live = [b for b in self.blocks.values() if not b.evicted]
        for block in live[: max(0, len(live) - self._max_blocks)]:
            block.evicted = True
            block.text.clear()
            if block.thinking is not None:
                block.thinking.text.clear()

    @staticmethod
    def _end_thinking(block: BlockState, at: float) -> bool:
        lane = block.thinking
        if lane is not None and lane.ended is None:
            lane.ended = at
            return True
        return False

    def _apply_other(self, event: StreamEvent, at: float, changes: list[Change]) -> None:
        match event:
            case ChunkReset(block_id):
                block = self._block(block_id, at, changes)
                block.text.clear()
                block.resets += 1
                changes.append(TextCleared(block_id))
            case Thinking(block_id, text):
                block = self._block(block_id, at, changes)
                lane = block.thinking
                if lane is None or lane.ended is not None:
                    # a new stretch of thinking after the block did something else: keep one lane,
                    # resume its clock, and mark the break in its text
                    if lane is None:
                        lane = block.thinking = ThinkingLane(started=at, last=at)
                    else:
                        lane.started += at - (lane.ended or at)
                        lane.ended = None
                        lane.text.append("\n")
                if not block.evicted:
                    lane.text.append(text)
                lane.last = at
                lane.pieces += 1
                changes.append(LanesChanged(block_id))
            case ToolCall(block_id, phase, call_id, name, status):
                block = self._block(block_id, at, changes)
                self._end_thinking(block, at)
                self._tool(block, phase, call_id, name, status, at)
                changes.append(LanesChanged(block_id))
            case StreamError(message, block_id):
                if block_id is not None:
                    block = self._block(block_id, at, changes)
                    if len(block.errors) < MAX_ERRORS:
                        block.errors.append(message)
                if len(self.errors) < MAX_ERRORS:
                    self.errors.append((block_id, message))
                changes.append(ErrorAdded(block_id, message))
            case Final():
                status = "paused" if event.status == "paused" else "completed" if event.success else "failed"
                changes.extend(
                    self.finish(Outcome(status, output=event.output, error=event.error, run_id=event.run_id), at)
                )
            case RunFailed(message, run_id, block_id):
                if block_id is not None:
                    self._block(block_id, at, changes)
                changes.extend(self.finish(Outcome("failed", error=message, run_id=run_id), at))

    @staticmethod
    def _tool(block: BlockState, phase: str, call_id: str, name: str, status: str | None, at: float) -> None:
        if phase == "start":
            if len(block.tools) < MAX_TOOLS:
                block.tools.append(ToolSpan(call_id, name, at))
            return
        for tool in reversed(block.tools):
            if tool.ended is None and (tool.call_id == call_id or not call_id):
                tool.ended = at
                tool.status = status
                return
        # an end without a start (we joined late, or the start was dropped): a zero-length span
        if len(block.tools) < MAX_TOOLS:
            block.tools.append(ToolSpan(call_id, name, at, at, status))


def replay(events: Iterable[tuple[float, StreamEvent]], names: Mapping[str, str] | None = None) -> Transcript:
    """A transcript rebuilt from stored events (the history's frames)."""
    transcript = Transcript(names=names)
    transcript.apply(events)
    return transcript
