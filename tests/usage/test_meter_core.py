"""The meter's Qt-free parts: projections, summaries, warning lines, the history store."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from simdesk.core.meter import (
    BucketView,
    Level,
    build_state,
    clock_text,
    merge,
    money,
    project,
    size_text,
    summary,
)
from simdesk.core.rates import ASYNC_EXECUTIONS, SYNC_EXECUTIONS, RateLimitState
from simdesk.core.thresholds import ThresholdWatch, parse_levels
from simdesk.core.usage import UsageLimits
from simdesk.core.usage_history import SPEND, Sample, UsageHistory
from tests.support.usage import T0, header_state


def usage(cost: float, limit: float = 20.0) -> UsageLimits:
    return UsageLimits(None, None, "api", "free", cost, limit)


def test_a_bucket_is_projected_stepwise_past_its_refills() -> None:
    state = header_state("v2 execute", 60, 5, T0 + 10, T0)
    assert project(state, T0 + 9.9).remaining == 5
    after = project(state, T0 + 10)
    assert (after.remaining, after.reset_at) == (35, T0 + 70)
    assert project(state, T0 + 75).remaining == 60  # capped at the burst
    assert project(state, T0 + 75).per_minute == 30  # half the burst, as Sim sizes them


def test_reports_arriving_out_of_order_keep_the_newest_count() -> None:
    first = header_state("v2 execute", 60, 50, T0 + 60, T0)
    late = header_state("v2 execute", 60, 53, T0 + 60, T0 + 1)  # an earlier request's answer
    assert merge(first, late).remaining == 50
    assert merge(merge(first, late), header_state("v2 execute", 60, 49, T0 + 60, T0 + 2)).remaining == 49
    assert merge(first, header_state("v2 execute", 60, 58, T0 + 120, T0 + 61)).remaining == 58  # a new window
    assert merge(first, header_state("v2 execute", 60, 2, T0, T0 + 3)) is first  # from before a refill
    refusal = RateLimitState("v2 execute", None, 0, None, T0 + 4, retry_after=9)
    merged = merge(first, refusal)
    assert (merged.limit, merged.remaining, merged.retry_after) == (60, 0, 9)


def test_placeholder_limits_read_as_unlimited() -> None:
    state = RateLimitState(SYNC_EXECUTIONS, 999_998, 999_998, None, T0, per_minute=499_999)
    view = project(state, T0)
    assert view.unlimited and view.fraction is None and view.level() is Level.OK


def test_levels_follow_the_share_left() -> None:
    def view(remaining: int) -> BucketView:
        return BucketView("b", "B", 100, remaining, 50, T0 + 30)

    assert [view(n).level() for n in (100, 49, 10, 0)] == [Level.OK, Level.LOW, Level.CRITICAL, Level.CRITICAL]
    assert BucketView("b", "B", None, None, None, None).level() is Level.UNKNOWN


def test_the_request_bucket_shown_is_the_emptiest_not_the_last_touched() -> None:
    states = [
        header_state("v2 execute", 60, 40, T0 + 30, T0 + 1),  # what limits the person now
        header_state("v2 runs.get", 60, 59, T0 + 30, T0 + 2),
        header_state("v2 billing.status", 60, 58, T0 + 30, T0 + 3),  # the meter's own poll
    ]
    state = build_state("P", T0 + 4, states)
    assert state.request is not None and state.request.name == "v2 execute"
    assert set(state.requests) == {"v2 execute", "v2 runs.get", "v2 billing.status"}
    equal = [
        header_state("v2 execute", 60, 59, T0 + 30, T0 + 1),
        header_state("v2 runs.get", 60, 59, T0 + 30, T0 + 2),
        header_state("v2 billing.status", 60, 59, T0 + 30, T0 + 3),
    ]
    among_equals = build_state("P", T0 + 4, equal).request
    assert among_equals is not None and among_equals.name == "v2 runs.get"  # the latest, not the meter's own
    assert build_state("P", T0, states[2:]).request is not None  # only the own one: still shown


def test_the_summary_names_the_tightest_bucket_and_its_refill() -> None:
    states = [
        RateLimitState(SYNC_EXECUTIONS, 100, 12, datetime.fromtimestamp(T0 + 42, tz=UTC), T0, per_minute=50),
        RateLimitState(ASYNC_EXECUTIONS, 400, 390, datetime.fromtimestamp(T0 + 42, tz=UTC), T0, per_minute=200),
    ]
    text, level, tooltip = summary(build_state("Work", T0, states, usage=usage(3.42)))
    assert text == "Runs & streams 12/100 · refill 0:42"
    assert level is Level.LOW
    assert "Background runs: 390 of 400 left, 200/min, refill in 42 s" in tooltip
    assert "Spend $3.42 of $20.00" in tooltip
    assert summary(build_state("Work", T0, []))[:2] == ("Limits: none reported", Level.UNKNOWN)


def test_spend_lines_fire_once_and_rearm_in_a_new_period() -> None:
    watch = ThresholdWatch()
    assert watch.check(build_state("P", T0, [], usage=usage(5))) == []
    jump = watch.check(build_state("P", T0, [], usage=usage(17)))  # over 50 % and 80 % at once
    assert [c.key for c in jump] == [("spend", 0.8)]  # one notification: the highest line
    assert watch.check(build_state("P", T0, [], usage=usage(17.5))) == []
    assert watch.check(build_state("P", T0, [], usage=usage(15.9))) == []  # hovering: not re-armed
    assert watch.check(build_state("P", T0, [], usage=usage(1))) == []  # a new period re-arms
    again = watch.check(build_state("P", T0, [], usage=usage(19.5)))
    assert [(c.key, c.critical) for c in again] == [(("spend", 0.95), True)]


def test_a_bucket_nearly_empty_fires_once_until_it_refills() -> None:
    watch = ThresholdWatch(bucket_low=0.1)

    def at(remaining: int) -> list[str]:
        state = build_state("P", T0, [header_state("v2 execute", 60, remaining, T0 + 20, T0)])
        return [c.title for c in watch.check(state)]

    assert at(30) == []
    assert at(6) == ["Requests · execute nearly used up"]
    assert at(0) == []
    assert at(20) == []  # not back above half: still armed off
    assert at(40) == []
    assert at(3) == ["Requests · execute nearly used up"]


def test_unlimited_spend_never_warns() -> None:
    watch = ThresholdWatch()
    assert watch.check(build_state("P", T0, [], usage=usage(500_000, 999_999))) == []


@pytest.mark.parametrize(
    ("text", "levels"), [("50, 80, 95", (0.5, 0.8, 0.95)), ("90%;x; 10 ,200", (0.1, 0.9)), ("", ())]
)
def test_parse_levels(text: str, levels: tuple[float, ...]) -> None:
    assert parse_levels(text) == levels


def test_small_formatters() -> None:
    assert clock_text(42.2) == "0:43" and clock_text(3725) == "1:02:05"
    assert money(3.421) == "$3.42" and money(0.0042) == "$0.0042" and money(999_999) == "unlimited"
    assert size_text(1_048_576) == "1.0 MiB" and size_text(5 * 2**30) == "5.0 GiB" and size_text(512) == "512 B"


def test_history_keeps_series_prunes_and_remembers_crossings(tmp_path: Path) -> None:
    path = tmp_path / "usage.sqlite"
    store = UsageHistory(path, clock=lambda: T0)
    store.record(
        [
            Sample("A", T0 - 40 * 86_400, SPEND, 1.0, 20.0),  # older than a month
            Sample("A", T0 - 10, SYNC_EXECUTIONS, 90, 100),
            Sample("A", T0, SYNC_EXECUTIONS, 80, 100),
            Sample("A", T0, SPEND, 3.5, 20.0),
            Sample("B", T0, SPEND, 9.0, 20.0),
        ]
    )
    series = store.series("A", T0 - 60)
    assert [s.value for s in series[SYNC_EXECUTIONS]] == [90, 80]
    assert series[SPEND] == [Sample("A", T0, SPEND, 3.5, 20.0)]
    store.set_crossed("A", {("spend", 0.5)})
    store.close()

    reopened = UsageHistory(path, clock=lambda: T0)  # WAL file, pruned on open
    assert SPEND not in reopened.series("A", 0, T0 - 60)
    assert reopened.crossed("A") == {("spend", 0.5)} and reopened.crossed("B") == set()
    assert reopened._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    reopened.close()


def test_history_takes_writes_from_several_threads() -> None:
    store = UsageHistory(":memory:")

    def write(n: int) -> None:
        store.record(Sample("A", T0 + i, f"s{n}", i, 10) for i in range(50))

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(len(v) for v in store.series("A", 0).values()) == 200
    store.close()
