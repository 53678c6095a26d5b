"""Batch runs: plan pacing (virtual time), throughput vs the SDK's guide loop, memory, kill -9 recovery.

Four measurements, each against an embedded sandbox over loopback:

* **Pacing** (``rate_limited_responses``, ``time_ratio_vs_minimum``): 500 Echo rows in sync mode
  on the free plan, in *virtual* time (the sandbox's ``ManualClock``; the request budget and the
  retry policy sleep through :class:`~simdesk.testing.virtual_time.VirtualTime`, and the clock moves
  to the next wake-up only when no request is on the wire). A sync execute draws on two buckets:
  the ``workflows.execute`` request bucket and the sync execution bucket; the least time the plan
  allows is the larger of the two, each being "capacity at once, then the per-minute refill at
  each 60 s window": ``ceil((n - capacity) / rate) × 60 s`` (900 s for 500 rows on free, set by
  the request bucket: 60 at once, 30 a minute). The ratio is the virtual time from the first row
  sent to the last row settled, divided by that.
* **Throughput** (``rows_per_s``, ``sdk_loop_rows_per_s``, ``speedup_vs_sdk_loop``): 2 000 Echo
  rows through the batch runner (sync mode, 64 rows in flight: the same request and answer per
  row as the SDK loop, without the polls async mode would add), and the ``simstudio-sdk`` README's
  batch loop (``validate_workflow`` then ``execute_workflow``, one row at a time) on the same
  sandbox in the same run. Echo runs at its designed 50 ms (``pace=1``), as a quick real workflow
  would. The sandbox runs the enterprise plan *without billing limits*: with them, the
  ``workflows.execute`` request bucket (1 000 at once, 500 a minute, whatever the mode: async
  has a larger execution bucket but shares this request bucket) makes 2 000 rows take at least
  120 s for any client, so both figures would measure the plan, not the client. How close the
  runner gets to the plan's limit is what the pacing figure measures. The SDK loop's rate is
  flat (one row at a time), so it runs the first :data:`SDK_ROWS` rows of the same table.
* **Memory** (``rss_growth_mb_100k_rows``): growth of the process's peak RSS while a 100 000-row
  CSV (written by a generator, never held whole) is read into a stored batch through the same
  ingest as the panel.
* **Crashes** (``duplicated_runs``, ``lost_rows``): ``python -m simdesk batch`` runs 1 000 rows
  in a subprocess and is killed with SIGKILL three times (at a quarter, half and three quarters),
  each time resumed with ``--resume ID``, then finishes. Sim's side is counted: a row whose input
  completed more than once is duplicated; a row with no completed run is lost.
"""

from __future__ import annotations

import asyncio
import math
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from benchmarks import quick, sandbox_process
from benchmarks.budget import CountingTransport
from simdesk.api import SimClient
from simdesk.api.retry import RetryPolicy
from simdesk.core.batch_input import TableFormat
from simdesk.core.batch_mapping import auto_map, row_input
from simdesk.core.batch_store import DEFAULT_FILE_NAME, Batch, BatchStore, Counts, RowState, RunMode
from simdesk.core.budget import RequestBudget
from simdesk.core.catalogue import WorkflowInput
from simdesk.core.paths import AppPaths
from simdesk.sandbox import demo
from simdesk.sandbox.buckets import PLAN_RATES
from simdesk.sandbox.clock import ManualClock, RealClock
from simdesk.sandbox.server import RunningSandbox, SandboxConfig, start_sandbox
from simdesk.services.batch_ingest import TableSource, ingest
from simdesk.services.batch_runner import BatchRunner
from simdesk.testing.virtual_time import VirtualTime

