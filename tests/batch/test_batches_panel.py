"""The Batches panel end to end against the sandbox over loopback: a table in, the mapping and the
preview with problems flagged, start, live progress, results filtered, retry, export, a row in the
console; and the bad inputs the form must refuse with a clear sentence before anything is sent."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QComboBox

from simdesk.api import SimClient
from simdesk.core.batch_store import BatchState, BatchStore, RowState, RunMode
from simdesk.core.budget import RequestBudget
from simdesk.sandbox import demo
from simdesk.sandbox.server import RunningSandbox
from simdesk.services.batch_runner import BatchProgress
from simdesk.services.batches import BatchService
from simdesk.ui.batch_new import NewBatchDialog
from simdesk.ui.batches_panel import BatchesPanel


class Harness:
    """A service over a store in ``tmp_path``, its panel, and one client to the sandbox."""

    def __init__(self, sb: RunningSandbox, tmp_path: Path, qtbot: Any) -> None:
        self.sb = sb
        self.tmp_path = tmp_path
        self.client: SimClient | None = None
        self.store = BatchStore(tmp_path / "batches.sqlite3")
        self.service = BatchService(self.store, self.client_for)
        self.confirmations: list[str] = []
        self.opened: list[tuple[str, dict[str, Any]]] = []
        self.ended: list[BatchProgress] = []
        self.panel = BatchesPanel(
            self.service,
            profile=lambda: "Demo",
            workflows=lambda: [(demo.ECHO_ID, "Echo"), (demo.TRIAGE_ID, "Ticket Triage")],
            current_workflow=lambda: demo.TRIAGE_ID,
            confirm=self.confirm,
            save_as=lambda _parent, name: str(tmp_path / "results.csv"),
        )
        qtbot.addWidget(self.panel)
        self.panel.open_in_console.connect(lambda wf, values: self.opened.append((wf, values)))
        self.service.batch_ended.connect(self.ended.append)

    async def client_for(self, _profile: str) -> SimClient:
        if self.client is None:
            # as the app's pool makes them: with the profile's request budget
            self.client = SimClient(self.sb.base_url, self.sb.api_key, budget=RequestBudget())
        return self.client

    def confirm(self, _parent: Any, _title: str, text: str) -> bool:
        self.confirmations.append(text)
        return True

    def close(self, arun: Any) -> None:
        arun(self.service.aclose())
        if self.client is not None:
            arun(self.client.aclose())


@pytest.fixture
def harness(realtime_sandbox: RunningSandbox, tmp_path: Path, qtbot: Any, arun: Any) -> Iterator[Harness]:
    made = Harness(realtime_sandbox, tmp_path, qtbot)
    yield made
    made.close(arun)


def _ready_dialog(h: Harness, qtbot: Any, table: Path) -> NewBatchDialog:
    dialog = h.panel.new_batch()
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.shape is not None and dialog.shape.workflow_id == demo.TRIAGE_ID)
    dialog.set_file(table)
    qtbot.waitUntil(lambda: dialog.preview is not None or bool(dialog.problem and "Reading" not in dialog.problem))
    return dialog


def test_a_table_runs_from_the_panel_with_bad_rows_flagged_and_never_sent(
    harness: Harness, qtbot: Any, tmp_path: Path, arun: Any
) -> None:
    h = harness
    table = tmp_path / "tickets.csv"
    rows = [("Ticket", "Tags", "Notes")] + [(f"ticket {i}", f'["t{i}"]', "x") for i in range(1, 31)]
    rows[7] = ("ticket 7", "not a list", "x")  # a wrong-typed value: never sent
    with table.open("w", newline="") as handle:
        csv.writer(handle).writerows(rows)
    before = set(h.sb.state.runs)

    dialog = _ready_dialog(h, qtbot, table)
    # The mapping is automatic (case ignored) and the unused column is named
    assert dialog.mapping == {"ticket": "Ticket", "tags": "Tags"}
    assert "Notes" in dialog.notes.text() and "no input takes them" in dialog.notes.text()
    # The preview flags row 7 with the reason, before anything is sent
    bad = [row for row in dialog.checked if not row.ok]
    assert [row.number for row in bad] == [7]
    assert "tags" in bad[0].summary()
    assert "1 of the first 30 rows have problems" in dialog.notes.text()
    cell = dialog.preview_table.item(6, 3)
    assert cell is not None and cell.text() == bad[0].summary()
    assert set(h.sb.state.runs) == before
    # The concurrency is capped at what the plan's sync bucket holds, and says why
    qtbot.waitUntil(lambda: "bucket" in dialog.concurrency.toolTip())
    assert dialog.concurrency.maximum() <= 64
    dialog.concurrency.setValue(6)
    assert dialog.start_button.isEnabled()
    dialog.start_button.click()

    qtbot.waitUntil(lambda: bool(h.ended), timeout=20_000)
    final = h.ended[-1]
    assert final.done == 29 and final.failed == 1 and final.waiting == 0
    batch_id = h.panel.current_id()
    assert h.service.get(batch_id).state is BatchState.FINISHED  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: h.panel.bar.value() == 30)
    assert h.panel.counts_label.text() == "done 29 · failed 1 · running 0 · waiting 0"
    assert "cost" in h.panel.pace_label.text()
    sent = [run.input for rid, run in h.sb.state.runs.items() if rid not in before]
    from collections import Counter

    assert len(sent) == 29, [(k, v) for k, v in Counter(str(x) for x in sent).items() if v > 1] + [len(before)]
    assert not any(inp.get("ticket") == "ticket 7" for inp in sent)

    # Results: one column per output, filterable by status and by text
    model = h.panel.model
    assert model.rowCount() == 30 and model.output_columns
    h.panel.status_filter.setCurrentIndex(2)  # Failed
    assert model.rowCount() == 1 and model.row_at(0).number == 7  # type: ignore[union-attr]
    h.panel.status_filter.setCurrentIndex(0)
    h.panel.search.setText("ticket 12")
    assert [model.row_at(i).number for i in range(model.rowCount())] == [12]  # type: ignore[union-attr]

    # A row's input goes to the console
    h.panel.table.selectRow(0)
    assert h.panel.open_selected()
    assert h.opened == [(demo.TRIAGE_ID, {"ticket": "ticket 12", "tags": ["t12"]})]
    h.panel.search.clear()

    # Retry: the invalid row stays invalid (never sent); nothing else failed, so nothing to retry
    assert h.panel.retry_failed() == 0
    # Export on a worker thread
    h.panel.export()
    qtbot.waitUntil(lambda: "saved to results.csv" in h.panel.last_message)
    with (tmp_path / "results.csv").open(newline="") as handle:
        exported = list(csv.DictReader(handle))
    assert len(exported) == 30 and exported[6]["status"] == "invalid"


def test_retry_runs_the_failed_rows_again(harness: Harness, qtbot: Any, tmp_path: Path) -> None:
    h = harness
    table = tmp_path / "t.csv"
    table.write_text("ticket,tags\n" + "".join(f'r{i},"[1]"\n' for i in range(6)))
    dialog = _ready_dialog(h, qtbot, table)
    dialog.start_button.click()
    qtbot.waitUntil(lambda: bool(h.ended), timeout=20_000)
    batch_id = h.panel.current_id()
    for number in (2, 5):  # as a run that failed on Sim leaves its row
        h.store.finish(batch_id, number, RowState.FAILED, ended_at=0.0, error="boom", error_code="RUN_FAILED")
    h.panel.show_batch(batch_id)
    h.panel.status_filter.setCurrentIndex(2)  # Failed
    assert [h.panel.model.row_at(i).number for i in range(2)] == [2, 5]  # type: ignore[union-attr]
    before = len(h.sb.state.runs)
    assert h.panel.retry_failed() == 2
    qtbot.waitUntil(lambda: len(h.ended) == 2, timeout=20_000)
    assert h.store.counts(batch_id)[RowState.DONE] == 6
    assert len(h.sb.state.runs) == before + 2  # only those two ran again
    assert [row.attempts for row in h.store.rows(batch_id)] == [1, 2, 1, 1, 2, 1]
    qtbot.waitUntil(lambda: h.panel.model.rowCount() == 0)  # the failed filter is empty now


def test_cancel_asks_first_and_stops_every_row_not_yet_sent(harness: Harness, qtbot: Any, tmp_path: Path) -> None:
    h = harness
    table = tmp_path / "t.jsonl"
    table.write_text("".join(f'{{"ticket": "r{i}", "tags": [1]}}\n' for i in range(400)))
    dialog = _ready_dialog(h, qtbot, table)
    dialog.concurrency.setValue(1)
    dialog.start_button.click()
    qtbot.waitUntil(lambda: h.panel.pause_button.isEnabled(), timeout=10_000)
    h.panel.cancel()
    assert "cancelled on Sim" in h.confirmations[0]
    qtbot.waitUntil(lambda: bool(h.ended), timeout=20_000)
    final = h.ended[-1]
    assert final.state is BatchState.CANCELLED
    counts = h.store.counts(h.panel.current_id())
    assert counts[RowState.WAITING] == 0 and counts[RowState.SENDING] == 0
    assert counts[RowState.CANCELLED] > 0 and counts[RowState.DONE] < 400


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "cannot be opened"),  # no such file
        (b"", "no rows"),
        (b"ticket,tags\n", "no rows"),
        (b"\xff\xfe\x00bad", "not UTF-8"),
        (b'[{"ticket": "a"', "ends before its closing"),
    ],
    ids=["missing", "empty", "header-only", "not-utf8", "cut-json"],
)
def test_a_table_that_cannot_be_used_says_why_and_sends_nothing(
    harness: Harness, qtbot: Any, tmp_path: Path, content: bytes | None, expected: str
) -> None:
    h = harness
    table = tmp_path / ("t.json" if content and content.startswith(b"[") else "t.csv")
    if content is not None:
        table.write_bytes(content)
    before = set(h.sb.state.runs)
    dialog = _ready_dialog(h, qtbot, table)
    qtbot.waitUntil(lambda: expected in dialog.notes.text())
    assert not dialog.start_button.isEnabled()
    assert dialog.new_batch() is None
    assert set(h.sb.state.runs) == before and h.service.batches() == []


def test_a_mapping_that_fills_nothing_cannot_start(harness: Harness, qtbot: Any, tmp_path: Path) -> None:
    h = harness
    table = tmp_path / "t.csv"
    table.write_text("subject,labels\nhello,[]\n")
    dialog = _ready_dialog(h, qtbot, table)
    assert dialog.mapping == {"ticket": None, "tags": None}
    assert "No column fills any input" in dialog.notes.text()
    assert not dialog.start_button.isEnabled()
    combo = dialog.map_table.cellWidget(0, 1)
    assert isinstance(combo, QComboBox)
    combo.setCurrentIndex(combo.findData("subject"))  # the person maps it by hand
    qtbot.waitUntil(lambda: dialog.mapping["ticket"] == "subject" and dialog.start_button.isEnabled())
    assert dialog.checked[0].values == {"ticket": "hello"}


def test_a_pasted_table_is_previewed_like_a_file(harness: Harness, qtbot: Any) -> None:
    dialog = harness.panel.new_batch()
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.shape is not None)
    dialog.set_text("ticket\ttags\nprinter on fire\t[1]\n")
    qtbot.waitUntil(lambda: dialog.preview is not None)
    new = dialog.new_batch()
    assert new is not None and new.source.label == "pasted table" and new.mode is RunMode.SYNC
