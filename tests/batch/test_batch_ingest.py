"""Reading a table into a batch: the preview reads only the first rows; the whole table is read off
the GUI thread a chunk at a time with progress; a table that changes while it is read is refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmarks.batch import write_csv
from simdesk.core.batch_input import TableFormat
from simdesk.core.batch_store import BatchStore, RowState
from simdesk.core.catalogue import WorkflowInput
from simdesk.sandbox import demo
from simdesk.services.batch_ingest import PREVIEW_ROWS, TableSource, read_preview
from simdesk.services.batches import BatchService, NewBatch

INPUTS = (WorkflowInput("message", "string"),)


async def _no_client(_profile: str) -> Any:
    raise AssertionError("nothing may be sent while a table is read in")


def test_the_preview_reads_only_the_first_rows(tmp_path: Path) -> None:
    table = tmp_path / "big.csv"
    write_csv(table, 20_000)
    preview = read_preview(TableSource(path=table))
    assert len(preview.rows) == PREVIEW_ROWS and preview.rows[-1].number == PREVIEW_ROWS
    assert preview.columns == ["message", "extra"]


def test_a_big_table_is_read_in_chunks_with_progress_and_nothing_is_sent(tmp_path: Path, qtbot: Any, arun: Any) -> None:
    table = tmp_path / "big.csv"
    write_csv(table, 5_000)
    service = BatchService(BatchStore(tmp_path / "batches.sqlite3"), _no_client)
    seen: list[int] = []
    service.ingest_progress.connect(lambda _batch_id, rows: seen.append(rows))
    new = NewBatch(
        profile="Demo", workflow_id=demo.ECHO_ID, workflow_name="Echo", inputs=INPUTS,
        source=TableSource(path=table, table_format=TableFormat.CSV), mapping={"message": "message"},
    )  # fmt: skip
    batch = arun(service.create(new, start=False), timeout=60_000)
    assert batch is not None
    assert seen == [2000, 4000, 5000]
    assert service.store.counts(batch.id)[RowState.WAITING] == 5000
    arun(service.aclose())


def test_a_table_that_changes_while_it_is_read_is_refused(tmp_path: Path, qtbot: Any, arun: Any) -> None:
    table = tmp_path / "growing.csv"
    write_csv(table, 3_000)
    service = BatchService(BatchStore(tmp_path / "batches.sqlite3"), _no_client)
    failures: list[str] = []
    service.failed.connect(failures.append)

    def append(_batch_id: str, _rows: int) -> None:  # someone adds to the file after the first chunk
        with table.open("a") as handle:
            handle.write("late row,0\n")

    service.ingest_progress.connect(append)
    new = NewBatch(
        profile="Demo", workflow_id=demo.ECHO_ID, workflow_name="Echo", inputs=INPUTS,
        source=TableSource(path=table), mapping={"message": "message"},
    )  # fmt: skip
    assert arun(service.create(new), timeout=60_000) is None
    assert failures and "changed while it was being read" in failures[0]
    assert service.batches() == []  # nothing half-read is kept, nothing ran
    arun(service.aclose())