ECHO_INPUTS = (WorkflowInput("message", "string"),)
PACED_ROWS, THROUGHPUT_ROWS, SDK_ROWS, MEMORY_ROWS, CRASH_ROWS = 500, 2000, 150, 100_000, 1000
QUICK = {"paced": 80, "throughput": 200, "sdk": 20, "memory": 5000, "crash": 120}
CONCURRENCY = 64
# Rows in flight for the throughput run: past ~16 the loopback client spends more on its connection
# pool than it gains (measured: 8 → 125 rows/s, 32 → 112 with a bare client on this machine).
THROUGHPUT_CONCURRENCY = 16
REPO = Path(__file__).resolve().parents[1]


def messages(n: int) -> Iterator[str]:
    """The rows' messages: unique, so Sim's side can be counted per row."""
    return (f"row {i:06d}" for i in range(1, n + 1))


def echo_batch(store: BatchStore, n: int, mode: RunMode = RunMode.SYNC, concurrency: int = CONCURRENCY) -> Batch:
    """A stored batch of ``n`` Echo rows."""
    mapping = auto_map(["message"], ECHO_INPUTS)
    batch = store.create(
        profile="bench", workflow_id=demo.ECHO_ID, workflow_name="Echo", mode=mode, source="generated",
        mapping=mapping, concurrency=concurrency,
    )  # fmt: skip
    from simdesk.core.batch_input import SourceRow

    rows = (row_input(ECHO_INPUTS, mapping, SourceRow(i, {"message": m})) for i, m in enumerate(messages(n), 1))
    store.add_rows(batch.id, rows)
    return batch


def completed_per_input(sb: RunningSandbox) -> Counter[str]:
    """How many runs of each message Sim completed (an attempt cut off by a crash ran nothing)."""
    now = sb.clock.now()
    return Counter(
        str(run.input.get("message"))
        for run in list(sb.state.runs.values())
        if run.workflow.id == demo.ECHO_ID and run.status(now)[0] == "completed"
    )


# --- pacing, in virtual time -----------------------------------------------------------------


def minimum_seconds(n: int, plan: str, mode: RunMode = RunMode.SYNC) -> float:
    """The least virtual time the plan's buckets allow for ``n`` executes from full buckets."""
    rates = PLAN_RATES[plan]
    buckets = [rates["api-endpoint"], rates["async" if mode is RunMode.ASYNC else "sync"]]
    return max(0.0 if n <= 2 * rate else math.ceil((n - 2 * rate) / rate) * 60.0 for rate in buckets)


@dataclass(frozen=True)
class PacedResult:
    """What a batch did in virtual time."""

    counts: Counts
    rate_limited: int
    seconds: float
    per_input: Counter[str]


async def paced_batch(sb: RunningSandbox, store: BatchStore, batch: Batch) -> PacedResult:
    """Run ``batch`` through a budgeted client on ``sb`` (a ManualClock sandbox), driving virtual time."""
    clock = sb.clock
    assert isinstance(clock, ManualClock)
    vt = VirtualTime(clock.now, clock.advance)
    transport = CountingTransport()
    budget = RequestBudget(clock=clock.now, sleep=vt.sleep)
    policy = RetryPolicy(max_retries=100_000, max_wait=3600.0, sleep=vt.sleep)
    async with SimClient(sb.base_url, sb.api_key, retry=policy, transport=transport, budget=budget) as client:
        await client.get_usage_limits()  # as the app does when a profile opens
        transport.statuses.clear()
        start = clock.now()
        task = asyncio.ensure_future(BatchRunner(client, store, batch).run())
        await vt.drive(task.done, quiet=lambda: transport.in_flight == 0)
        counts = await task
    return PacedResult(counts, transport.statuses[429], clock.now() - start, completed_per_input(sb))


def pacing(n: int, plan: str = "free") -> tuple[PacedResult, float]:
    """``n`` rows on ``plan`` in virtual time; the result and the plan's least time."""
    sb = start_sandbox(SandboxConfig(clock=ManualClock(), plan=plan))
    try:
        with tempfile.TemporaryDirectory() as tmp:
            store = BatchStore(Path(tmp) / "batches.sqlite3")
            result = asyncio.run(paced_batch(sb, store, echo_batch(store, n, concurrency=8)))
            store.close()
    finally:
        sb.stop()
    return result, minimum_seconds(n, plan)


