"""The usage service: live limits, spend and budget of the active profile, as Qt signals.

It listens to everything the profile's client learns (every answer's ``X-RateLimit-*``, and the
request budget's queue) and asks ``usage-limits`` (plus v2 billing status) itself: on attach, on
a timer (interval adjustable, paused while the window is minimised or the app idle), and right
after a refill the countdown reached, so the numbers jump to what the server really has. The
refresh runs at background priority: it never delays a run the user started.

Each refresh is sampled into the :class:`~simdesk.core.usage_history.UsageHistory` (written in a
worker thread of :mod:`simdesk.services.executors`, never the loop's QThread executor) and checked
against the warning lines (:mod:`simdesk.core.thresholds`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal

from simdesk.core.budget import Priority, RequestBudget, working_at
from simdesk.core.meter import MeterState, build_state, merge
from simdesk.core.rates import RateLimitState
from simdesk.core.thresholds import ThresholdWatch
from simdesk.core.usage import BillingStatus, UsageLimits
from simdesk.core.usage_history import SPEND, Sample, UsageHistory
from simdesk.services.executors import run_blocking
from simdesk.services.settings import Opt
from simdesk.services.tasks import TaskSet

if TYPE_CHECKING:  # the client (and httpx) load with the first client, not at start-up
    from simdesk.api import SimClient

log = logging.getLogger("simdesk.services.usage")

DEFAULT_INTERVAL_S = 60.0
MIN_INTERVAL_S = 5.0
REFILL_GRACE_S = 1.0  # ask usage-limits this long after a refill, so the server has done it

# --- preferences (STYLE pattern 9) -------------------------------------------------------------
REFRESH_INTERVAL = Opt("usage/refresh_interval_s", DEFAULT_INTERVAL_S, float, doc="usage-limits refresh")
SPEND_WARNINGS = Opt("usage/spend_warnings", "50, 80, 95", str, doc="warn at these % of the spend limit")
BUCKET_LOW = Opt("usage/bucket_low_percent", 10.0, float, doc="warn when a bucket is down to this %")


class UsageService(QObject):
    """Usage and limits of one profile at a time.

    Args:
        history: where samples and crossed warning lines are kept (``None``: not kept).
        clock: epoch seconds now; tests pass the sandbox's virtual clock.
        interval_s: seconds between ``usage-limits`` refreshes.
        tick_ms: how often projections (countdowns, refills) are recomputed.
        watch: the warning lines (default 50/80/95 % of spend, a bucket at 10 %).

    Signals:
        changed(object MeterState): the meter's state (after a refresh, an answer, a tick).
        warning(object Crossing): a warning line was just crossed (once per crossing).
        history_loaded(object dict[str, list[Sample]]): the samples :meth:`load_history` asked for.
        refreshing(bool): a ``usage-limits`` refresh started (True) or ended (False).
        sampled(): a refresh's samples were stored (the chart may reload).
        options_changed(): the interval or a warning line changed (to be saved in settings).
    """

    changed = Signal(object)
    warning = Signal(object)
    history_loaded = Signal(object)
    refreshing = Signal(bool)
    sampled = Signal()
    options_changed = Signal()

    def __init__(
        self,
        history: UsageHistory | None = None,
        *,
        clock: Callable[[], float] = time.time,
        interval_s: float = DEFAULT_INTERVAL_S,
        tick_ms: int = 1000,
        watch: ThresholdWatch | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._history = history
        self._clock = clock
        self._watch = watch or ThresholdWatch()
        self._profile = ""
        self._client: SimClient | None = None
        self._budget: RequestBudget | None = None
        self._unsubscribe: list[Callable[[], None]] = []
        self._states: dict[str, RateLimitState] = {}  # the best report per bucket (see merge)
        self._usage: UsageLimits | None = None
        self._billing: BillingStatus | None = None
        self._refreshed_at: float | None = None
        self._error: str | None = None
        self._refilled_at: float | None = None  # the refill we already refreshed after
        self._paused: set[str] = set()
        self._tasks = TaskSet(lambda exc: log.error("usage task failed", exc_info=exc))
        self._refresh_task: asyncio.Future[Any] | None = None
        self.state = MeterState(profile="", now=clock())
        self.started_at = clock()  # "this session" in the history chart

        self._timer = QTimer(self)
        self._timer.timeout.connect(self.refresh)
        self.set_interval(interval_s)
        self._ticker = QTimer(self)
        self._ticker.setInterval(tick_ms)
        self._ticker.timeout.connect(self._tick)
        self._coalesce = QTimer(self)  # answers arrive in bursts: repaint once per loop turn
        self._coalesce.setSingleShot(True)
        self._coalesce.setInterval(0)
        self._coalesce.timeout.connect(self._recompute)

    # --- profile -------------------------------------------------------------------------

    @property
    def profile(self) -> str:
        return self._profile

    def set_history(self, history: UsageHistory) -> None:
        """Keep samples in ``history`` from now on (opened after start-up, off the GUI thread)."""
        self._history = history
        if self._profile:
            self._watch.crossed |= history.crossed(self._profile)

    @property
    def interval_s(self) -> float:
        return self._timer.interval() / 1000

    def attach(self, profile: str, client: SimClient, budget: RequestBudget | None = None) -> None:
        """Follow ``client`` (the active profile's) and refresh now."""
        self.detach()
        self._profile, self._client = profile, client
        self._budget = budget if budget is not None else client.budget
        self._states = {}
        for state in client.rate_limits.snapshot().values():
            self._take(state)
        self._unsubscribe.append(client.rate_limits.subscribe(self._take))
        if self._budget is not None:
            self._unsubscribe.append(self._budget.subscribe(self._dirty))
        if self._history is not None:
            self._watch.crossed = self._history.crossed(profile)
        self._ticker.start()
        self._schedule()
        self._recompute()
        self.refresh()

    def detach(self) -> None:
        """Stop following the current profile (it was switched away from or removed)."""
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        if self._refresh_task is not None:
            self._refresh_task.cancel()
        self._client = self._budget = None
        self._usage = self._billing = self._refreshed_at = self._error = self._refilled_at = None
        self._timer.stop()
        self._ticker.stop()
        self._profile = ""
        self.state = MeterState(profile="", now=self._clock())
        self.changed.emit(self.state)

    # --- refresh schedule ----------------------------------------------------------------

    def set_interval(self, seconds: float) -> None:
        """Refresh every ``seconds`` (at least :data:`MIN_INTERVAL_S`)."""
        interval = round(max(MIN_INTERVAL_S, seconds) * 1000)
        if interval != self._timer.interval():
            self._timer.setInterval(interval)
            self.options_changed.emit()

    @property
    def watch(self) -> ThresholdWatch:
        """The warning lines (read them; change them with :meth:`set_thresholds`)."""
        return self._watch

    def set_thresholds(self, *, spend_levels: tuple[float, ...] | None = None, bucket_low: float | None = None) -> None:
        """Change the warning lines; lines already crossed stay crossed."""
        if spend_levels is not None:
            self._watch.spend_levels = tuple(sorted(set(spend_levels)))
        if bucket_low is not None:
            self._watch.bucket_low = bucket_low
        self.options_changed.emit()
        self._recompute()

    def set_paused(self, reason: str, paused: bool) -> None:
        """Hold the periodic refresh while any reason holds ("minimised", "idle", …); resuming
        refreshes at once, since the numbers are stale."""
        was = bool(self._paused)
        if paused:
            self._paused.add(reason)
        else:
            self._paused.discard(reason)
        self._schedule()
        if was and not self._paused and self._client is not None:
            self.refresh()

    @property
    def paused(self) -> bool:
        return bool(self._paused)

    def _schedule(self) -> None:
        if self._client is not None and not self._paused:
            if not self._timer.isActive():
                self._timer.start()
        else:
            self._timer.stop()

    def try_now(self) -> None:
        """End the profile's ``Retry-After`` pause now: the user would rather try than wait."""
        if self._budget is not None:
            self._budget.resume()  # the budget tells its listeners, so the meter repaints

    def refresh(self) -> None:
        """Ask ``usage-limits`` (and v2 billing status) now; a refresh already running is kept."""
        if self._client is None or (self._refresh_task is not None and not self._refresh_task.done()):
            return
        self._refresh_task = self._spawn(self._refresh(self._client, self._profile))

    async def _refresh(self, client: SimClient, profile: str) -> None:
        from simdesk.api import SimError, user_message

        self.refreshing.emit(True)
        try:
            with working_at(Priority.BACKGROUND):
                usage = await client.get_usage_limits()
                billing = await self._billing_status(client)
        except SimError as exc:
            if profile == self._profile:
                self._error = user_message(exc)
                log.info("usage refresh of %s failed: %r", profile, exc)
                self._recompute()
            return
        finally:
            self.refreshing.emit(False)
        if profile != self._profile:
            return  # switched away while waiting
        self._usage, self._billing, self._error = usage, billing, None
        self._refreshed_at = self._clock()
        self._recompute()
        self._spawn(self._sample(self.state))

    async def _billing_status(self, client: SimClient) -> BillingStatus | None:
        from simdesk.api import FeatureUnavailableError, SimError

        if client.surface == "legacy":
            return None
        try:
            return await client.get_billing_status()
        except FeatureUnavailableError:
            return None
        except SimError as exc:  # billing is extra: its failure must not hide the limits
            log.info("billing status failed: %r", exc)
            return self._billing

    # --- state ---------------------------------------------------------------------------

    def _take(self, state: RateLimitState) -> None:
        """A report from the client (an answer's headers, usage-limits, a refusal)."""
        self._states[state.bucket] = merge(self._states.get(state.bucket), state)
        self._dirty()

    def _dirty(self) -> None:
        if not self._coalesce.isActive():
            self._coalesce.start()

    def _tick(self) -> None:
        self._recompute()
        due = self._refill_due(self.state.now)
        if due is not None and due != self._refilled_at:
            self._refilled_at = due
            self.refresh()

    def _refill_due(self, now: float) -> float | None:
        """A reported refill of a not-full execution bucket that passed since the last refresh:
        then ``usage-limits`` (cheap, unmetered) tells the real numbers."""
        usage, last = self._usage, self._refreshed_at
        if usage is None or last is None:
            return None
        for limit in (usage.sync, usage.async_):
            if limit is None or limit.reset_at is None or limit.remaining is None or limit.max_burst is None:
                continue
            at = limit.reset_at.timestamp()
            if limit.remaining < limit.max_burst and last < at <= now - REFILL_GRACE_S:
                return at
        return None

    def _recompute(self) -> None:
        client = self._client
        if client is None:
            return
        self.state = build_state(
            self._profile,
            self._clock(),
            self._states.values(),
            usage=self._usage,
            billing=self._billing,
            budget=self._budget.snapshot() if self._budget is not None else None,
            refreshed_at=self._refreshed_at,
            error=self._error,
        )
        self._check(self.state)
        self.changed.emit(self.state)

    def _check(self, state: MeterState) -> None:
        before = set(self._watch.crossed)
        fired = self._watch.check(state)
        for crossing in fired:
            log.info("usage warning for %s: %s", state.profile, crossing.text)
            self.warning.emit(crossing)
        if self._history is not None and self._watch.crossed != before:
            self._spawn(run_blocking(self._history.set_crossed, state.profile, set(self._watch.crossed)))

    # --- history -------------------------------------------------------------------------

    async def _sample(self, state: MeterState) -> None:
        if self._history is None:
            return
        buckets = [b for b in (state.sync, state.async_, *state.requests.values()) if b is not None]
        samples = [
            Sample(state.profile, state.now, b.name, float(b.remaining), float(b.capacity))
            for b in buckets
            if b.remaining is not None and b.capacity is not None and not b.unlimited
        ]
        usage = state.usage
        if usage is not None and usage.current_period_cost is not None:
            samples.append(Sample(state.profile, state.now, SPEND, usage.current_period_cost, usage.cost_limit))
        await run_blocking(self._history.record, samples)
        self.sampled.emit()

    def load_history(self, seconds: float) -> None:
        """Load the last ``seconds`` of the profile's samples; they arrive by ``history_loaded``."""
        if self._history is None or not self._profile:
            self.history_loaded.emit({})
            return
        history, profile, since = self._history, self._profile, self._clock() - seconds

        async def load() -> None:
            series = await run_blocking(history.series, profile, since)
            if profile == self._profile:
                self.history_loaded.emit(series)

        self._spawn(load())

    # --- tasks ---------------------------------------------------------------------------

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Future[Any]:
        return self._tasks.spawn(coro)

    async def aclose(self) -> None:
        """Stop timers and background work (app shutdown)."""
        self.detach()
        await self._tasks.cancel_all()
