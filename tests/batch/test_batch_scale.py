"""Batches at scale, against the sandbox over loopback: 10 000 rows on the free plan in virtual time
without a single 429, and three kill -9 of ``python -m simdesk batch`` during a 1 000-row batch,
each resumed, without a run duplicated or a row lost (counted on Sim's side)."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from benchmarks.batch import crash_and_resume, echo_batch, minimum_seconds, paced_batch
from simdesk.core.batch_store import BatchStore, RowState
from simdesk.sandbox.clock import ManualClock, RealClock
from simdesk.sandbox.server import RunningSandbox, SandboxConfig, start_sandbox


@pytest.fixture
def free_sandbox() -> Iterator[RunningSandbox]:
    """A free-plan sandbox of its own on a manual clock (every bucket full)."""
    sb = start_sandbox(SandboxConfig(clock=ManualClock(), plan="free"))
    yield sb
    sb.stop()


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_ten_thousand_rows_on_the_free_plan_get_no_429_and_run_once_each(
    free_sandbox: RunningSandbox, tmp_path: Path
) -> None:
    store = BatchStore(tmp_path / "batches.sqlite3")
    batch = echo_batch(store, 10_000, concurrency=8)
    # a loop of its own in a thread (as `simdesk batch` runs): no Qt event loop to turn in between
    with ThreadPoolExecutor(max_workers=1) as pool:
        result = pool.submit(asyncio.run, paced_batch(free_sandbox, store, batch)).result(timeout=540)
    assert result.rate_limited == 0
    assert result.counts[RowState.DONE] == 10_000
    assert len(result.per_input) == 10_000 and set(result.per_input.values()) == {1}
    assert all(row.attempts == 1 for row in store.rows(batch.id))
    # paced by the plan: 60 executes at once, then 30 a minute (about 5.5 virtual hours)
    least = minimum_seconds(10_000, "free")
    assert least <= result.seconds <= least * 1.1
    store.close()


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_three_kill_9_during_a_thousand_row_batch_then_resume_duplicate_and_lose_nothing() -> None:
    sb = start_sandbox(SandboxConfig(clock=RealClock(), plan="enterprise", pace=1.0, billing=False, ip_limit=False))
    try:
        with tempfile.TemporaryDirectory() as tmp:
            duplicated, lost, done = crash_and_resume(sb, Path(tmp), 1000, kills=3)
    finally:
        sb.stop()
    assert (duplicated, lost, done) == (0, 0, 1000)
