"""Reading the run history for the console (the service calls these in the app's history-read
executor, off the GUI thread): a past run replayed into a transcript, a run's complete text, and
the newest raw frames for the inspector. Stored frames are decoded by the api's
:func:`~simdesk.api.sse.decode_recorded`, as the stream was decoded live."""

from __future__ import annotations

from collections import deque

from simdesk.api.sse import decode_recorded
from simdesk.core.run_history import RunHistory, RunRecord
from simdesk.core.stream_events import Chunk, ChunkReset, StreamEvent
from simdesk.core.transcript import Outcome, Transcript


def replay(history: RunHistory, record: RunRecord, names: dict[str, str]) -> Transcript:
    """Rebuild a transcript from stored frames (in a worker thread)."""
    transcript = Transcript(names=names)
    batch: list[tuple[float, StreamEvent]] = []
    for at, event in decode_recorded(history.frames(record.key), record.run_id):
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
    for _at, event in decode_recorded(history.frames(key)):
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
