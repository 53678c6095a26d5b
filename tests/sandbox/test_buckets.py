"""Token buckets refill stepwise per 60 s window and forget idle buckets (sim-api.md §3.1)."""

from __future__ import annotations

from simdesk.sandbox.buckets import TokenBuckets
from simdesk.sandbox.clock import ManualClock


def test_new_bucket_starts_full_and_each_take_costs_one() -> None:
    buckets = TokenBuckets(ManualClock())
    first = buckets.take("sync", "u", rate=50)
    assert (first.capacity, first.remaining, first.allowed) == (100, 99, True)


def test_empty_bucket_refuses_until_the_next_window_then_refills_by_rate() -> None:
    clock = ManualClock()
    buckets = TokenBuckets(clock)
    for _ in range(100):
        assert buckets.take("sync", "u", rate=50).allowed
    refused = buckets.take("sync", "u", rate=50)
    assert not refused.allowed and refused.remaining == 0
    assert refused.reset_at == clock.now() + 60
    clock.advance(59.9)
    assert not buckets.take("sync", "u", rate=50).allowed, "refill is stepwise, not continuous"
    clock.advance(0.2)
    after = buckets.take("sync", "u", rate=50)
    assert after.allowed and after.remaining == 49


def test_refill_is_capped_at_capacity_and_idle_buckets_expire() -> None:
    clock = ManualClock()
    buckets = TokenBuckets(clock)
    buckets.take("async", "u", rate=10)
    clock.advance(61)
    assert buckets.take("async", "u", rate=10).remaining == 19  # 19 + 10 capped at 20, minus one
    for _ in range(19):
        buckets.take("async", "u", rate=10)
    clock.advance(121)
    assert buckets.peek("async", "u", rate=10).remaining == 20


def test_buckets_are_separate_per_kind_and_subject() -> None:
    buckets = TokenBuckets(ManualClock())
    buckets.take("sync", "a", rate=1)
    buckets.take("sync", "a", rate=1)
    assert not buckets.take("sync", "a", rate=1).allowed
    assert buckets.take("sync", "b", rate=1).allowed
    assert buckets.take("async", "a", rate=1).allowed
