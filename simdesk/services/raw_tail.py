"""The raw-frames inspector's source: the newest SSE ``data`` payloads of a run, as Sim sent them.

A live stream hands every payload to :attr:`RawTail.incoming` (the client's ``on_raw`` hook is that
list's ``append``: one C call per frame), skipped and unknown frames and ``[DONE]`` included. At
each drain the service moves them into the tail with their arrival times; only the newest
``keep`` frames stay (every frame of a run is in the history, re-encoded from its events).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence


class RawTail:
    """The newest ``keep`` raw frames, in groups that share an arrival time.

    Attributes:
        incoming: payloads not yet taken; the stream appends to it, so it is emptied in place,
            never replaced.
    """

    def __init__(self, keep: int) -> None:
        self.keep = keep
        self.incoming: list[str] = []
        self._groups: deque[tuple[float, list[str]]] = deque()
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def mark(self) -> int:
        """Where the next payload will land in :attr:`incoming` (a group boundary to :meth:`take`)."""
        return len(self.incoming)

    def take(self, cuts: Sequence[tuple[int, float]], now: float) -> int:
        """Move :attr:`incoming` into the tail; returns how many frames that was.

        ``cuts`` are ``(index in incoming, arrival time)`` in order: the payloads from one cut to
        the next arrived at its time (those before the first cut too); with no cut, at ``now``."""
        payloads = self.incoming[:]
        self.incoming.clear()
        if not payloads:
            return 0
        bounds = [(0, cuts[0][1] if cuts else now), *((i, at) for i, at in cuts if 0 < i < len(payloads))]
        for number, (start, at) in enumerate(bounds):
            end = bounds[number + 1][0] if number + 1 < len(bounds) else len(payloads)
            if end > start:
                self._add(at, payloads[start:end] if start or end < len(payloads) else payloads)
        return len(payloads)

    def extend(self, frames: Iterable[tuple[float, str]]) -> None:
        """Add frames already stamped (a run reopened from the history)."""
        for at, payload in frames:
            self._add(at, [payload])

    def _add(self, at: float, payloads: list[str]) -> None:
        self._groups.append((at, payloads))
        self._count += len(payloads)
        while self._count - len(self._groups[0][1]) >= self.keep:
            self._count -= len(self._groups.popleft()[1])

    def frames(self, limit: int) -> list[tuple[float, str]]:
        """The newest ``limit`` frames as ``(arrival time, payload)``."""
        frames = [(at, p) for at, payloads in self._groups for p in payloads]
        return frames[-limit:] if limit > 0 else []

    def clear(self) -> None:
        """Forget everything (a new run, or another run shown)."""
        self.incoming.clear()
        self._groups.clear()
        self._count = 0
