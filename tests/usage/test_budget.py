"""The request budget on its own: a fake clock, virtual sleeps, no server, no real waiting."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

import pytest

from simdesk.core.budget import (
    BucketEstimate,
    Priority,
    RequestBudget,
    current_priority,
    format_wait,
    working_at,
)
from simdesk.core.rates import ASYNC_EXECUTIONS, RateLimitState
from simdesk.testing.virtual_time import VirtualTime
from tests.support.usage import T0, FakeClock, header_state

BUCKET = "v2 execute"
MARGIN = 0.25


@pytest.fixture
def budget(fake_clock: FakeClock, vtime: VirtualTime) -> RequestBudget:
    return RequestBudget(clock=fake_clock, sleep=vtime.sleep, refill_margin=MARGIN)


Arun = Callable[..., Any]


def run_all(
    arun: Arun, vtime: VirtualTime, budget: RequestBudget, wants: list[tuple[str, Priority]], **admit: Any
) -> list[tuple[int, float]]:
    """Admit every (bucket, priority) concurrently; return (index, virtual time) in admission order."""
    order: list[tuple[int, float]] = []

    async def one(i: int, bucket: str, priority: Priority) -> None:
        await budget.admit(bucket, priority, **admit)
        order.append((i, vtime.now()))
        budget.settle(bucket)

    async def scenario() -> None:
        tasks = [asyncio.ensure_future(one(i, b, p)) for i, (b, p) in enumerate(wants)]
        await vtime.drive(lambda: all(t.done() for t in tasks), quiet=lambda: True)
        await asyncio.gather(*tasks)

    arun(scenario())
    return order


def test_unreported_buckets_admit_freely(arun: Arun, vtime: VirtualTime, budget: RequestBudget) -> None:
    order = run_all(arun, vtime, budget, [(BUCKET, Priority.USER)] * 50)
    assert len(order) == 50
    assert {t for _, t in order} == {T0}
    assert budget.snapshot().buckets[BUCKET].metered is False


def test_a_new_bucket_is_probed_with_one_request(arun: Arun, budget: RequestBudget) -> None:
    async def scenario() -> list[bool]:
        waiters = [asyncio.ensure_future(budget.admit(BUCKET)) for _ in range(5)]
        await asyncio.sleep(0)
        probing = [w.done() for w in waiters]
        # the probe's answer reports the bucket: 2 left, so 2 more go, the rest wait for a refill
        budget.observe(header_state(BUCKET, 60, 2, T0 + 30, T0))
        budget.settle(BUCKET)
        await asyncio.sleep(0)
        after = [w.done() for w in waiters]
        for w in waiters:
            w.cancel()
        return probing + after

    done = arun(scenario())
    assert done[:5] == [True, False, False, False, False]
    assert done[5:] == [True, True, True, False, False]


def test_waits_for_the_stepwise_refill(arun: Arun, vtime: VirtualTime, budget: RequestBudget) -> None:
    reset = T0 + 20
    budget.observe(header_state(BUCKET, 60, 3, reset, T0))
    order = run_all(arun, vtime, budget, [(BUCKET, Priority.USER)] * 40)
    times = [t for _, t in order]
    assert times[:3] == [T0] * 3
    assert times[3:33] == [reset + MARGIN] * 30  # one refill brings per_minute = limit / 2 tokens
    assert times[33:] == [reset + 60 + MARGIN] * 7
    assert [i for i, _ in order] == list(range(40))  # first come, first served


def test_prediction_says_how_many_wait_and_when(
    arun: Arun, fake_clock: FakeClock, vtime: VirtualTime, budget: RequestBudget
) -> None:
    budget.observe(header_state(BUCKET, 60, 0, T0 + 12, T0))

    async def scenario() -> Any:
        tasks = [asyncio.ensure_future(budget.admit(BUCKET)) for _ in range(33)]
        await asyncio.sleep(0)
        snap = budget.snapshot()
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        return snap

    snap = arun(scenario())
    assert snap.waiting_user == 33 and snap.waiting_background == 0
    assert snap.next_admission_at == pytest.approx(T0 + 12 + MARGIN)
    assert snap.last_admission_at == pytest.approx(T0 + 72 + MARGIN)  # 30 at the first refill, 3 at the next
    assert snap.describe("run") == "33 runs waiting, next in 13 s"
    assert snap.describe() == "33 requests waiting, next in 13 s"  # none of them spends an execution token
    assert budget.snapshot().waiting == 0  # cancelling gives the places up


def test_the_queue_is_described_as_runs_and_requests(arun: Arun, budget: RequestBudget) -> None:
    budget.pause_for(12, "rate limited")

    async def scenario() -> str:
        waiters = [asyncio.ensure_future(budget.admit(BUCKET, also=(ASYNC_EXECUTIONS,))) for _ in range(3)]
        waiters.append(asyncio.ensure_future(budget.admit("v2 runs.get", Priority.BACKGROUND)))
        await asyncio.sleep(0)
        text = budget.snapshot().describe()
        for w in waiters:
            w.cancel()
        await asyncio.gather(*waiters, return_exceptions=True)
        return text

    assert arun(scenario()) == "3 runs and 1 request waiting, next in 12 s (rate limited)"


def test_user_work_goes_before_background(arun: Arun, vtime: VirtualTime, budget: RequestBudget) -> None:
    budget.observe(header_state(BUCKET, 10, 0, T0 + 5, T0))
    wants = [(BUCKET, Priority.BACKGROUND)] * 6 + [(BUCKET, Priority.USER)] * 6
    order = run_all(arun, vtime, budget, wants)
    assert [i for i, _ in order][:6] == list(range(6, 12))  # every user request first
    refill = T0 + 5 + MARGIN
    assert [t for _, t in order][:6] == [refill] * 5 + [refill + 60]
    assert [t for _, t in order][6:] == [refill + 60] * 2 + [refill + 120] * 4  # background keeps 2 free


def test_background_leaves_a_reserve_for_the_user(arun: Arun, vtime: VirtualTime, budget: RequestBudget) -> None:
    budget.observe(header_state(BUCKET, 10, 10, T0 + 60, T0))
    order = run_all(arun, vtime, budget, [(BUCKET, Priority.BACKGROUND)] * 9)
    assert [t for _, t in order].count(T0) == 8  # 20 % of 10 stays free
    assert budget.snapshot().buckets[BUCKET].remaining == 0 + 2 + 5 - 1  # refilled 5, took 1
    user = run_all(arun, vtime, budget, [(BUCKET, Priority.USER)] * 6)
    assert [t for _, t in user] == [T0 + 60 + MARGIN] * 6  # the user may use the reserve


def test_a_retry_after_pause_holds_every_bucket(
    arun: Arun, fake_clock: FakeClock, vtime: VirtualTime, budget: RequestBudget
) -> None:
    budget.pause_for(5, "server busy")
    snap = budget.snapshot()
    assert snap.paused and snap.pause_reason == "server busy" and snap.paused_until == T0 + 5
    order = run_all(arun, vtime, budget, [("v2 runs.get", Priority.BACKGROUND), ("anything", Priority.USER)])
    assert [i for i, _ in order] == [1, 0]  # the user first when the pause ends
    assert {t for _, t in order} == {T0 + 5}
    assert not budget.snapshot().paused


def test_a_shorter_pause_does_not_cut_a_longer_one(fake_clock: FakeClock, budget: RequestBudget) -> None:
    budget.pause_for(30, "rate limited")
    budget.pause_for(5, "server busy")
    assert budget.snapshot().paused_until == T0 + 30


def test_answers_from_before_a_refill_are_not_believed(fake_clock: FakeClock, budget: RequestBudget) -> None:
    budget.observe(header_state(BUCKET, 60, 0, T0 + 10, T0))
    fake_clock.advance(11)
    assert budget.snapshot().buckets[BUCKET].remaining == 30
    budget.observe(header_state(BUCKET, 60, 0, T0 + 10, T0 + 1))  # late answer, old window
    assert budget.snapshot().buckets[BUCKET].remaining == 30
    budget.observe(header_state(BUCKET, 60, 25, T0 + 70, T0 + 11))  # same window: someone else spent
    assert budget.snapshot().buckets[BUCKET].remaining == 25
    budget.observe(header_state(BUCKET, 60, 40, T0 + 70, T0 + 11))  # never more than we believe
    assert budget.snapshot().buckets[BUCKET].remaining == 25
    budget.observe(header_state(BUCKET, 60, 59, T0 + 200, T0 + 11))  # the server's window moved on
    estimate = budget.snapshot().buckets[BUCKET]
    assert (estimate.remaining, estimate.reset_at) == (59, T0 + 200)


def test_headers_count_requests_still_in_flight(arun: Arun, fake_clock: FakeClock, budget: RequestBudget) -> None:
    budget.observe(header_state(BUCKET, 60, 60, T0 + 60, T0))

    async def burst() -> None:
        for _ in range(10):
            await budget.admit(BUCKET)

    arun(burst())
    assert budget.snapshot().in_flight == 10
    # the first answer says 59 left; nine more of ours are on the wire
    budget.observe(header_state(BUCKET, 60, 59, T0 + 60, T0))
    assert budget.snapshot().buckets[BUCKET].remaining == 50
    budget.settle(BUCKET)
    assert budget.snapshot().in_flight == 9


def test_an_execution_429_blocks_until_its_retry_after(arun: Arun, vtime: VirtualTime, budget: RequestBudget) -> None:
    # the client stamps refusals with the wall clock; the wait counts from the budget's clock
    refusal = RateLimitState(ASYNC_EXECUTIONS, None, 0, None, observed_at=12345.0, retry_after=7)
    budget.observe(refusal)
    order = run_all(arun, vtime, budget, [(ASYNC_EXECUTIONS, Priority.USER)] * 3)
    assert [t for _, t in order] == [T0 + 7 + MARGIN] * 3  # then the bucket is unknown again: free


def test_a_refusal_without_retry_after_waits_a_window_at_most(
    arun: Arun, vtime: VirtualTime, budget: RequestBudget
) -> None:
    budget.observe(RateLimitState(ASYNC_EXECUTIONS, None, 0, None, observed_at=T0))
    order = run_all(arun, vtime, budget, [(ASYNC_EXECUTIONS, Priority.USER)])
    assert [t for _, t in order] == [T0 + 60 + MARGIN]


def test_a_request_needs_every_bucket_it_draws_on(arun: Arun, vtime: VirtualTime, budget: RequestBudget) -> None:
    budget.observe(header_state(BUCKET, 60, 60, T0 + 60, T0))
    budget.observe(RateLimitState(ASYNC_EXECUTIONS, 4, 2, _dt(T0 + 30), observed_at=T0, per_minute=2))
    order = run_all(arun, vtime, budget, [(BUCKET, Priority.USER)] * 4, also=(ASYNC_EXECUTIONS,))
    assert [t for _, t in order] == [T0, T0, T0 + 30 + MARGIN, T0 + 30 + MARGIN]
    assert budget.snapshot().buckets[BUCKET].remaining == 56


def test_a_refund_gives_a_token_back(arun: Arun, budget: RequestBudget) -> None:
    budget.observe(header_state(BUCKET, 60, 1, T0 + 60, T0))
    arun(budget.admit(BUCKET))
    assert budget.snapshot().buckets[BUCKET].remaining == 0
    budget.refund(BUCKET)
    budget.refund("never seen")  # an unknown bucket: nothing to give back
    assert budget.snapshot().buckets[BUCKET].remaining == 1


def test_an_idle_bucket_is_full_again(fake_clock: FakeClock, budget: RequestBudget) -> None:
    budget.observe(header_state(BUCKET, 60, 0, T0 + 60, T0))
    fake_clock.advance(121)
    estimate = budget.snapshot().buckets[BUCKET]
    assert (estimate.remaining, estimate.reset_at) == (60, None)


def test_observe_from_another_thread_wakes_the_waiters(
    arun: Arun, qtbot: Any, fake_clock: FakeClock, budget: RequestBudget
) -> None:
    budget.pause_for(3600, "rate limited")

    async def scenario() -> None:
        waiter = asyncio.ensure_future(budget.admit(BUCKET))
        await asyncio.sleep(0)
        assert not waiter.done()
        fake_clock.advance(3600)
        thread = threading.Thread(target=budget.observe, args=(header_state(BUCKET, 60, 60, T0 + 4000, T0),))
        thread.start()
        thread.join()
        await waiter

    arun(scenario())


def test_listeners_hear_every_change(budget: RequestBudget) -> None:
    heard: list[int] = []
    unsubscribe = budget.subscribe(lambda: heard.append(1))
    budget.observe(header_state(BUCKET, 60, 5, T0 + 60, T0))
    budget.pause_for(1, "x")
    unsubscribe()
    budget.pause_for(2, "x")
    assert len(heard) == 2


def test_priority_follows_the_task(arun: Arun) -> None:
    async def inner() -> Priority:
        return current_priority()

    async def scenario() -> tuple[Priority, Priority, Priority]:
        with working_at(Priority.BACKGROUND):
            spawned = asyncio.ensure_future(inner())
            here = current_priority()
        return here, await spawned, current_priority()

    assert arun(scenario()) == (Priority.BACKGROUND, Priority.BACKGROUND, Priority.USER)


def test_bad_reserve_is_refused() -> None:
    with pytest.raises(ValueError):
        RequestBudget(background_reserve=1.0)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "now"), (0.2, "1 s"), (12, "12 s"), (60, "1 min"), (185, "3 min 5 s"), (7440, "2 h 4 min"), (7200, "2 h")],
)
def test_format_wait(seconds: float, text: str) -> None:
    assert format_wait(seconds) == text


def test_fraction_left() -> None:
    assert BucketEstimate("b", 60, 15, 30, None).fraction_left == 0.25
    assert BucketEstimate("b", None, 15, None, None).fraction_left is None


def _dt(ts: float) -> Any:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ts, tz=UTC)
