"""A batch survives the app stopping mid-way: the next start shows it paused with Resume, and
resuming runs every row exactly once (rows that were in flight are looked up by run id)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from simdesk.api import SimClient
from simdesk.core.batch_input import TableFormat
from simdesk.core.batch_mapping import auto_map
from simdesk.core.batch_store import BatchState, BatchStore, RowState, RunMode
from simdesk.core.budget import RequestBudget
from simdesk.core.catalogue import WorkflowInput
from simdesk.sandbox import demo
from simdesk.sandbox.server import RunningSandbox
from simdesk.services.batch_ingest import TableSource
from simdesk.services.batches import BatchService, NewBatch
from simdesk.ui.batches_panel import BatchesPanel

ROWS = 60
ECHO_INPUTS = (WorkflowInput("message", "string"),)


def completed_runs_per_input(sb: RunningSandbox, before: set[str]) -> Counter[str]:
    """How many runs of each row's message Sim completed (a cancelled attempt ran nothing)."""
    now = sb.clock.now()
    return Counter(
        str(run.input.get("message"))
        for rid, run in list(sb.state.runs.items())
        if rid not in before and run.status(now)[0] == "completed"
    )


def test_a_batch_stopped_mid_way_resumes_in_a_new_service_without_running_a_row_twice(
    realtime_sandbox: RunningSandbox, tmp_path: Path, qtbot: Any, arun: Any
) -> None:
    sb = realtime_sandbox
    client = SimClient(sb.base_url, sb.api_key, budget=RequestBudget())

    async def client_for(_profile: str) -> SimClient:
        return client

    before = set(sb.state.runs)
    text = "message\n" + "".join(f"row {i}\n" for i in range(1, ROWS + 1))
    first = BatchService(BatchStore(tmp_path / "batches.sqlite3"), client_for)
    new = NewBatch(
        profile="Demo", workflow_id=demo.ECHO_ID, workflow_name="Echo", inputs=ECHO_INPUTS,
        source=TableSource(text=text, table_format=TableFormat.CSV), mapping=auto_map(["message"], ECHO_INPUTS),
        mode=RunMode.SYNC, concurrency=6,
    )  # fmt: skip
    batch = arun(first.create(new))
    assert batch is not None
    qtbot.waitUntil(lambda: (p := first.progress(batch.id)) is not None and p.done >= 15, timeout=20_000)
    arun(first.aclose())  # the app quits mid-batch: rows in flight are left "sending" with their run ids

    second_store = BatchStore(tmp_path / "batches.sqlite3")
    second = BatchService(second_store, client_for)
    stored = second.get(batch.id)
    assert stored is not None and stored.state is BatchState.PAUSED
    left = second_store.counts(batch.id)
    assert 15 <= left[RowState.DONE] < ROWS
    panel = BatchesPanel(second, profile=lambda: "Demo")
    qtbot.addWidget(panel)
    assert panel.current_id() == batch.id
    assert panel.resume_button.isEnabled() and not panel.pause_button.isEnabled()
    assert "Resume continues" in panel.notice.text()

    ended: list[Any] = []
    second.batch_ended.connect(ended.append)
    panel.resume_button.click()
    qtbot.waitUntil(lambda: bool(ended), timeout=20_000)
    counts = second_store.counts(batch.id)
    assert counts[RowState.DONE] == ROWS and counts.total == ROWS
    assert second.get(batch.id).state is BatchState.FINISHED  # type: ignore[union-attr]
    per_input = completed_runs_per_input(sb, before)
    assert len(per_input) == ROWS  # no row lost
    assert set(per_input.values()) == {1}  # and none run twice
    arun(second.aclose())
    arun(client.aclose())
