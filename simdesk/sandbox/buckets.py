"""Token buckets as Sim implements them (sim-api.md §3.1).

A bucket starts full with ``capacity = 2 × rate``; each request takes one token; ``rate`` tokens
come back once per whole 60 s window counted from the bucket's first use (stepwise, not
continuous), capped at capacity; a bucket idle for 120 s is forgotten (back to full).
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

from simdesk.sandbox.clock import Clock

WINDOW_S = 60.0
IDLE_EXPIRY_S = 120.0

# per-minute rates by plan (sim-api.md §3.1)
PLAN_RATES: dict[str, dict[str, int]] = {
    "free": {"sync": 50, "async": 200, "api-endpoint": 30},
    "pro": {"sync": 150, "async": 1000, "api-endpoint": 100},
    "team": {"sync": 300, "async": 2500, "api-endpoint": 200},
    "enterprise": {"sync": 600, "async": 5000, "api-endpoint": 500},
}
PLANS = tuple(PLAN_RATES)


@dataclass(frozen=True)
class BucketState:
    """A snapshot of one bucket, as the headers and usage-limits report it."""

    rate: int
    capacity: int
    remaining: int
    reset_at: float  # epoch seconds of the next refill
    allowed: bool  # whether the request that produced this snapshot got a token


@dataclass
class _Bucket:
    tokens: int
    window_start: float
    last_used: float


class TokenBuckets:
    """Every bucket of the sandbox, keyed by (kind, subject)."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._lock = threading.Lock()

    def _refreshed(self, key: tuple[str, str], rate: int, now: float) -> _Bucket:
        capacity = 2 * rate
        bucket = self._buckets.get(key)
        if bucket is None or now - bucket.last_used >= IDLE_EXPIRY_S:
            bucket = _Bucket(tokens=capacity, window_start=now, last_used=now)
            self._buckets[key] = bucket
            return bucket
        windows = math.floor((now - bucket.window_start) / WINDOW_S)
        if windows > 0:
            bucket.tokens = min(capacity, bucket.tokens + windows * rate)
            bucket.window_start += windows * WINDOW_S
        return bucket

    def take(self, kind: str, subject: str, rate: int) -> BucketState:
        """Take one token if there is one; report the bucket either way."""
        now = self._clock.now()
        with self._lock:
            bucket = self._refreshed((kind, subject), rate, now)
            allowed = bucket.tokens > 0
            if allowed:
                bucket.tokens -= 1
            bucket.last_used = now
            return BucketState(rate, 2 * rate, bucket.tokens, bucket.window_start + WINDOW_S, allowed)

    def peek(self, kind: str, subject: str, rate: int) -> BucketState:
        """Report a bucket without taking a token (usage-limits)."""
        now = self._clock.now()
        with self._lock:
            bucket = self._buckets.get((kind, subject))
            if bucket is None or now - bucket.last_used >= IDLE_EXPIRY_S:
                return BucketState(rate, 2 * rate, 2 * rate, now + WINDOW_S, True)
            bucket = self._refreshed((kind, subject), rate, now)
            return BucketState(rate, 2 * rate, bucket.tokens, bucket.window_start + WINDOW_S, True)

    def reset(self) -> None:
        """Forget every bucket (all back to full)."""
        with self._lock:
            self._buckets.clear()


def retry_after_seconds(state: BucketState, now: float) -> int:
    """``Retry-After`` for an empty bucket: whole seconds to the next refill, at least 1."""
    return max(1, math.ceil(state.reset_at - now))