# --- throughput, in real time ----------------------------------------------------------------


async def runner_seconds(base_url: str, store: BatchStore, batch: Batch) -> float:
    """Wall time of the batch runner over ``batch``."""
    async with SimClient(base_url, demo.DEMO_KEY, budget=RequestBudget()) as client:
        await client.get_usage_limits()
        start = time.perf_counter()
        counts = await BatchRunner(client, store, batch).run()
        took = time.perf_counter() - start
    assert counts[RowState.DONE] == counts.total, counts
    return took


def sdk_loop_seconds(base_url: str, n: int) -> float:
    """Wall time of the simstudio-sdk README's batch loop over the first ``n`` rows."""
    from simstudio import SimStudioClient

    client = SimStudioClient(api_key=demo.DEMO_KEY, base_url=base_url)
    done = 0
    start = time.perf_counter()
    for message in messages(n):
        try:
            if not client.validate_workflow(demo.ECHO_ID):
                continue
            result = client.execute_workflow(demo.ECHO_ID, {"message": message})
            done += bool(getattr(result, "success", False))
        except Exception as error:  # the README's loop records the error and goes on
            print(f"sdk loop: {error}", file=sys.stderr)
    took = time.perf_counter() - start
    client.close()
    assert done == n, f"the SDK loop completed {done} of {n}"
    return took


def throughput(n: int, sdk_rows: int) -> tuple[float, float]:
    """Rows per second: the batch runner over ``n`` rows, the SDK loop over ``sdk_rows``."""
    flags = ("--plan", "enterprise", "--pace", "1", "--no-billing", "--no-ip-limit")
    with sandbox_process(*flags) as base_url, tempfile.TemporaryDirectory() as tmp:
        store = BatchStore(Path(tmp) / "batches.sqlite3")
        ours = asyncio.run(runner_seconds(base_url, store, echo_batch(store, n, concurrency=THROUGHPUT_CONCURRENCY)))
        store.close()
        theirs = sdk_loop_seconds(base_url, sdk_rows)
    return n / ours, sdk_rows / theirs


# --- memory ----------------------------------------------------------------------------------


def write_csv(path: Path, n: int) -> None:
    """A table of ``n`` rows written from a generator (never held whole)."""
    with path.open("w", encoding="utf-8") as handle:
        handle.write("message,extra\n")
        for i, message in enumerate(messages(n)):
            handle.write(f"{message} with some text to make the row a realistic length,{i}\n")


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def rss_growth_mb(n: int) -> float:
    """Peak RSS growth while ``n`` rows are read into a stored batch (sampled at every chunk)."""
    with tempfile.TemporaryDirectory() as tmp:
        table = Path(tmp) / "big.csv"
        write_csv(table, n)
        store = BatchStore(Path(tmp) / "batches.sqlite3")
        mapping = auto_map(["message", "extra"], ECHO_INPUTS)
        batch = store.create(
            profile="bench", workflow_id=demo.ECHO_ID, workflow_name="Echo", mode=RunMode.SYNC, source=str(table),
            mapping=mapping, concurrency=8,
        )  # fmt: skip
        before = _rss_mb()
        peak = [before]

        async def read_in() -> int:
            source = TableSource(path=table, table_format=TableFormat.CSV)
            return await ingest(store, batch, source, ECHO_INPUTS, mapping, on_rows=lambda _n: peak.append(_rss_mb()))

        stored = asyncio.run(read_in())
        peak.append(_rss_mb())
        assert stored == n and store.counts(batch.id)[RowState.WAITING] == n
        store.close()
    return max(peak) - before


# --- kill -9 and resume ----------------------------------------------------------------------

_PROGRESS = re.compile(r"(\d+)/(\d+)")
_BATCH_ID = re.compile(r"simdesk batch: batch ([0-9a-f]+) ")


