"""One request budget per profile: every request of the app asks it first, so none meets a 429.

Sim meters requests in token buckets (sim-api.md §3.1): a bucket starts full with
``capacity = 2 × per_minute``, each request takes one token, and ``per_minute`` tokens come back
*stepwise*, once per 60 s window, at ``reset_at``. :class:`RequestBudget` keeps a local model of
each bucket, fed by what the server reports (:meth:`RequestBudget.observe`: response headers and
``usage-limits``), and decrements it itself as it admits requests, so a burst cannot overshoot
before the headers of its first answers are back.

Rules, in order:

* While a ``Retry-After`` pause runs (:meth:`RequestBudget.pause_for`, after any 429/503), nothing
  is sent on the whole profile.
* Waiting requests go in rank order: user work (:attr:`Priority.USER`) before background work,
  then first come first served. A request never overtakes a higher-ranked one waiting on a bucket
  it also needs.
* Background work leaves ``background_reserve × capacity`` tokens of every bucket to the user.
* A bucket never seen before is *probed*: one request goes, the rest wait for its answer. If the
  answer reports the bucket, it is metered from then on; if not (self-hosted servers, legacy
  routes), it admits freely. So even the first burst on a new bucket cannot overshoot.

Only one timer sleeps at a time (the wake-up at the next refill or the end of a pause), so an
injected ``sleep`` that moves a virtual clock moves it once, not once per waiter.

Which priority the current task works at is kept in a context variable: wrap background work in
``with working_at(Priority.BACKGROUND):`` and every request it makes through a budgeted client
waits behind the user's.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import math
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from enum import IntEnum
from types import MappingProxyType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from simdesk.core.rates import RateLimitState

log = logging.getLogger("simdesk.core.budget")

WINDOW_S = 60.0  # Sim refills once per minute (sim-api.md §3.1)
IDLE_EXPIRY_S = 120.0  # an unused bucket is forgotten: full again, new window on next use
STALE_TOLERANCE_S = 1.0  # reset stamps are ISO with ms: closer than this is "the same window"
INFLIGHT_TTL_S = 30.0  # an admitted request never settled stops counting as in flight after this
UNMETERED = "unmetered"  # the bucket name for requests no bucket meters (legacy routes, health)
EXECUTION_PREFIX = "execution "  # "execution sync" / "execution async" (simdesk.core.rates)


class Priority(IntEnum):
    """Who is waiting: the user (a run they started) or the app (polling, refreshes)."""

    USER = 0
    BACKGROUND = 1
    BATCH = 2  # a batch of runs: behind the person and behind the app's own polling


_priority: ContextVar[Priority] = ContextVar("simdesk_request_priority", default=Priority.USER)


def current_priority() -> Priority:
    """The priority requests made by the current task are admitted at."""
    return _priority.get()


@contextlib.contextmanager
def working_at(priority: Priority) -> Iterator[None]:
    """Make requests in this block (and tasks started in it) wait at ``priority``."""
    token = _priority.set(priority)
    try:
        yield
    finally:
        _priority.reset(token)


@dataclass(frozen=True, slots=True)
class BucketEstimate:
    """The budget's view of one bucket.

    Attributes:
        bucket: the bucket name (see :mod:`simdesk.core.rates`).
        capacity: burst size, ``None`` when never reported.
        remaining: tokens the budget believes are left for new requests (reported remaining
            minus requests admitted since), ``None`` when unknown.
        per_minute: tokens added at each refill.
        reset_at: epoch seconds of the next refill, ``None`` when unknown.
        in_flight: requests admitted whose answer has not come back yet.
        metered: True once the server reported the bucket, False when answers came back without
            a report (it admits freely), ``None`` before the first answer.
    """

    bucket: str
    capacity: int | None
    remaining: int | None
    per_minute: int | None
    reset_at: float | None
    in_flight: int = 0
    metered: bool | None = None

    @property
    def fraction_left(self) -> float | None:
        """``remaining / capacity`` in [0, 1], or ``None`` when either is unknown."""
        if self.capacity is None or self.remaining is None or self.capacity <= 0:
            return None
        return max(0.0, min(1.0, self.remaining / self.capacity))


@dataclass(frozen=True, slots=True)
class BudgetSnapshot:
    """What the UI shows about the budget at one moment.

    Attributes:
        now: the budget clock's time when the snapshot was taken.
        waiting_user, waiting_background: requests waiting to be admitted.
        waiting_runs: how many of them start a run (they draw on an execution bucket).
        in_flight: requests admitted and not yet settled (answered or failed).
        paused_until: end of the current ``Retry-After`` pause (epoch s), or ``None``.
        pause_reason: why the profile is paused (e.g. "rate limited", "server busy").
        next_admission_at: when the first waiting request is predicted to go (epoch s), or
            ``None`` when nothing waits or it cannot be predicted.
        last_admission_at: when the last waiting request is predicted to go.
        buckets: the per-bucket estimates, by name.
    """

    now: float
    waiting_user: int
    waiting_background: int
    in_flight: int
    waiting_runs: int
    paused_until: float | None
    pause_reason: str | None
    next_admission_at: float | None
    last_admission_at: float | None
    buckets: Mapping[str, BucketEstimate]

    @property
    def waiting(self) -> int:
        """All waiting requests."""
        return self.waiting_user + self.waiting_background

    @property
    def paused(self) -> bool:
        """True while a ``Retry-After`` pause runs."""
        return self.paused_until is not None and self.paused_until > self.now

    def describe(self, noun: str | None = None) -> str:
        """A sentence for the UI, e.g. "3 runs waiting, next in 12 s" ("" when none wait).

        Without ``noun``, what waits is named: runs (requests that spend an execution token),
        other requests (polls, refreshes), or both.
        """
        if not self.waiting:
            return ""
        others = self.waiting - self.waiting_runs
        if noun is not None:
            text = _count(self.waiting, noun)
        elif self.waiting_runs and others:
            text = f"{_count(self.waiting_runs, 'run')} and {_count(others, 'request')}"
        else:
            text = _count(self.waiting_runs, "run") if self.waiting_runs else _count(others, "request")
        text += " waiting"
        if self.next_admission_at is not None:
            text += f", next in {format_wait(self.next_admission_at - self.now)}"
        if self.paused and self.pause_reason:
            text += f" ({self.pause_reason})"
        return text


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def format_wait(seconds: float) -> str:
    """A short human duration: "now", "12 s", "3 min 5 s", "2 h 4 min"."""
    whole = math.ceil(max(0.0, seconds))
    if whole <= 0:
        return "now"
    if whole < 60:
        return f"{whole} s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


@dataclass(slots=True)
class _Model:
    """Mutable local model of one bucket (see :class:`BucketEstimate` for the fields)."""

    capacity: int | None = None
    per_minute: int | None = None
    tokens: int | None = None
    reset_at: float | None = None
    last_used: float | None = None
    admitted: deque[float] = field(default_factory=deque)  # admission times still in flight
    metered: bool | None = None  # None: never answered yet (probe with one request at a time)

    def copy(self) -> _Model:
        return replace(self, admitted=deque(self.admitted))

    @property
    def rate(self) -> int | None:
        if self.per_minute:
            return self.per_minute
        return self.capacity // 2 if self.capacity else None

    def refresh(self, now: float, margin: float) -> None:
        """Apply the refills (and idle expiry) due by ``now``."""
        while self.admitted and now - self.admitted[0] > INFLIGHT_TTL_S:
            self.admitted.popleft()
        if self.tokens is None:
            return
        if self.capacity is not None and self.last_used is not None and now - self.last_used >= IDLE_EXPIRY_S:
            # Sim forgets a bucket unused for 2 min: full again, its window restarts on next use
            self.tokens, self.reset_at, self.last_used = self.capacity, None, None
            return
        if self.reset_at is None or now < self.reset_at + margin:
            return
        windows = 1 + math.floor((now - self.reset_at) / WINDOW_S)
        rate = self.rate
        if rate is None:  # an empty bucket of unknown size: after its wait, we know nothing
            self.tokens, self.reset_at = None, None
            return
        top = self.capacity if self.capacity is not None else self.tokens + windows * rate
        self.tokens = min(top, self.tokens + windows * rate)
        self.reset_at += windows * WINDOW_S

    def floor(self, priority: Priority, reserve: float) -> int:
        """Tokens that must stay in the bucket after a request at ``priority`` takes one."""
        if priority is not Priority.USER and self.capacity:
            return math.ceil(reserve * self.capacity)
        return 0

    def can_take(self, priority: Priority, reserve: float) -> bool:
        if self.tokens is None:
            return self.metered is not None or not self.admitted  # a new bucket: one probe at a time
        return self.tokens - 1 >= self.floor(priority, reserve)

    def take(self, now: float) -> None:
        if self.tokens is not None:
            self.tokens -= 1
            if self.reset_at is None:
                self.reset_at = now + WINDOW_S  # Sim's window starts at a bucket's first use
        self.last_used = now
        self.admitted.append(now)

    def next_refill(self, margin: float) -> float | None:
        return None if self.reset_at is None else self.reset_at + margin

    def estimate(self, name: str) -> BucketEstimate:
        return BucketEstimate(
            name, self.capacity, self.tokens, self.rate, self.reset_at, len(self.admitted), self.metered
        )


@dataclass(eq=False)
class _Ticket:
    """One waiting :meth:`RequestBudget.admit` call."""

    priority: Priority
    seq: int
    buckets: tuple[str, ...]
    future: asyncio.Future[None]

    @property
    def rank(self) -> tuple[int, int]:
        return (int(self.priority), self.seq)


class RequestBudget:
    """The request budget of one profile (Qt-free; runs on the asyncio loop that calls ``admit``).

    ``observe`` and ``pause_for`` may be called from any thread; ``admit`` only from the loop.

    Args:
        clock: epoch seconds now (tests pass a virtual clock).
        sleep: waits a number of seconds of that clock (tests pass a virtual sleep).
        background_reserve: share of each bucket's capacity background work leaves to the user.
        refill_margin: seconds to wait past a reported refill before counting on it (our clock
            and the server's are not the same clock).
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        background_reserve: float = 0.2,
        refill_margin: float = 0.25,
    ) -> None:
        if not 0.0 <= background_reserve < 1.0:
            raise ValueError("background_reserve must be in [0, 1)")
        self._clock = clock
        self._sleep = sleep
        self._reserve = background_reserve
        self._margin = max(0.0, refill_margin)
        self._models: dict[str, _Model] = {UNMETERED: _Model(metered=False)}
        self._tickets: list[_Ticket] = []
        self._seq = itertools.count()
        self._paused_until: float | None = None
        self._pause_reason: str | None = None
        self._lock = threading.RLock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timer: asyncio.Task[None] | None = None
        self._timer_at: float | None = None
        self._listeners: list[Callable[[], None]] = []
        self._flying: deque[float] = deque()  # admission times of requests not settled yet

    # --- the public interface ------------------------------------------------------------

    async def admit(self, bucket: str, priority: Priority | None = None, *, also: Sequence[str] = ()) -> None:
        """Wait until a request drawing on ``bucket`` (and every bucket in ``also``) may go.

        ``priority`` defaults to :func:`current_priority`. On return one token of each bucket is
        counted as spent. Cancelling the wait gives the place in line up.
        """
        self._loop = asyncio.get_running_loop()
        names = tuple(dict.fromkeys((bucket, *also)))
        ticket = _Ticket(
            priority if priority is not None else current_priority(),
            next(self._seq),
            names,
            self._loop.create_future(),
        )
        with self._lock:
            self._tickets.append(ticket)
            self._tickets.sort(key=lambda t: t.rank)
        self._pump()
        try:
            await ticket.future
        except asyncio.CancelledError:
            with self._lock:
                if ticket in self._tickets:
                    self._tickets.remove(ticket)
                elif ticket.future.done() and not ticket.future.cancelled():
                    self._give_back(ticket)
            self._pump()
            raise

    def observe(self, state: RateLimitState) -> None:
        """Take in what the server reported about one bucket (a response's headers, a refusal,
        or an execution bucket from ``usage-limits``)."""
        with self._lock:
            model = self._models.setdefault(state.bucket, _Model())
            model.metered = True
            self._merge(model, state)
        self._wake()

    def pause_for(self, seconds: float, reason: str) -> None:
        """Hold every request of the profile for ``seconds`` (a 429's or 503's ``Retry-After``)."""
        with self._lock:
            until = self._clock() + max(0.0, seconds)
            if self._paused_until is None or until > self._paused_until:
                self._paused_until, self._pause_reason = until, reason
                log.info("pausing requests for %.1f s: %s", seconds, reason)
        self._wake()

    def resume(self) -> None:
        """End a ``Retry-After`` pause now (the user chose to try again); waiting requests go."""
        with self._lock:
            if self._paused_until is not None:
                log.info("pause ended early by the user")
            self._paused_until = self._pause_reason = None
        self._wake()

    def snapshot(self) -> BudgetSnapshot:
        """The state of the budget and its predictions, frozen."""
        with self._lock:
            now = self._clock()
            for model in self._models.values():
                model.refresh(now, self._margin)
            while self._flying and now - self._flying[0] > INFLIGHT_TTL_S:
                self._flying.popleft()
            times = self._predict(now)
            finite = [t for t in times if math.isfinite(t)]
            paused = self._paused_until if self._paused_until is not None and self._paused_until > now else None
            return BudgetSnapshot(
                now=now,
                waiting_user=sum(1 for t in self._tickets if t.priority is Priority.USER),
                waiting_background=sum(1 for t in self._tickets if t.priority is not Priority.USER),
                in_flight=len(self._flying),
                waiting_runs=sum(1 for t in self._tickets if any(b.startswith(EXECUTION_PREFIX) for b in t.buckets)),
                paused_until=paused,
                pause_reason=self._pause_reason if paused is not None else None,
                next_admission_at=min(finite) if finite else None,
                last_admission_at=max(finite) if finite and len(finite) == len(times) else None,
                buckets=MappingProxyType({n: m.estimate(n) for n, m in self._models.items()}),
            )

    # --- extras for the client hook and the meter ----------------------------------------

    def settle(self, *buckets: str) -> None:
        """A request admitted on ``buckets`` is over (answered or failed): no longer in flight."""
        probed = False
        with self._lock:
            if self._flying:
                self._flying.popleft()
            for name in buckets:
                model = self._models.get(name)
                if model is not None and model.admitted:
                    model.admitted.popleft()
                if model is not None and model.metered is None:
                    model.metered, probed = False, True  # answered without reporting the bucket
        if probed:
            self._wake()

    def refund(self, *buckets: str) -> None:
        """Give back the tokens of a request the server did not meter on ``buckets`` (it was
        never sent, or refused before that bucket was checked, e.g. a 401 or v2's gate 404)."""
        with self._lock:
            for name in buckets:
                model = self._models.get(name)
                if model is not None and model.tokens is not None:
                    top = model.capacity if model.capacity is not None else model.tokens + 1
                    model.tokens = min(top, model.tokens + 1)
        self._wake()

    def subscribe(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call ``listener()`` (on the budget's loop) whenever the budget changes; returns an
        unsubscribe function. The meter uses it to repaint without polling."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    def forget(self) -> None:
        """Drop every bucket model and the pause (the profile's server or key changed)."""
        with self._lock:
            self._models = {UNMETERED: _Model(metered=False)}
            self._paused_until = self._pause_reason = None
        self._wake()

    # --- internals -----------------------------------------------------------------------

    def _merge(self, model: _Model, state: RateLimitState) -> None:
        now = self._clock()
        model.refresh(now, self._margin)
        if state.limit is not None and state.limit > 0:
            model.capacity = state.limit
        if state.per_minute:
            model.per_minute = state.per_minute
        reported_reset = state.reset_at.timestamp() if state.reset_at is not None else None
        if reported_reset is None and state.remaining == 0:
            # A refusal that names no refill time (execution bucket 429s): it is heard as it
            # happens, so count from our clock; without a Retry-After, a refill comes within a
            # window at the latest.
            reported_reset = now + (state.retry_after if state.retry_after is not None else WINDOW_S)
        if state.remaining is None:
            return
        # Requests we admitted may not be counted in ``remaining`` yet. A header answers one of
        # them (so the others are in doubt); a usage-limits report (it carries ``per_minute``)
        # answers none of them.
        ours = 0 if state.per_minute else 1
        others = max(0, len(model.admitted) - ours)
        fresh = max(0, state.remaining - others)
        known = model.reset_at
        if model.tokens is None or known is None or reported_reset is None:
            model.tokens = fresh if model.tokens is None else min(model.tokens, fresh)
            if reported_reset is not None:
                model.reset_at = reported_reset
        elif reported_reset < known - STALE_TOLERANCE_S:
            return  # an answer from before a refill we already counted
        elif reported_reset > known + STALE_TOLERANCE_S:
            model.tokens, model.reset_at = fresh, reported_reset  # the server's window moved on
        else:
            model.tokens = min(model.tokens, fresh)  # same window: never believe more than we spent
        if model.capacity is not None:
            model.tokens = min(model.tokens, model.capacity)
        model.last_used = model.last_used if model.last_used is not None else now

    def _give_back(self, ticket: _Ticket) -> None:
        """A ticket admitted but cancelled before it ran: return its tokens."""
        if self._flying:
            self._flying.pop()
        for name in ticket.buckets:
            model = self._models.get(name)
            if model is not None:
                if model.tokens is not None:
                    model.tokens += 1
                if model.admitted:
                    model.admitted.pop()

    def _wake(self) -> None:
        """Re-run admission on the budget's loop (from any thread)."""
        loop = self._loop
        if loop is None or loop.is_closed():
            self._notify()
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._pump()
        else:
            loop.call_soon_threadsafe(self._pump)

    def _paused(self, now: float) -> bool:
        return self._paused_until is not None and now < self._paused_until

    def _pump(self) -> None:
        """Admit every ticket that may go now, then arm the timer for the next one."""
        with self._lock:
            now = self._clock()
            for model in self._models.values():
                model.refresh(now, self._margin)
            if not self._paused(now):
                self._paused_until = self._pause_reason = None
                claimed: set[str] = set()
                for ticket in list(self._tickets):
                    if ticket.future.done():  # cancelled while queued
                        self._tickets.remove(ticket)
                        continue
                    if claimed.intersection(ticket.buckets):
                        claimed.update(ticket.buckets)
                        continue
                    models = [self._models.setdefault(n, _Model()) for n in ticket.buckets]
                    if all(m.can_take(ticket.priority, self._reserve) for m in models):
                        for m in models:
                            m.take(now)  # unknown buckets too: they count what is in flight
                        self._flying.append(now)
                        self._tickets.remove(ticket)
                        ticket.future.set_result(None)
                    else:
                        claimed.update(ticket.buckets)
            self._arm(self._next_event(now), now)
        self._notify()

    def _arm(self, when: float | None, now: float) -> None:
        """Keep exactly one timer, set for ``when`` (or none)."""
        if when is None or not math.isfinite(when):
            if self._timer is not None and not self._tickets:
                self._timer.cancel()
                self._timer = self._timer_at = None
            return
        if self._timer is not None and not self._timer.done():
            if self._timer_at is not None and self._timer_at <= when:
                return  # an earlier (or the same) wake-up is already set; it re-arms then
            self._timer.cancel()
        loop = self._loop
        if loop is None:
            return
        self._timer_at = when
        self._timer = loop.create_task(self._tick(max(when - now, 0.0)))

    async def _tick(self, delay: float) -> None:
        await self._sleep(delay)
        with self._lock:
            self._timer = self._timer_at = None
        self._pump()

    def _next_event(self, now: float) -> float | None:
        """When admission can next change by itself: the pause's end or a refill a waiting
        request needs (answers and settles wake the budget on their own)."""
        if not self._tickets:
            return None
        if self._paused(now):
            return self._paused_until
        needed = {name for ticket in self._tickets for name in ticket.buckets}
        refills = [
            r for name in needed if (m := self._models.get(name)) is not None and (r := m.next_refill(self._margin))
        ]
        return min(refills, default=None)

    def _predict(self, now: float) -> list[float]:
        """When each waiting ticket (in rank order) is expected to go; ``inf`` if never."""
        models = {n: m.copy() for n, m in self._models.items()}
        start = self._paused_until if self._paused(now) and self._paused_until is not None else now
        free_at: dict[str, float] = {}
        times: list[float] = []
        for ticket in self._tickets:
            if ticket.future.done():
                continue
            at = max([start, *(free_at.get(n, start) for n in ticket.buckets)])
            mine = [models[n] for n in ticket.buckets if n in models]
            for _ in range(10_000):  # refill steps; bounded so a malformed model cannot spin
                for m in mine:
                    m.refresh(at, self._margin)
                short = [m for m in mine if not m.can_take(ticket.priority, self._reserve)]
                if not short:
                    break
                refills = [r for m in short if (r := m.next_refill(self._margin)) is not None]
                if not refills:
                    at = math.inf
                    break
                at = max(at, min(refills))
            if not math.isfinite(at):
                times.append(at)
                for n in ticket.buckets:
                    free_at[n] = at
                continue
            for m in mine:
                m.take(at)
            for n in ticket.buckets:
                free_at[n] = at
            times.append(at)
        return times

    def _notify(self) -> None:
        for listener in list(self._listeners):
            try:
                listener()
            except Exception:
                log.exception("budget listener %r failed", listener)
