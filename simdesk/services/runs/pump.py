"""The paint-batching pump between a stream and the console.

Events go into a pending list as they arrive (O(1) per event), and a single-shot timer applies
them to the :class:`~simdesk.core.transcript.Transcript`, hands their frames to the history and
reports the changes at most once per ``paint_ms``, so painting costs the same whether 10 or
10 000 chunks arrived in that time, and whatever was painted is already on its way to disk. The
pending list is bounded: past ``max_pending`` events it is drained into the transcript at once
(without painting). :func:`simdesk.services.run_modes.run_stream` fills it (the pump is its
:class:`~simdesk.services.run_modes.EventSink`).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal

from simdesk.core import frames as wire
from simdesk.core.run_history import RunHistory
from simdesk.core.stream_events import StreamEvent
from simdesk.core.transcript import Change, ChangeList, Transcript
from simdesk.services.raw_tail import RawTail

RAW_KEEP = 2000  # raw frames kept for the inspector (all are on disk)
FLOOD_EVENTS = 1000  # events waiting at a paint that make it a flood
SAVE_BYTES = 2 * 2**20  # drained frames handed to the history early, between paints, past this
BACKLOG_BYTES = 8 * 2**20  # the history's writer this far behind: the stream waits for it
BACKLOG_WAIT_S = 0.005
FLOOD_PAINT_MS = 100  # paint interval during a flood


class StreamPump(QObject):
    """Buffers a run's events and frames, and paints them into its transcript in batches.

    Signals:
        changed(list[Change]): what changed in :attr:`transcript` since the last paint.
        frames(int): how many raw frames arrived since the last paint (:meth:`raw_frames` has them).

    ``on_drained()`` is called after events were applied (the stream may have learnt its run id);
    ``on_painted()`` after every paint.
    """

    changed = Signal(object)
    frames = Signal(object)

    def __init__(
        self,
        history: RunHistory,
        *,
        paint_ms: int,
        max_pending: int,
        on_drained: Callable[[], None],
        on_painted: Callable[[], None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.history = history
        self.transcript = Transcript()
        self.key: str | None = None  # the history's key of the run being painted
        self.t0 = 0.0  # time.perf_counter() when the run started (arrival times count from here)
        self.pending: list[StreamEvent] = []  # events not yet applied (the stream loop appends)
        self.armed = False  # a paint is scheduled for the pending events
        self._marks: list[tuple[int, float, int]] = []  # (index in pending, arrival time, index in raw) per group
        self._changes = ChangeList()
        self._unsaved: list[tuple[float, list[str], int]] = []  # drained groups not yet handed to the history
        self._drained = 0  # events drained since the last paint
        self._new_frames = 0  # frames kept for the inspector since the last paint
        self._unsaved_bytes = 0
        self._raw = RawTail(RAW_KEEP)
        self.raw = self._raw.incoming  # raw payloads not yet drained (the stream's on_raw appends)
        self._max_pending = max_pending
        self._on_drained = on_drained
        self._on_painted = on_painted
        self._paint = QTimer(self)
        self._paint.setSingleShot(True)
        self._paint.setInterval(paint_ms)
        self._paint_ms = paint_ms
        self._flood_ms = max(paint_ms, FLOOD_PAINT_MS)
        self._paint.timeout.connect(self.flush)

    def reset(self, transcript: Transcript, key: str | None) -> None:
        """Paint into ``transcript`` (run ``key`` in the history) from now on; forget what is buffered."""
        self.transcript = transcript
        self.key = key
        self.pending.clear()
        self._marks.clear()
        self.armed = False
        self._unsaved = []
        self._unsaved_bytes = 0
        self._drained = 0
        self._changes.done()
        self._new_frames = 0
        self._raw.clear()

    def show_frames(self, frames: list[tuple[float, str]]) -> None:
        """The frames of a reopened run, for the inspector (not reported as new)."""
        self._raw.extend(frames)
        self._new_frames = 0

    @property
    def has_frames(self) -> bool:
        """Any frame arrived (pending, undrained or kept)."""
        return bool(self.pending or self._raw.incoming or len(self._raw))

    # --- the hot path --------------------------------------------------------------------

    def arm(self, added: int = 1) -> None:
        """The first events since the last paint (the ``added`` just appended): note their time
        and schedule the paint."""
        self.armed = True
        raw = self._raw.mark() if self._marks else 0  # raw frames since the last drain start with it
        self._marks.append((len(self.pending) - added, time.perf_counter() - self.t0, raw))
        self._paint.start()

    def checkpoint(self) -> float:
        """After each network read's events: a drain if ``max_pending`` wait, a new arrival time
        if the clock moved (a group per 2 ms keeps groups, rows and calls few), and how long the
        stream should pause (0 unless the history's writer is behind by :data:`BACKLOG_BYTES`:
        then reading waits, so a stream faster than the disk cannot fill the memory).

        Draining early keeps few events alive at once: they are objects the garbage collector
        tracks, and many survivors get promoted toward full collections (tens of milliseconds
        in the middle of a stream)."""
        if len(self.pending) >= self._max_pending:
            self._drain()
            if self._unsaved_bytes >= SAVE_BYTES:
                self._save()
        now = time.perf_counter() - self.t0
        if not self._marks or now - self._marks[-1][1] >= 0.002:
            self._marks.append((len(self.pending), now, self._raw.mark()))
        return BACKLOG_WAIT_S if self.history.backlog > BACKLOG_BYTES else 0.0

    def _drain(self) -> None:
        """Apply pending events to the transcript and hand their frames to the history, in
        groups by arrival time. (The list is emptied in place: the stream loop holds it.)"""
        pending, marks = self.pending[:], self._marks
        self.pending.clear()
        self._marks = []
        now = time.perf_counter() - self.t0
        self._new_frames += self._raw.take([(raw, at) for _start, at, raw in marks], now)
        if not pending:
            return
        self._drained += len(pending)
        bounds = [(start, at) for start, at, _raw in marks if start < len(pending)] or [(0, now)]
        groups: list[tuple[float, list[str], int]] = []
        for number, (start, at) in enumerate(bounds):
            end = bounds[number + 1][0] if number + 1 < len(bounds) else len(pending)
            if end <= start:
                continue
            items = wire.runs(pending[start:end] if start or end < len(pending) else pending)
            lines, count = wire.pack(items)  # before the transcript sees the items
            groups.append((at, lines, count))
            self._unsaved_bytes += sum(map(len, lines))
            self._changes.extend(self.transcript.apply_runs(items, at))
        self._unsaved.extend(groups)
        self._on_drained()

    def _save(self) -> None:
        """Hand drained frames to the history: one row per paint (before the paint, so what is
        shown is on its way to disk)."""
        if self._unsaved and self.key is not None:
            self.history.add_frames(self.key, self._unsaved)
        self._unsaved = []
        self._unsaved_bytes = 0

    def raw_frames(self, limit: int = RAW_KEEP) -> list[tuple[float, str]]:
        """The newest ``limit`` frames of the shown run: a live stream's ``data`` payloads as Sim
        sent them (unreadable and unknown frames and ``[DONE]`` included), a reopened run's as the
        history keeps them (re-encoded from its events)."""
        return self._raw.frames(limit)

    def merge(self, changes: list[Change]) -> None:
        """Queue changes for the next paint."""
        self._changes.extend(changes)

    def flush(self) -> None:
        """Paint tick: drain, then tell the views once. In a flood (thousands of events per
        paint) the next paint waits longer: nobody reads that fast, and every paint has a fixed
        cost (layout, repaint) that would otherwise slow the stream down."""
        self.armed = False
        flood = len(self.pending) + self._drained >= FLOOD_EVENTS
        self._drained = 0
        self._paint.setInterval(self._flood_ms if flood else self._paint_ms)
        self._drain()
        self._save()
        if len(self._changes):
            self.changed.emit(self._changes.done())
        if self._new_frames:
            self.frames.emit(self._new_frames)
            self._new_frames = 0
        self._on_painted()
