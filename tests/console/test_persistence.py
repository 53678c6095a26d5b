"""History, presets and the catalogue cache on disk."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from simdesk.core.catalogue import Folder, WorkflowInput, WorkflowStatus, WorkflowSummary, Workspace
from simdesk.core.catalogue_cache import CatalogueCache, CatalogueSnapshot, KnownWorkflow, WorkspaceContents
from simdesk.core.presets import PresetStore
from simdesk.core.run_history import RunHistory, RunStart
from simdesk.core.transcript import Outcome


def _start(key: str, started: float, workflow: str = "wf1") -> RunStart:
    return RunStart(
        key, "p", workflow, "Story", "stream", {"topic": "fog"}, {"selectedOutputs": ["a.content"]}, started_at=started
    )


def test_history_keeps_frames_outcome_and_timing_across_a_reopen(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite3"
    history = RunHistory(db)
    history.begin(_start("k1", 100.0))
    history.add_frames("k1", [(0.1, ['{"blockId":"a","chunk":"x"}'], 1), (0.2, ['{"blockId":"a","chunk":"y"}'], 1)])
    history.set_run_id("k1", "run-1")
    history.add_frames("k1", [(0.3, ['{"event":"final","data":{"success":true,"output":{}}}'], 1)])
    history.finish("k1", Outcome("completed", output={}, run_id="run-1"), {"chunks": 2}, ended_at=101.0)
    history.close()

    again = RunHistory(db)
    record = again.last("p")
    assert record is not None
    assert (record.key, record.run_id, record.status, record.frames) == ("k1", "run-1", "completed", 3)
    assert record.input == {"topic": "fog"} and record.options == {"selectedOutputs": ["a.content"]}
    assert record.timing == {"chunks": 2}
    assert record.outcome == Outcome("completed", output={}, run_id="run-1")
    assert [at for at, _ in again.frames("k1")] == [0.1, 0.2, 0.3]
    again.close()


def test_frames_are_readable_before_the_run_ends(tmp_path: Path) -> None:
    history = RunHistory(tmp_path / "h.sqlite3")
    history.begin(_start("k1", 1.0))
    history.add_frames("k1", [(0.1, ['{"blockId":"a","chunks":["x","y"]}'], 2)])  # a packed run
    assert history.flush()
    record = history.get("k1")
    assert record is not None and record.status == "running" and record.frames == 2
    assert list(history.frames("k1")) == [(0.1, '{"blockId":"a","chunk":"x"}'), (0.1, '{"blockId":"a","chunk":"y"}')]
    assert [r.key for r in history.unfinished()] == ["k1"]
    history.close()


def test_recent_is_newest_first_per_workflow_and_prune_keeps_the_newest(tmp_path: Path) -> None:
    history = RunHistory(tmp_path / "h.sqlite3", keep=2)
    for i in range(4):
        history.begin(_start(f"k{i}", float(i + 1), workflow="wf1" if i % 2 else "wf2"))
        history.add_frames(f"k{i}", [(0.0, ["{}"], 1)])
    history.flush()
    assert [r.key for r in history.recent(workflow_id="wf1")] == ["k3", "k1"]
    history.prune()
    history.flush()
    assert [r.key for r in history.recent()] == ["k3", "k2"]
    assert list(history.frames("k0")) == []
    history.close()


def test_presets_per_profile_and_workflow_survive_a_reload(tmp_path: Path) -> None:
    path = tmp_path / "presets.json"
    store = PresetStore(path)
    store.save("p", "wf", "Foggy", {"topic": "fog"})
    store.save("p", "wf", "apple", {"topic": "apples"})
    store.set_last_input("p", "wf", {"topic": "last"})
    store.set_options("p", "wf", {"mode": "stream"})
    store.save("other", "wf", "X", {})
    again = PresetStore(path)
    assert again.names("p", "wf") == ["apple", "Foggy"]
    assert again.get("p", "wf", "Foggy") == {"topic": "fog"}
    assert again.last_input("p", "wf") == {"topic": "last"}
    assert again.options("p", "wf") == {"mode": "stream"}
    assert again.names("other", "wf") == ["X"]
    again.delete("p", "wf", "Foggy")
    assert PresetStore(path).names("p", "wf") == ["apple"]


def test_unreadable_presets_file_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "presets.json"
    path.write_text("{broken")
    assert PresetStore(path).names("p", "wf") == []


def test_catalogue_round_trips_and_comes_back_marked_cached(tmp_path: Path) -> None:
    when = datetime(2026, 8, 21, 10, 0, tzinfo=UTC)
    snap = CatalogueSnapshot(
        workspaces=(Workspace("ws", "Demo", created_at=when),),
        contents={
            "ws": WorkspaceContents(
                "ws",
                (Folder("Agents", "/Agents", "/"),),
                (WorkflowSummary("wf", "Story", "ws", "/Agents", is_deployed=True, last_run_at=when, run_count=3),),
                fetched_at=5.0,
                statuses={"wf": WorkflowStatus(True, when, True)},
            )
        },
        known=(KnownWorkflow("wf9", "Typed", WorkflowStatus(True, when, False), 7.0),),
        inputs={"wf": (WorkflowInput("topic", "string", "What about"),)},
        fetched_at=5.0,
    )
    cache = CatalogueCache(tmp_path)
    cache.save("profile/with:odd chars", snap)
    loaded = cache.load("profile/with:odd chars")
    assert loaded is not None and loaded.cached
    assert loaded.workspaces == snap.workspaces
    assert loaded.contents["ws"] == snap.contents["ws"]
    assert loaded.known == snap.known
    assert loaded.inputs == snap.inputs
    assert cache.load("another") is None


def test_corrupt_catalogue_cache_is_ignored(tmp_path: Path) -> None:
    cache = CatalogueCache(tmp_path)
    cache.path_for("p").parent.mkdir(parents=True, exist_ok=True)
    cache.path_for("p").write_text('{"format": 1, "workspaces": [{"nope": 1}]}')
    assert cache.load("p") is None


def test_the_backlog_counts_frames_not_yet_written(tmp_path: Path) -> None:
    import threading

    history = RunHistory(tmp_path / "h.sqlite3")
    gate = threading.Event()
    history._submit(lambda _conn: gate.wait(5))  # hold the writer
    history.begin(_start("k1", 1.0))
    line = '{"blockId":"a","chunks":["' + "x" * 1_000_000 + '"]}'
    history.add_frames("k1", [(0.1, [line], 1)])
    assert history.backlog >= 1_000_000
    gate.set()
    assert history.flush()
    assert history.backlog == 0
    assert [p for _, p in history.frames("k1")] == ['{"blockId":"a","chunk":"' + "x" * 1_000_000 + '"}']
    history.close()


def test_the_console_header_and_the_history_record_share_one_start() -> None:
    from dataclasses import fields

    from simdesk.core.run_history import RunRecord
    from simdesk.services.runs import RunHeader

    start = _start("k1", 100.0)
    header = RunHeader.of(start, live=False)
    assert isinstance(header, RunStart) and issubclass(RunRecord, RunStart)
    assert {f.name for f in fields(RunHeader)} - {f.name for f in fields(RunStart)} == {"live"}
    assert all(getattr(header, f.name) == getattr(start, f.name) for f in fields(RunStart)) and not header.live
