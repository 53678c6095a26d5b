"""The batch runner against the sandbox over loopback: rows run once, invalid rows never leave,
crashes are recovered by run id, and problems that would fail every row pause the batch."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from simdesk.api import SimClient
from simdesk.core.batch_input import read_rows
from simdesk.core.batch_mapping import auto_map, row_input
from simdesk.core.batch_store import BatchState, BatchStore, RowState, RunMode
from simdesk.core.catalogue import WorkflowInput
from simdesk.sandbox import demo
from simdesk.sandbox.server import RunningSandbox
from simdesk.services.batch_runner import BatchProgress, BatchRunner

ECHO_INPUTS = (WorkflowInput("message", "string"),)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[BatchStore]:
    opened = BatchStore(tmp_path / "batches.sqlite3")
    yield opened
    opened.close()


def _store_batch(store: BatchStore, tmp_path: Path, text: str, mode: RunMode = RunMode.SYNC) -> tuple[BatchStore, Any]:
    table = tmp_path / "rows.csv"
    table.write_text(text)
    mapping = auto_map(["message"], ECHO_INPUTS)
    batch = store.create(
        profile="Demo", workflow_id=demo.ECHO_ID, workflow_name="Echo", mode=mode, source=str(table),
        mapping=mapping, concurrency=4,
    )  # fmt: skip
    store.add_rows(batch.id, (row_input(ECHO_INPUTS, mapping, row) for row in read_rows(table)))
    return store, batch


def _client(sb: RunningSandbox, key: str = demo.DEMO_KEY) -> SimClient:
    return SimClient(sb.base_url, key)


@pytest.mark.parametrize("mode", [RunMode.SYNC, RunMode.STREAM, RunMode.ASYNC])
def test_every_row_runs_once_and_its_output_is_kept(
    realtime_sandbox: RunningSandbox, arun: Callable[..., Any], tmp_path: Path, mode: RunMode, store: BatchStore
) -> None:
    rows = "message\n" + "".join(f"row {i}\n" for i in range(1, 13))
    store, batch = _store_batch(store, tmp_path, rows, mode)
    seen: list[BatchProgress] = []

    async def go() -> Any:
        async with _client(realtime_sandbox) as client:
            return await BatchRunner(client, store, batch, on_progress=seen.append, poll_interval=0.01).run()

    counts = arun(go(), timeout=20000)
    assert counts[RowState.DONE] == 12
    assert store.get(batch.id).state is BatchState.FINISHED  # type: ignore[union-attr]
    stored = store.rows(batch.id)
    assert len({r.run_id for r in stored}) == 12
    assert all(r.attempts == 1 for r in stored)
    assert "row 7" in str(stored[6].output)
    assert seen[-1].done == 12 and seen[-1].running == 0


def test_invalid_rows_are_never_sent(
    sandbox: RunningSandbox, arun: Callable[..., Any], tmp_path: Path, store: BatchStore
) -> None:
    inputs = (WorkflowInput("message", "string"), WorkflowInput("count", "number"))
    table = tmp_path / "t.csv"
    table.write_text("message,count\nok,1\nbad,many\n")
    mapping = auto_map(["message", "count"], inputs)
    batch = store.create(
        profile="Demo", workflow_id=demo.ECHO_ID, workflow_name="Echo", mode=RunMode.SYNC, source=str(table),
        mapping=mapping, concurrency=2,
    )  # fmt: skip
    store.add_rows(batch.id, (row_input(inputs, mapping, r) for r in read_rows(table)))

    async def go() -> Any:
        async with _client(sandbox) as client:
            return await BatchRunner(client, store, batch).run()

    counts = arun(go())
    assert counts[RowState.DONE] == 1 and counts[RowState.INVALID] == 1
    bad = store.row(batch.id, 2)
    assert bad is not None and bad.run_id is None and "not a number" in (bad.error or "")


def test_a_crash_mid_request_is_recovered_by_run_id_without_running_a_row_twice(
    sandbox: RunningSandbox, arun: Callable[..., Any], tmp_path: Path, store: BatchStore
) -> None:
    store, batch = _store_batch(store, tmp_path, "message\nalpha\nbeta\ngamma\n")
    # The process died after row 1's request reached Sim, and after row 2's id was written but
    # before its request left.
    store.mark_sending(batch.id, 1, "desk-crash-row-1", 0.0)
    store.mark_sending(batch.id, 2, "desk-crash-row-2", 0.0)

    async def go() -> Any:
        async with _client(sandbox) as client:
            await client.execute(demo.ECHO_ID, {"message": "alpha"}, run_id="desk-crash-row-1")
            return await BatchRunner(client, store, batch).run()

    counts = arun(go())
    assert counts[RowState.DONE] == 3
    first, second = store.row(batch.id, 1), store.row(batch.id, 2)
    assert first is not None and first.run_id == "desk-crash-row-1" and first.attempts == 1  # looked up, not re-sent
    assert second is not None and second.run_id != "desk-crash-row-2" and second.attempts == 2  # never reached Sim


def test_a_rejected_key_pauses_the_batch_with_the_reason(
    sandbox: RunningSandbox, arun: Callable[..., Any], tmp_path: Path, store: BatchStore
) -> None:
    store, batch = _store_batch(store, tmp_path, "message\na\nb\nc\n")

    async def go() -> tuple[Any, BatchRunner]:
        stopped = asyncio.Event()

        def watch(progress: BatchProgress) -> None:
            if progress.stopped_reason:
                stopped.set()

        async with _client(sandbox, key="sk-sim-wrong") as client:
            runner = BatchRunner(client, store, batch, on_progress=watch)
            run = asyncio.ensure_future(runner.run())
            await stopped.wait()
            assert "API key" in (runner.progress().stopped_reason or "")
            await runner.cancel()
            return await run, runner

    counts, runner = arun(go())
    assert counts[RowState.FAILED] == 0  # nothing was marked failed one by one
    assert counts[RowState.CANCELLED] == 3
    assert runner.progress().state is BatchState.CANCELLED


def test_a_file_column_is_stored_and_sent_as_the_files_it_names(
    realtime_sandbox: RunningSandbox, arun: Callable[..., Any], tmp_path: Path, store: BatchStore
) -> None:
    inputs = (WorkflowInput("documents", "file[]"), WorkflowInput("instructions", "string"))
    (tmp_path / "a.txt").write_text("alpha")
    (tmp_path / "b.txt").write_text("beta")
    table = tmp_path / "t.csv"
    table.write_text(f"documents,instructions\n{tmp_path / 'a.txt'};{tmp_path / 'b.txt'},summarise\n")
    mapping = auto_map(["documents", "instructions"], inputs)
    batch = store.create(
        profile="Demo", workflow_id=demo.FILES_ID, workflow_name="Files", mode=RunMode.SYNC, source=str(table),
        mapping=mapping, concurrency=1,
    )  # fmt: skip
    store.add_rows(batch.id, (row_input(inputs, mapping, r) for r in read_rows(table)))
    stored = store.row(batch.id, 1)
    assert stored is not None and stored.input["documents"] == [tmp_path / "a.txt", tmp_path / "b.txt"]

    async def go() -> Any:
        async with _client(realtime_sandbox) as client:
            return await BatchRunner(client, store, batch).run()

    counts = arun(go(), timeout=20_000)
    assert counts[RowState.DONE] == 1, store.row(batch.id, 1)
    sent = [run.input for run in realtime_sandbox.state.runs.values() if run.workflow.id == demo.FILES_ID]
    assert [f.get("name") for f in sent[-1]["documents"]] == ["a.txt", "b.txt"]
