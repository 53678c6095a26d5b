"""Fault knobs: ways to make the sandbox misbehave on purpose, for tests and demos.

All are off by default. Tests set them on the running sandbox's ``faults`` object (in-process);
``simdesk sandbox --control`` also exposes them over ``/__sandbox/faults``. Counted faults
(``html_502``, ``storm_429`` …) apply to the next N matching requests and then switch themselves
off. ``path_filter`` limits the counted faults to paths containing that text.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, fields
from typing import Any


@dataclass
class FaultKnobs:
    """The switchable misbehaviours. Floats are real seconds (not the sandbox clock)."""

    latency_s: float = 0.0  # added before every API response
    stall_before_first_byte_s: float = 0.0  # streams: wait before the first frame (headers go out with it)
    stream_gap_s: float = 0.0  # streams: a silent gap after the first frame
    cut_stream_after_frames: int | None = None  # streams: drop the connection mid-frame after N frames
    split_frames: bool = False  # streams: write in 1–3 byte pieces (splits prefixes, JSON, UTF-8)
    crlf: bool = False  # streams: \r\n line endings
    bare_done: bool = False  # streams: `data: [DONE]` instead of the quoted form
    coalesce_frames: bool = False  # streams: many frames in one write
    stream_error_after_first: int = 0  # next N streams: a non-terminal stream_error after the first frame
    fail_stream_after_first: int = 0  # next N streams: terminal `error` frame after the first frame
    malformed_json: int = 0  # next N JSON responses (or stream frames) are cut short
    html_502: int = 0  # next N API requests get a proxy's HTML 502 page
    storm_429: int = 0  # next N API requests get the surface's request-bucket 429
    unavailable_503: int = 0  # next N API requests get 503 with Retry-After: 5
    ambiguous_enqueue: int = 0  # next N async enqueues answer 503 ASYNC_ENQUEUE_AMBIGUOUS (run still made)
    capacity_429: int = 0  # next N executes hit the server-capacity admission gate
    concurrency_429: int = 0  # next N executes hit the payer concurrency limit
    retry_after: str | None = None  # the Retry-After text of storm_429 and unavailable_503 (e.g. "1e12")
    redirect_to: str | None = None  # answer every /api request with 301 to this origin (apex case)
    path_filter: str | None = None  # counted faults only for paths containing this
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def consume(self, name: str, path: str = "") -> bool:
        """Use up one count of a counted fault if it applies to ``path``."""
        with self._lock:
            if self.path_filter and self.path_filter not in path:
                return False
            left = getattr(self, name)
            if left > 0:
                setattr(self, name, left - 1)
                return True
            return False

    def update(self, values: dict[str, Any]) -> None:
        """Set knobs by name; unknown names raise ``KeyError``."""
        names = {f.name for f in fields(self) if not f.name.startswith("_")}
        for key in values:
            if key not in names:
                raise KeyError(key)
        with self._lock:
            for key, value in values.items():
                setattr(self, key, value)

    def clear(self) -> None:
        """Everything back to off."""
        self.update(FaultKnobs().as_dict())

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if not f.name.startswith("_")}
