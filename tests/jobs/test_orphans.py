"""Jobs whose profile no longer exists (a session-only profile after a restart): a clear state
instead of "Checking failed unexpectedly", stored results kept, and an offer to attach them to
another profile or delete them after a yes."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from simdesk.app.jobs import client_getter
from simdesk.core.jobs.model import Job, JobStatus
from simdesk.core.jobs.store import JobStore
from simdesk.models.jobs.table import Column
from simdesk.services.jobs.service import JobService
from simdesk.ui.jobs.panel import JobsPanel

NOW = 1_787_316_000.0


class _Profiles:
    """The profile service as the tracker sees it: "Demo" and "Work" exist, "Session" is gone."""

    def names(self) -> list[str]:
        return ["Demo", "Work"]

    def get(self, name: str) -> object | None:
        return object() if name in self.names() else None


def _job(n: int, profile: str, status: JobStatus, **kw: Any) -> Job:
    base = Job(id=f"j{n}", profile=profile, workflow_id="wf", run_id=f"run-{n}", created_at=NOW - n,
               workflow_name="Flow", status=status, acknowledged=True)  # fmt: skip
    return replace(base, **kw)


def test_jobs_of_a_vanished_profile_say_so_keep_results_and_can_be_attached_or_deleted(
    tmp_path: Path, settings: Any, qtbot: Any, qloop: Any
) -> None:
    store = JobStore(tmp_path / "jobs.sqlite3")
    store.insert_many([
        _job(1, "Session", JobStatus.COMPLETED, output={"answer": 42}),
        _job(2, "Session", JobStatus.RUNNING),
        _job(3, "Demo", JobStatus.COMPLETED, output={"answer": 7}),
    ])  # fmt: skip
    profiles = _Profiles()
    service = JobService(store, client_getter(profiles, pool=None))  # type: ignore[arg-type]
    answers: list[bool] = []

    def confirm(_parent: Any, _title: str, text: str) -> bool:
        answers.append("Session" in text)
        return len(answers) > 1  # "no" the first time, "yes" the second

    panel = JobsPanel(service, settings, profiles=profiles.names, now=lambda: NOW, confirm=confirm)
    qtbot.addWidget(panel)
    panel.show()

    # a clear state, not "Checking failed unexpectedly"
    with qtbot.waitSignal(service.failed, timeout=5000) as failed:
        service.request_refresh(["j1"])
    assert failed.args[0].startswith("Profile “Session” no longer exists, so its runs cannot be checked")
    assert "unexpectedly" not in panel.message.text()
    assert panel.orphans.isVisible() and panel.orphans.missing() == ["Session"]
    assert panel.orphans.text.text().startswith("Profile “Session” no longer exists: its 2 runs cannot be checked")
    row = panel.model.row_of("j1")
    assert row is not None
    tooltip = panel.model.index(row, Column.STATUS).data(0x0003)  # ToolTipRole
    assert "Profile “Session” no longer exists" in tooltip
    assert panel.model.index(row, Column.PROFILE).data() == "Session (no longer exists)"
    assert service.get("j1").output == {"answer": 42}  # type: ignore[union-attr]

    # delete asks first; "no" keeps them
    assert not panel.orphans.delete()
    assert answers == [True] and service.get("j1") is not None

    # attach to another profile: results kept, the banner goes, unfinished runs are followed there
    panel.orphans.target.setCurrentText("Work")
    assert panel.orphans.attach()
    moved = service.get("j1")
    assert moved is not None and moved.profile == "Work" and moved.output == {"answer": 42}
    assert "Attached to “Work”" in (moved.note or "")
    assert panel.model.index(panel.model.row_of("j1"), Column.PROFILE).data() == "Work"  # type: ignore[arg-type]
    assert any(j.id == "j2" and j.profile == "Work" for j in service.tracker.scheduler.tracked())
    assert panel.orphans.isHidden()
    assert service.get("j3").profile == "Demo"  # type: ignore[union-attr]

    # another orphan, deleted after a yes
    store.insert(_job(4, "Gone", JobStatus.FAILED, error="boom"))
    service.jobs_reset.emit(service.jobs())
    assert panel.orphans.missing() == ["Gone"]
    assert panel.orphans.delete()
    assert service.get("j4") is None and panel.orphans.isHidden()
    store.close()
