"""Turning the payloads of Sim's execution stream into typed events (CONTRACT §6).

Transport (bytes → UTF-8 text → lines → SSE events, with code points and CRLFs split across
network reads) is the job of httpx and :mod:`simdesk.api.sse_text`; this module starts from each
event's ``data`` string, so it can be tested by feeding strings. The rules of §6.4: ``[DONE]``
quoted or bare ends the stream; unparsable payloads and unknown ``event`` values are skipped;
text is accumulated per block (``chunk_reset`` discards it); nothing after the first terminal
frame counts.

Accumulating the text keeps every chunk until the stream ends (a 100 MB answer holds about twice
that in memory). A consumer that keeps the text itself passes ``keep_text=False``: the decoder's
memory then stays bounded, and the terminal event's ``texts`` is empty.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Literal

from simdesk.core.stream_events import (
    Chunk,
    ChunkReset,
    Final,
    RunFailed,
    StreamError,
    StreamEvent,
    TerminalEvent,
    Thinking,
    ToolCall,
)

_DONE = frozenset({"[DONE]", '"[DONE]"'})
# the C scanner that json.loads ends in, without its three Python layers (one call per token)
_scan: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


def _loads(text: str) -> Any:
    """``json.loads`` for one compact JSON value (what Sim writes), without its Python layers;
    trailing text or a parse failure is a ``ValueError``."""
    try:
        value, end = _scan(text, 0)
    except StopIteration as exc:
        raise ValueError(f"not JSON at {exc.value}") from None
    except RecursionError:  # nested thousands deep: unreadable, like any other malformed frame
        raise ValueError("JSON nested too deeply") from None
    if end != len(text) and text[end:].strip():
        raise ValueError("extra data after the JSON value")
    return value


_SEPARATOR = "\n\n"  # the server puts this before a second block's first chunk


class StreamDecoder:
    """Decodes one stream's ``data`` payloads, one at a time, into events.

    Attributes:
        run_id: the id the client sent (frames carry none); stamped on terminal events.
        terminal: the terminal event, once seen.
        done: True once ``[DONE]`` arrived.
        skipped: payloads that were not JSON (counted, otherwise ignored).
        keep_text: whether answer text is accumulated for the terminal event's ``texts``; when
            False nothing of the chunks is kept and ``texts`` is an empty mapping.
    """

    def __init__(self, run_id: str | None = None, *, keep_text: bool = True) -> None:
        self.run_id = run_id
        self.terminal: TerminalEvent | None = None
        self.done = False
        self.skipped = 0
        self.keep_text = keep_text
        self._parts: dict[str, list[str]] = {}

    def feed(self, data: str) -> StreamEvent | None:
        """Decode one payload; returns its event, or ``None`` for nothing to report."""
        if data[:1] != "{":
            return self._not_an_object(data)
        if self.terminal is not None:
            return None
        try:
            frame = _loads(data)
        except ValueError:
            self.skipped += 1
            return None
        kind = frame.get("event")
        if kind is None:  # the hot path: one per token
            chunk = frame.get("chunk")
            block_id = frame.get("blockId")
            if type(chunk) is not str or type(block_id) is not str:
                return None
            if self.keep_text:
                parts = self._parts.get(block_id)
                if parts:
                    parts.append(chunk)
                else:
                    self._accumulate(block_id, chunk)
            return Chunk(block_id, chunk)
        return self._event(kind, frame)

    def _not_an_object(self, data: str) -> StreamEvent | None:
        text = data.strip()
        if text in _DONE:
            self.done = True
            return None
        if text.startswith("{"):
            return self.feed(text)
        try:
            value = _loads(text)
        except ValueError:
            self.skipped += 1
            return None
        if value == "[DONE]":
            self.done = True
        return None

    def texts(self) -> dict[str, str]:
        """Accumulated answer text per block id, in the order blocks started streaming (empty
        with ``keep_text=False``)."""
        return {block: "".join(parts) for block, parts in self._parts.items()}

    def _event(self, kind: object, frame: dict[str, Any]) -> StreamEvent | None:
        block_id = _str(frame.get("blockId"))
        if kind == "final":
            return self._final(frame.get("data"))
        if kind == "error":
            self.terminal = RunFailed(
                message=_str(frame.get("error")) or "The run failed",
                run_id=self.run_id,
                block_id=block_id,
                texts=self.texts(),
            )
            return self.terminal
        if kind == "stream_error":
            return StreamError(_str(frame.get("error")) or "The block's stream broke", block_id)
        if block_id is None:
            return None
        if kind == "chunk_reset":
            if block_id in self._parts:
                self._parts[block_id] = []
            return ChunkReset(block_id)
        if kind == "thinking":
            return Thinking(block_id, _str(frame.get("data")) or "")
        if kind == "tool":
            phase = frame.get("phase")
            if phase not in ("start", "end"):
                return None
            return ToolCall(
                block_id=block_id,
                phase=phase,
                call_id=_str(frame.get("id")) or "",
                name=_str(frame.get("name")) or "",
                status=_str(frame.get("status")),
            )
        return None  # an event type this client does not know

    def _accumulate(self, block_id: str, chunk: str) -> None:
        parts = self._parts.get(block_id)
        if parts is None:
            parts = self._parts[block_id] = []
        if not parts and len(self._parts) > 1 and chunk.startswith(_SEPARATOR):
            chunk = chunk[len(_SEPARATOR) :]
        parts.append(chunk)

    def _final(self, data: Any) -> Final:
        body = data if isinstance(data, dict) else {}
        success = body.get("success") is True
        status: Literal["completed", "failed", "paused"] = (
            "paused" if body.get("status") == "paused" else "completed" if success else "failed"
        )
        self.terminal = Final(
            success=success,
            output=body.get("output"),
            run_id=self.run_id,
            status=status,
            error=_str(body.get("error")),
            texts=self.texts(),
        )
        return self.terminal


def decode_recorded(
    frames: Iterable[tuple[float, str]], run_id: str | None = None
) -> Iterator[tuple[float, StreamEvent]]:
    """The events of a stream's recorded frames (``(arrival time, data payload)`` pairs, as the run
    history keeps them), decoded exactly as they were live; text is not accumulated (the terminal
    event's ``texts`` is empty), so a replay of any length takes bounded memory."""
    decoder = StreamDecoder(run_id, keep_text=False)
    feed = decoder.feed
    for at, payload in frames:
        event = feed(payload)
        if event is not None:
            yield at, event


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None
