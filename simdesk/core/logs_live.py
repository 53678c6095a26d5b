"""Live mode's pace: new runs of the watched views, within a fixed share of the request budget.

A view is one logs list (a workspace, perhaps narrowed to a workflow). Every watched view is asked
in turn, one ``/api/v2/logs`` request at a time, with ``60 / requests_per_min`` seconds between
any two requests, however many views are watched: five at the default 5 per minute are each
asked once a minute, a single one every :data:`MIN_INTERVAL_S`. Sim's free plan allows 60 list
requests in a burst and 30 a minute (the logs bucket), so live mode alone can never cause a 429;
the requests are made at background priority (the poll callback's job), so the user's own work
goes first.

A poll that fails (offline, a 5xx) doubles the pause before the next one, up to
:data:`MAX_BACKOFF_S`; a success restores the pace. The poller is Qt-free: it takes the
``sleep`` to wait with, so tests and the benchmark drive it on virtual time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

LIVE_REQUESTS_PER_MIN = 5.0
MIN_INTERVAL_S = 12.0  # one watched workspace is not asked more often than this
MAX_BACKOFF_S = 300.0

Poll = Callable[[str], Awaitable[bool]]
"""Ask for one workspace's new runs; ``True`` when the server answered."""


class LivePoller:
    """Round-robin polling of watched workspaces at a fixed request rate."""

    def __init__(
        self,
        poll: Poll,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        requests_per_min: float = LIVE_REQUESTS_PER_MIN,
        min_interval_s: float = MIN_INTERVAL_S,
    ) -> None:
        self._poll = poll
        self._sleep = sleep
        self.requests_per_min = requests_per_min
        self.min_interval_s = min_interval_s
        self.watched: list[str] = []
        self._next = 0
        self._failures = 0
        self._wake = asyncio.Event()
        self.polls = 0

    def watch(self, workspace_id: str) -> None:
        if workspace_id not in self.watched:
            self.watched.append(workspace_id)
            self._wake.set()

    def unwatch(self, workspace_id: str) -> None:
        if workspace_id in self.watched:
            self.watched.remove(workspace_id)

    def spacing_s(self) -> float:
        """Seconds between two requests: the rate's share, never faster than ``min_interval_s``
        per workspace, longer after failures."""
        count = max(1, len(self.watched))
        base = max(60.0 / self.requests_per_min, self.min_interval_s / count)
        return min(MAX_BACKOFF_S, base * 2**self._failures) if self._failures else base

    async def run(self) -> None:
        """Poll until cancelled (waiting, without a timer, while nothing is watched)."""
        while True:
            if not self.watched:
                self._wake.clear()
                await self._wake.wait()
                continue
            workspace = self.watched[self._next % len(self.watched)]
            self._next += 1
            self.polls += 1
            ok = await self._poll(workspace)
            self._failures = 0 if ok else min(self._failures + 1, 8)
            await self._sleep(self.spacing_s())
