"""The jobs table model and its proxy: qtmodeltester-clean, narrow signals, filters, sorting."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from PySide6.QtCore import Qt

from simdesk.core.jobs.model import Job, JobStatus
from simdesk.models.jobs.filters import JobFilterProxy, JobFilters
from simdesk.models.jobs.table import Column, JobRole, JobTableModel, SortRole, StatusRole

NOW = 1_787_316_000.0


def _job(n: int, status: JobStatus = JobStatus.RUNNING, **kw: Any) -> Job:
    base = Job(
        id=f"job-{n}", profile="demo" if n % 2 else "work", workflow_id=f"wf-{n % 3}", run_id=f"run-{n}",
        created_at=NOW - 100 * n, workflow_name=f"Flow {n % 3}", status=status, acknowledged=True,
    )  # fmt: skip
    return replace(base, **kw)


def _model(jobs: list[Job]) -> JobTableModel:
    model = JobTableModel(now=lambda: NOW)
    model.reset(jobs)
    return model


def test_model_and_proxy_pass_qtmodeltester(qtmodeltester: Any) -> None:
    model = _model([_job(n, status) for n, status in enumerate(JobStatus)])
    qtmodeltester.check(model)
    proxy = JobFilterProxy(model)
    proxy.sort(Column.ELAPSED, Qt.SortOrder.DescendingOrder)
    proxy.set_filters(JobFilters(statuses=frozenset({JobStatus.RUNNING, JobStatus.FAILED})))
    qtmodeltester.check(proxy)


def test_cells_show_words_and_sort_by_values() -> None:
    job = _job(1, started_at=NOW - 125, last_checked_at=NOW - 12, cost=0.15, progress="7/12 · 58%")
    model = _model([job])

    def cell(column: Column, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        return model.index(0, column).data(role)

    assert [cell(c) for c in Column][:2] == ["Flow 1", "demo"]
    assert cell(Column.STATUS) == "Running" and cell(Column.STATUS, StatusRole) == "running"
    assert (cell(Column.ELAPSED), cell(Column.CHECKED), cell(Column.COST)) == ("2 min 05 s", "12 s ago", "$0.150")
    assert cell(Column.ELAPSED, SortRole) == 125 and cell(Column.COST, SortRole) == 0.15
    assert cell(Column.PROGRESS) == "7/12 · 58%" and cell(Column.WORKFLOW, JobRole) == job
    assert "run-1" in cell(Column.WORKFLOW, Qt.ItemDataRole.ToolTipRole)


def test_apply_signals_only_changed_rows_coalesced(qtbot: Any) -> None:
    jobs = [_job(n) for n in range(10)]
    model = _model(jobs)
    seen: list[tuple[int, int]] = []
    model.dataChanged.connect(lambda a, b, roles=(): seen.append((a.row(), b.row())))
    inserted: list[tuple[int, int]] = []
    model.rowsInserted.connect(lambda _p, first, last: inserted.append((first, last)))
    changed = [replace(jobs[n], status=JobStatus.COMPLETED) for n in (2, 3, 4, 8)]
    model.apply([*changed, jobs[0], _job(10), _job(11)])  # jobs[0] is unchanged: no signal for it
    assert seen == [(2, 4), (8, 8)] and inserted == [(10, 11)]
    assert model.rowCount() == 12 and model.counts()[JobStatus.COMPLETED] == 4


def test_remove_rows_and_keep_the_index(qtbot: Any) -> None:
    model = _model([_job(n) for n in range(6)])
    model.remove(["job-1", "job-2", "job-4", "nope"])
    assert [j.id for j in model.jobs()] == ["job-0", "job-3", "job-5"] and model.row_of("job-5") == 2


def test_filters_by_status_workflow_profile_and_text() -> None:
    jobs = [_job(n, status) for n, status in enumerate(JobStatus)]
    jobs.append(_job(20, JobStatus.FAILED, error="HTTP 1: 502 from upstream"))
    proxy = JobFilterProxy(_model(jobs))

    def shown(filters: JobFilters) -> set[str]:
        proxy.set_filters(filters)
        return {proxy.job(proxy.index(r, 0)).id for r in range(proxy.rowCount())}  # type: ignore[union-attr]

    assert len(shown(JobFilters())) == len(jobs)
    assert shown(JobFilters(statuses=frozenset({JobStatus.FAILED}))) == {"job-4", "job-20"}
    assert shown(JobFilters(workflow_id="wf-0")) == {"job-0", "job-3", "job-6"}
    assert shown(JobFilters(profile="work")) == {"job-0", "job-2", "job-4", "job-6", "job-20"}
    assert shown(JobFilters(text="502 FROM")) == {"job-20"}
    assert shown(JobFilters(text="run-5")) == {"job-5"}


def test_filters_survive_a_json_round_trip() -> None:
    filters = JobFilters(frozenset({JobStatus.PAUSED, JobStatus.FAILED}), "wf-1", "demo", "report")
    assert JobFilters.from_json(filters.to_json()) == filters
    assert filters.active and not JobFilters().active
    assert JobFilters.from_json("{nonsense") == JobFilters() == JobFilters.from_json('{"statuses": ["bogus"]}')
    assert filters.with_status(JobStatus.PAUSED, False).statuses == {JobStatus.FAILED}


def test_sorting_uses_values_not_text() -> None:
    jobs = [
        _job(1, started_at=NOW - 9),
        _job(2, started_at=NOW - 600),
        _job(3, started_at=NOW - 70),
    ]  # elapsed 9 s, 10 min, 1 min 10 s: as text "9 s" would sort last
    proxy = JobFilterProxy(_model(jobs))
    proxy.sort(Column.ELAPSED, Qt.SortOrder.AscendingOrder)
    assert [proxy.index(r, 0).data(JobRole).id for r in range(3)] == ["job-1", "job-3", "job-2"]


def test_tick_repaints_the_clock_columns_once(qtbot: Any) -> None:
    model = _model([_job(n) for n in range(5)])
    with qtbot.waitSignal(model.dataChanged) as blocker:
        model.tick()
    first, last = blocker.args[0], blocker.args[1]
    assert (first.row(), first.column(), last.row(), last.column()) == (0, Column.ELAPSED, 4, Column.PROGRESS)
