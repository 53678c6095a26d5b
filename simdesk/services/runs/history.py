"""Reading the run history for the console, off the GUI thread: a past run replayed into a
transcript, a run's complete text, and the newest raw frames for the inspector."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from simdesk.core import frames as wire
from simdesk.core.run_history import RunHistory, RunRecord
from simdesk.core.stream_events import Chunk, ChunkReset, StreamEvent
from simdesk.core.transcript import Outcome, Transcript

# history reads run here, not in qasync's default executor (QThreads that warn at interpreter exit)
_READER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="simdesk-history-read")


async def off_thread[T](fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)`` in the history's reader thread."""
    return await asyncio.get_running_loop().run_in_executor(_READER, fn, *args)


def replay(history: RunHistory, record: RunRecord, names: dict[str, str]) -> Transcript:
    """Rebuild a transcript from stored frames (in a worker thread)."""
    transcript = Transcript(names=names)
    batch: list[tuple[float, StreamEvent]] = []
    for at, payload in history.frames(record.key):
        event = wire.event_of(payload, record.run_id)
        if event is not None:
            batch.append((at, event))
        if len(batch) >= 5000:
            transcript.apply(batch)
            batch = []
    transcript.apply(batch)
    if record.outcome is not None:
        transcript.outcome = None  # the recorded outcome (with server figures) wins over the frames'
        transcript.finish(record.outcome, record.timing.get("endedS"))
    elif not transcript.finished:
        transcript.finish(Outcome("interrupted", run_id=record.run_id, note="simdesk closed before this run finished"))
    return transcript


def full_text(history: RunHistory, key: str) -> str:
    """Every block's complete text, rebuilt from the stored frames."""
    texts: dict[str, list[str]] = {}
    for _at, payload in history.frames(key):
        event = wire.event_of(payload)
        if type(event) is Chunk:
            parts = texts.setdefault(event.block_id, [])
            text = event.text
            if not parts and len(texts) > 1 and text.startswith("\n\n"):
                text = text[2:]
            parts.append(text)
        elif type(event) is ChunkReset:
            texts[event.block_id] = []
    return "\n\n".join("".join(p) for p in texts.values() if p)


def tail_frames(history: RunHistory, key: str, keep: int) -> list[tuple[float, str]]:
    """The newest ``keep`` stored frames of run ``key``."""
    tail: deque[tuple[float, str]] = deque(maxlen=keep)
    tail.extend(history.frames(key))
    return list(tail)