def _cli_env(sb: RunningSandbox) -> dict[str, str]:
    return {"SIM_API_KEY": sb.api_key, "SIM_BASE_URL": sb.base_url}


def _settled(line: str) -> int:
    found = _PROGRESS.search(line)
    return int(found.group(1)) if found else -1


def crash_and_resume(sb: RunningSandbox, data_dir: Path, n: int, kills: int = 3) -> tuple[int, int, int]:
    """Run ``n`` rows with ``simdesk batch``, SIGKILL it ``kills`` times, resume, finish.

    Returns (duplicated runs, lost rows, rows done in the store)."""
    from tests.kill9 import run_then_kill

    table = data_dir / "rows.csv"
    table.write_text("message\n" + "".join(f"{m}\n" for m in messages(n)))
    base = ["batch", "--data-dir", str(data_dir), "--concurrency", "8"]
    args = [*base, demo.ECHO_ID, str(table)]
    batch_id = ""
    for k in range(1, kills + 1):
        mark = n * k // (kills + 1)

        def past_mark(line: str, mark: int = mark) -> bool:
            return _settled(line) >= mark

        lines = run_then_kill("simdesk", *args, until=past_mark, read="stderr", env=_cli_env(sb))
        if not batch_id:
            batch_id = next(found.group(1) for line in lines if (found := _BATCH_ID.search(line)))
        args = [*base, "--resume", batch_id]
    finished = subprocess.run(
        [sys.executable, "-m", "simdesk", *args, "--quiet"], cwd=REPO, env={**os.environ, **_cli_env(sb),
        "PYTHONPATH": str(REPO)}, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert finished.returncode == 0, finished.stdout + finished.stderr
    store = BatchStore(AppPaths.resolve(str(data_dir)).data / DEFAULT_FILE_NAME)
    done = store.counts(batch_id)[RowState.DONE]
    store.close()
    per_input = completed_per_input(sb)
    duplicated = sum(count - 1 for count in per_input.values() if count > 1)
    lost = sum(1 for m in messages(n) if per_input[m] == 0)
    return duplicated, lost, done


def crashes(n: int) -> tuple[int, int]:
    """Duplicated runs and lost rows after three kill -9 during an ``n``-row batch."""
    # Echo at pace 1 (50 ms a run), 8 in flight: long enough to be killed mid-way. No billing limits:
    # on a plan, the budget keeps a fifth of each bucket for the person and the batch would spend
    # most of its time waiting for refills, which is not what this measures.
    sb = start_sandbox(SandboxConfig(clock=RealClock(), plan="enterprise", pace=1.0, billing=False, ip_limit=False))
    try:
        with tempfile.TemporaryDirectory() as tmp:
            duplicated, lost, done = crash_and_resume(sb, Path(tmp), n)
    finally:
        sb.stop()
    assert done == n, f"{done} of {n} rows done"
    return duplicated, lost


def run() -> dict[str, float]:
    sizes = QUICK if quick() else {
        "paced": PACED_ROWS, "throughput": THROUGHPUT_ROWS, "sdk": SDK_ROWS, "memory": MEMORY_ROWS, "crash": CRASH_ROWS
    }  # fmt: skip
    paced, least = pacing(sizes["paced"])
    ours, sdk = throughput(sizes["throughput"], sizes["sdk"])
    duplicated, lost = crashes(sizes["crash"])
    return {
        "rate_limited_responses": float(paced.rate_limited),
        "time_ratio_vs_minimum": paced.seconds / least if least else 1.0,
        "virtual_minutes": paced.seconds / 60.0,
        "rows_per_s": ours,
        "sdk_loop_rows_per_s": sdk,
        "speedup_vs_sdk_loop": ours / sdk,
        "rss_growth_mb_100k_rows": rss_growth_mb(sizes["memory"]),
        "duplicated_runs": float(duplicated),
        "lost_rows": float(lost),
    }


if __name__ == "__main__":
    for key, value in run().items():
        print(f"{key}: {value:g}")
