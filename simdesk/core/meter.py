"""What the usage meter shows, computed without Qt from what the server reported.

Sim reports two kinds of limits (sim-api.md §3, §11): the *execution* buckets (sync and async runs,
from ``usage-limits``) and the v2 *request* buckets (one per operation, from ``X-RateLimit-*``
on every v2 answer). Between reports the meter projects a bucket forward the way Sim refills it:
``per_minute`` tokens at each ``reset_at``, stepwise, capped at the burst. So the countdown
reaching zero makes the number jump, before the next report confirms it.

Self-hosted servers often report nothing (no headers; limits of 999 999 when billing is off):
the meter says "no limits reported" or "unlimited" instead of showing zeros.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum

from simdesk.core.budget import WINDOW_S, BudgetSnapshot, format_wait
from simdesk.core.rates import ASYNC_EXECUTIONS, SYNC_EXECUTIONS, RateLimitState
from simdesk.core.usage import BillingStatus, UsageLimits

UNLIMITED = 999_999  # Sim's placeholder for "no limit" (session auth, unlimited rate buckets)
# A self-hosted Sim with billing off reports a spend limit of 99 999 (and 200 000 credits): no
# hosted plan comes near either, so a spend limit this high means "no limit" too.
UNLIMITED_SPEND = 99_999
# Placeholders come as 999 999 per minute or as a burst near it; real plans top out at 5 000/min.
UNLIMITED_RATE = 100_000
UNLIMITED_BURST = 2 * UNLIMITED_RATE
SAME_WINDOW_S = 1.0  # reset stamps closer than this (ISO, ms) name the same window
V2_PREFIX = "v2 "
RUN_REQUESTS = "v2 execute"  # the request bucket every v2 run draws on
OWN_BUCKETS = frozenset({"v2 billing.status"})  # what the meter polls itself: not what the user did


class Level(StrEnum):
    """How worrying a figure is; the UI picks the colour, the words carry the meaning too."""

    OK = "ok"
    LOW = "low"  # under half left, or past the first spend warning
    CRITICAL = "critical"  # nearly empty, or past the last spend warning
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class BucketView:
    """One bucket as the meter shows it at ``now``.

    Attributes:
        name: the bucket name (see :mod:`simdesk.core.rates`).
        label: a short title ("Runs & streams", "Requests · execute").
        capacity: burst size; ``None`` when not reported.
        remaining: tokens left now (projected past refills since the report).
        per_minute: refill per minute.
        reset_at: epoch seconds of the next refill, ``None`` when unknown.
        unlimited: the server reports no real limit (999 999).
        observed_at: when the report this view is based on arrived (epoch seconds).
    """

    name: str
    label: str
    capacity: int | None
    remaining: int | None
    per_minute: int | None
    reset_at: float | None
    unlimited: bool = False
    observed_at: float | None = None

    @property
    def fraction(self) -> float | None:
        """Share of the burst left, in [0, 1]."""
        if self.unlimited or self.capacity is None or self.remaining is None or self.capacity <= 0:
            return None
        return max(0.0, min(1.0, self.remaining / self.capacity))

    def level(self, low: float = 0.5, critical: float = 0.1) -> Level:
        """``CRITICAL`` at or under ``critical`` of the burst, ``LOW`` under ``low``."""
        fraction = self.fraction
        if fraction is None:
            return Level.OK if self.unlimited else Level.UNKNOWN
        if fraction <= critical:
            return Level.CRITICAL
        return Level.LOW if fraction < low else Level.OK

    def seconds_to_reset(self, now: float) -> float | None:
        return None if self.reset_at is None else max(0.0, self.reset_at - now)


@dataclass(frozen=True, slots=True)
class MeterState:
    """Everything the meter panel, the status bar and the tray show for one profile.

    Attributes:
        profile: the profile's name.
        now: the time the projections are for.
        sync, async_: the execution buckets (``None`` until ``usage-limits`` answered).
        request: the v2 request bucket with the least left (the latest answer's among equals);
            ``None`` when none was seen.
        requests: every v2 request bucket seen, by name.
        headers_seen: whether any answer carried ``X-RateLimit-*``.
        usage: the latest ``usage-limits`` answer.
        billing: the latest v2 billing status (``None`` on legacy servers).
        budget: the request budget's snapshot (waiting requests, predictions).
        refreshed_at: when ``usage-limits`` last answered (epoch seconds).
        error: why the last refresh failed, for the user.
    """

    profile: str
    now: float
    sync: BucketView | None = None
    async_: BucketView | None = None
    request: BucketView | None = None
    requests: Mapping[str, BucketView] = field(default_factory=dict)
    headers_seen: bool = False
    usage: UsageLimits | None = None
    billing: BillingStatus | None = None
    budget: BudgetSnapshot | None = None
    refreshed_at: float | None = None
    error: str | None = None

    @property
    def reported(self) -> bool:
        """Whether the server reported any limit at all."""
        return any(b is not None for b in (self.sync, self.async_, self.request))

    @property
    def buckets(self) -> tuple[BucketView, ...]:
        """The buckets shown, in panel order."""
        return tuple(b for b in (self.sync, self.async_, self.request) if b is not None)

    @property
    def spend_unlimited(self) -> bool:
        limit = self.usage.cost_limit if self.usage else None
        return limit is not None and limit >= UNLIMITED_SPEND

    @property
    def spend_fraction(self) -> float | None:
        """Spend this period over its limit (may exceed 1)."""
        if self.usage is None or self.usage.current_period_cost is None or not self.usage.cost_limit:
            return None
        if self.spend_unlimited:
            return None
        return self.usage.current_period_cost / self.usage.cost_limit

    def tightest(self) -> BucketView | None:
        """The bucket with the smallest share left (what one status-bar figure should show)."""
        known = [b for b in self.buckets if b.fraction is not None]
        return min(known, key=lambda b: (b.fraction or 0.0, b.reset_at or math.inf), default=None)

    def next_reset(self) -> float | None:
        """The earliest refill of a bucket that is not full."""
        times = [
            b.reset_at
            for b in self.buckets
            if b.reset_at is not None and b.capacity is not None and (b.remaining or 0) < b.capacity
        ]
        return min(times, default=None)


def bucket_label(name: str) -> str:
    """A short title for a bucket name."""
    if name == SYNC_EXECUTIONS:
        return "Runs & streams"  # Sim counts "Run" and "Stream" in one bucket
    if name == ASYNC_EXECUTIONS:
        return "Background runs"
    if name.startswith(V2_PREFIX):
        return f"Requests · {name[len(V2_PREFIX) :]}"
    return name


def merge(old: RateLimitState | None, new: RateLimitState) -> RateLimitState:
    """The better of two reports of one bucket. Answers arrive out of order, but within one
    window the server's count only goes down: the same window keeps the lowest ``remaining``, a
    later window replaces, an earlier one (a late answer) is ignored. Fields a report lacks
    (a refusal has no capacity) are kept from the other."""
    if old is None:
        return new
    filled = replace(
        new,
        limit=new.limit if new.limit is not None else old.limit,
        per_minute=new.per_minute if new.per_minute is not None else old.per_minute,
    )
    if old.reset_at is None or new.reset_at is None or old.remaining is None or new.remaining is None:
        return filled
    gap = (new.reset_at - old.reset_at).total_seconds()
    if gap < -SAME_WINDOW_S:
        return old
    if gap <= SAME_WINDOW_S and old.remaining < new.remaining:
        return replace(filled, remaining=old.remaining)
    return filled


def project(state: RateLimitState, now: float) -> BucketView:
    """``state`` as it stands at ``now``: refills since the report applied, stepwise and capped."""
    capacity, remaining, rate = state.limit, state.remaining, state.per_minute
    if rate is None and capacity:
        rate = capacity // 2  # Sim's burst is twice the per-minute rate
    reset = state.reset_at.timestamp() if state.reset_at is not None else None
    if reset is None and state.remaining == 0 and state.retry_after is not None:
        reset = state.observed_at + state.retry_after
    unlimited = (capacity is not None and capacity >= UNLIMITED_BURST) or (rate is not None and rate >= UNLIMITED_RATE)
    if reset is not None and now >= reset and remaining is not None and rate:
        windows = 1 + math.floor((now - reset) / WINDOW_S)
        top = capacity if capacity is not None else remaining + windows * rate
        remaining = min(top, remaining + windows * rate)
        reset += windows * WINDOW_S
    return BucketView(
        name=state.bucket,
        label=bucket_label(state.bucket),
        capacity=capacity,
        remaining=remaining,
        per_minute=rate,
        reset_at=reset,
        unlimited=unlimited,
        observed_at=state.observed_at,
    )


def build_state(
    profile: str,
    now: float,
    states: Iterable[RateLimitState],
    *,
    usage: UsageLimits | None = None,
    billing: BillingStatus | None = None,
    budget: BudgetSnapshot | None = None,
    refreshed_at: float | None = None,
    error: str | None = None,
) -> MeterState:
    """The meter's view of one profile from the latest reports."""
    by_name = {s.bucket: s for s in states}
    requests = {n: project(s, now) for n, s in by_name.items() if n.startswith(V2_PREFIX) and s.limit is not None}
    seen = [s for n, s in by_name.items() if n in requests]

    # The request bucket that limits the person now: the emptiest (as projected to now), then one
    # their own work touched (not the meter's billing poll), then the latest answer's.
    def limiting(s: RateLimitState) -> tuple[float, bool, float]:
        fraction = requests[s.bucket].fraction
        return (fraction if fraction is not None else 1.0, s.bucket in OWN_BUCKETS, -s.observed_at)

    latest = min(seen, key=limiting, default=None)
    sync = by_name.get(SYNC_EXECUTIONS)
    async_ = by_name.get(ASYNC_EXECUTIONS)
    return MeterState(
        profile=profile,
        now=now,
        sync=_spent(project(sync, now), budget) if sync is not None else None,
        async_=_spent(project(async_, now), budget) if async_ is not None else None,
        request=requests[latest.bucket] if latest is not None else None,
        requests=requests,
        headers_seen=bool(requests),
        usage=usage,
        billing=billing,
        budget=budget,
        refreshed_at=refreshed_at,
        error=error,
    )


def _spent(view: BucketView, budget: BudgetSnapshot | None) -> BucketView:
    """The execution buckets are reported by ``usage-limits`` (once a minute), not by a run's
    answer; the budget counts each run it let through since. So the meter moves with every run."""
    estimate = budget.buckets.get(view.name) if budget is not None else None
    if estimate is None or estimate.remaining is None or view.remaining is None or view.unlimited:
        return view
    return replace(view, remaining=min(view.remaining, estimate.remaining))


def summary(state: MeterState) -> tuple[str, Level, str]:
    """The status-bar text, its level and a longer tooltip (also the tray's tooltip).

    E.g. ``("Runs & streams 12/100 · refill 0:42", Level.LOW, "…")``.
    """
    lines = [f"Profile {state.profile}"]
    for b in state.buckets:
        lines.append(describe_bucket(b, state.now))
    if state.spend_fraction is not None and state.usage is not None:
        lines.append(f"Spend {money(state.usage.current_period_cost)} of {money(state.usage.cost_limit)}")
    if state.budget is not None and state.budget.waiting:
        lines.append(state.budget.describe())
    tight = state.tightest()
    if tight is None:
        text = "Limits: unlimited" if any(b.unlimited for b in state.buckets) else "Limits: none reported"
        return text, Level.OK if any(b.unlimited for b in state.buckets) else Level.UNKNOWN, "\n".join(lines)
    text = f"{tight.label} {tight.remaining}/{tight.capacity}"
    wait = tight.seconds_to_reset(state.now)
    if wait is not None and (tight.remaining or 0) < (tight.capacity or 0):
        text += f" · refill {clock_text(wait)}"
    if state.budget is not None and state.budget.waiting:
        text += f" · {state.budget.waiting} waiting"
    return text, tight.level(), "\n".join(lines)


def describe_bucket(b: BucketView, now: float) -> str:
    """One line about a bucket, for tooltips and screen readers."""
    if b.unlimited:
        return f"{b.label}: unlimited"
    if b.remaining is None or b.capacity is None:
        return f"{b.label}: not reported"
    text = f"{b.label}: {b.remaining} of {b.capacity} left"
    if b.per_minute:
        text += f", {b.per_minute}/min"
    wait = b.seconds_to_reset(now)
    if wait is not None and b.remaining < b.capacity:
        text += f", refill in {format_wait(wait)}"
    return text


def clock_text(seconds: float) -> str:
    """A countdown as ``m:ss`` (``h:mm:ss`` past an hour)."""
    whole = math.ceil(max(0.0, seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def money(value: float | None) -> str:
    """US dollars as Sim bills them, the one format for every cost and spend in the app: cents
    from a dollar up, three decimals under a dollar, four under a cent (a run often costs less)."""
    if value is None:
        return "—"
    if value >= UNLIMITED:
        return "unlimited"
    if value >= 1 or value == 0:
        return f"${value:,.2f}"
    return f"${value:.3f}" if value >= 0.01 else f"${value:.4f}"


def size_text(n: int | None) -> str:
    """Bytes in binary units: "1.0 MiB", "5 GiB"."""
    if n is None:
        return "—"
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" or value >= 100 else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"  # pragma: no cover - the loop always returns
