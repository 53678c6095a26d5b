"""Rate-limit state: what the server last said about each bucket, and who wants to know.

Sim meters requests in token buckets (sim-api.md §3). Every v1/v2 response carries the state of
the bucket it drew from in ``X-RateLimit-*`` headers; ``/api/users/me/usage-limits`` reports the
execution buckets. :class:`RateLimits` keeps the latest :class:`RateLimitState` per bucket name
and tells observers about every change, so a meter in the UI can follow it live.

Bucket names used by the client: ``"v2 <operation>"`` for v2 request buckets (one per
operation, e.g. ``"v2 execute"``), ``"v1"`` for the shared v1 bucket, and ``"execution sync"`` /
``"execution async"`` for the execution buckets.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

log = logging.getLogger("simdesk.core.rates")

SYNC_EXECUTIONS = "execution sync"
ASYNC_EXECUTIONS = "execution async"


@dataclass(frozen=True, slots=True)
class RateLimitState:
    """One bucket as last reported.

    Attributes:
        bucket: which bucket (see the module docstring for names).
        limit: bucket capacity (burst), ``None`` when not reported.
        remaining: whole tokens left, ``None`` when not reported.
        reset_at: when the next refill happens (server time), ``None`` when not reported.
        retry_after: seconds the server asked us to wait, when this state came from a refusal.
        per_minute: refill rate, when known (usage-limits reports it; headers do not).
        observed_at: local wall-clock time (epoch seconds) when this state was seen.
    """

    bucket: str
    limit: int | None
    remaining: int | None
    reset_at: datetime | None
    observed_at: float
    retry_after: float | None = None
    per_minute: int | None = None

    @property
    def is_limited(self) -> bool:
        """True when the bucket is known to be empty."""
        return self.remaining is not None and self.remaining <= 0

    @property
    def fraction_left(self) -> float | None:
        """``remaining / limit`` in [0, 1], or ``None`` when either is unknown."""
        if self.limit is None or self.remaining is None or self.limit <= 0:
            return None
        return max(0.0, min(1.0, self.remaining / self.limit))


Observer = Callable[[RateLimitState], None]


class RateLimits:
    """The latest :class:`RateLimitState` per bucket, with change observers.

    Thread-safe for updates; observers are called synchronously, in the updating thread, after
    the state is stored. An observer that raises is logged and does not stop the others.
    """

    def __init__(self) -> None:
        self._states: dict[str, RateLimitState] = {}
        self._observers: list[Observer] = []
        self._lock = threading.Lock()

    def update(self, state: RateLimitState) -> None:
        """Store ``state`` as its bucket's latest and notify observers."""
        with self._lock:
            self._states[state.bucket] = state
            observers = list(self._observers)
        for observer in observers:
            try:
                observer(state)
            except Exception:
                log.exception("rate-limit observer %r failed", observer)

    def subscribe(self, observer: Observer) -> Callable[[], None]:
        """Call ``observer`` on every update; returns a function that unsubscribes it."""
        with self._lock:
            self._observers.append(observer)

        def unsubscribe() -> None:
            with self._lock:
                if observer in self._observers:
                    self._observers.remove(observer)

        return unsubscribe

    def get(self, bucket: str) -> RateLimitState | None:
        """The latest state of ``bucket``, if any was seen."""
        with self._lock:
            return self._states.get(bucket)

    def snapshot(self) -> dict[str, RateLimitState]:
        """A copy of every bucket's latest state."""
        with self._lock:
            return dict(self._states)

    def most_constrained(self) -> RateLimitState | None:
        """The bucket with the smallest known fraction left (what a single meter should show)."""
        known = [s for s in self.snapshot().values() if s.fraction_left is not None]
        return min(known, key=lambda s: s.fraction_left or 0.0, default=None)

    def __iter__(self) -> Iterator[RateLimitState]:
        return iter(self.snapshot().values())

    def __len__(self) -> int:
        with self._lock:
            return len(self._states)

    def __contains__(self, bucket: object) -> bool:
        with self._lock:
            return bucket in self._states
