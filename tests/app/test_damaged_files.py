"""simdesk's own files, damaged on disk: the app starts, sets the damage aside and says where.

Real files throughout: each store is written, then broken the way a crash, a full disk or a sync
tool breaks files (cut short, a junk header, a page of zeros, something else entirely), then
opened again. Nothing may be wiped: the old bytes must be found, unchanged, under the name the
message gives.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from simdesk.core import sqlite_store
from simdesk.core.jobs.model import Job, JobStatus, Origin
from simdesk.core.jobs.store import JobStore
from simdesk.core.paths import AppPaths
from simdesk.core.profiles import Profile, ProfileError, ProfileStore
from simdesk.core.run_history import RunHistory, RunStart
from simdesk.core.usage_history import Sample, UsageHistory


@dataclass(frozen=True)
class StoreKind:
    """How to open one store, put a record in, and count its records."""

    name: str
    file: str
    open: Callable[[Path], Any]
    add: Callable[[Any, int], None]
    count: Callable[[Any], int]


def _job(n: int) -> Job:
    return Job(
        id=f"job-{n}", profile="p", workflow_id="wf", run_id=f"run-{n}", created_at=float(n),
        status=JobStatus.RUNNING, origin=Origin.STARTED,
    )  # fmt: skip


def _add_run(history: RunHistory, n: int) -> None:
    history.begin(RunStart(f"k{n}", "p", "wf", "Echo", "sync", {"n": n}, started_at=float(n + 1)))
    assert history.flush()


STORES = [
    StoreKind("jobs", "jobs.sqlite3", JobStore, lambda s, n: s.insert(_job(n)), lambda s: s.count()),
    StoreKind("runs", "runs.sqlite3", RunHistory, _add_run, lambda s: len(s.recent(limit=10_000))),
    StoreKind(
        "usage",
        "usage.sqlite",
        lambda p: UsageHistory(p, keep_days=0),
        lambda s, n: s.record([Sample("p", float(n), "spend", float(n))]),
        lambda s: len(s.series("p", 0).get("spend", [])),
    ),
]


def _written(kind: StoreKind, path: Path, records: int = 200) -> None:
    store = kind.open(path)
    for n in range(records):
        kind.add(store, n)
    store.close()  # the last connection closed: the WAL is folded into the main file


def _truncate(path: Path) -> None:
    os.truncate(path, path.stat().st_size // 2 + 100)


def _junk_header(path: Path) -> None:
    with path.open("r+b") as handle:
        handle.write(b"this is not sqlite, it is junk!!")


def _zero_page(path: Path) -> None:
    page = 4096
    with path.open("r+b") as handle:
        handle.seek(page)  # page 2: the first table's root
        handle.write(bytes(page))


def _not_a_database(path: Path) -> None:
    path.write_text("[settings]\ntheme=dark\n" * 50, encoding="utf-8")


DAMAGE = {"truncated": _truncate, "junk-header": _junk_header, "zeroed-page": _zero_page, "text": _not_a_database}


@pytest.fixture(params=STORES, ids=lambda k: k.name)
def kind(request: pytest.FixtureRequest) -> StoreKind:
    return request.param  # type: ignore[no-any-return]


@pytest.mark.parametrize("damage", DAMAGE.values(), ids=DAMAGE.keys())
def test_a_damaged_store_is_set_aside_with_a_timestamp_and_a_fresh_one_starts(
    kind: StoreKind, damage: Callable[[Path], None], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / kind.file
    _written(kind, path)
    damage(path)
    broken = path.read_bytes()
    with caplog.at_level(logging.ERROR, "simdesk.core.sqlite"):
        store = kind.open(path)
    try:
        problem = store.problem
        assert problem is not None and problem.moved_to is not None
        assert problem.moved_to.name.startswith(f"{kind.file}.damaged-20")
        assert problem.moved_to.read_bytes() == broken  # nothing wiped
        assert str(problem.moved_to) in problem.message and "damaged" in problem.message
        assert str(problem.moved_to) in caplog.text
        assert kind.count(store) == 0
        kind.add(store, 1)  # the fresh store works
        assert kind.count(store) == 1
    finally:
        store.close()
    with contextlib.closing(sqlite3.connect(path)) as check:
        assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_a_healthy_store_opens_without_a_problem(kind: StoreKind, tmp_path: Path) -> None:
    path = tmp_path / kind.file
    _written(kind, path, records=3)
    store = kind.open(path)
    try:
        assert store.problem is None and kind.count(store) == 3
    finally:
        store.close()
    assert [p.name for p in tmp_path.iterdir() if ".damaged-" in p.name] == []


@pytest.fixture
def held_lock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Path], None]]:
    """Another process's exclusive lock on a store (as a second simdesk writing would hold it)."""
    monkeypatch.setattr(sqlite_store, "OPEN_TIMEOUT_S", 0.05)
    holders: list[sqlite3.Connection] = []

    def hold(path: Path) -> None:
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("PRAGMA locking_mode=EXCLUSIVE")
        conn.execute("BEGIN EXCLUSIVE")
        holders.append(conn)

    yield hold
    for conn in holders:
        conn.close()


def test_a_locked_store_is_left_alone_and_this_session_keeps_its_records_aside(
    kind: StoreKind, tmp_path: Path, held_lock: Callable[[Path], None]
) -> None:
    path = tmp_path / kind.file
    _written(kind, path, records=5)
    before = path.read_bytes()
    held_lock(path)
    store = kind.open(path)
    try:
        assert store.problem is not None and store.problem.moved_to is None
        assert "locked" in store.problem.message and "another simdesk" in store.problem.message
        assert "session only" in store.problem.message
        kind.add(store, 99)  # the session still works, on its own throw-away file
        assert kind.count(store) == 1
        session_file = Path(store.path)
        assert session_file != path and session_file.exists()
    finally:
        store.close()
    assert not session_file.exists()
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if ".damaged-" in p.name] == []


def test_a_store_linked_outside_its_folder_is_not_written_through(kind: StoreKind, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere" / "precious.sqlite3"
    outside.parent.mkdir()
    _written(kind, outside, records=2)
    before = outside.read_bytes()
    data = tmp_path / "data"
    data.mkdir()
    link = data / kind.file
    link.symlink_to(outside)
    store = kind.open(link)
    try:
        assert store.problem is not None and store.problem.moved_to is not None
        assert store.problem.moved_to.is_symlink() and store.problem.moved_to.resolve() == outside
        assert "outside its folder" in store.problem.message
        kind.add(store, 7)
        assert kind.count(store) == 1
    finally:
        store.close()
    assert not link.is_symlink() and link.is_file()
    assert outside.read_bytes() == before


def test_a_store_linked_inside_its_folder_is_used(kind: StoreKind, tmp_path: Path) -> None:
    real = tmp_path / "stores" / kind.file
    real.parent.mkdir()
    _written(kind, real, records=2)
    link = tmp_path / kind.file
    link.symlink_to(Path("stores") / kind.file)
    store = kind.open(link)
    try:
        assert store.problem is None and kind.count(store) == 2
    finally:
        store.close()


# --- the window ----------------------------------------------------------------------------------


def test_the_window_says_which_store_was_damaged_and_where_the_old_file_is(
    app_paths: AppPaths, make_app: Callable[..., Any], memory_keyring: Any, qtbot: Any
) -> None:
    jobs = app_paths.data / "jobs.sqlite3"
    _written(STORES[0], jobs, records=3)
    _junk_header(jobs)
    ctx = make_app(app_paths)
    ctx.install_jobs()
    notice = ctx.window.notice.text.text()
    assert "job list" in notice and "damaged" in notice
    aside = next(p for p in app_paths.data.iterdir() if p.name.startswith("jobs.sqlite3.damaged-"))
    assert str(aside) in notice
    assert not ctx.window.notice.isHidden()


def test_the_window_says_the_run_history_was_set_aside(
    app_paths: AppPaths, make_app: Callable[..., Any], memory_keyring: Any
) -> None:
    runs = app_paths.data / "runs.sqlite3"
    _written(STORES[1], runs, records=3)
    _zero_page(runs)
    ctx = make_app(app_paths)
    ctx.start(environ={}, check=False)
    ctx.install_workbench()
    [aside] = app_paths.data.glob("runs.sqlite3.damaged-*")
    assert "run history" in ctx.window.notice.text.text() and str(aside) in ctx.window.notice.text.text()


def test_the_window_says_so_when_the_usage_history_is_locked(
    app_paths: AppPaths,
    make_app: Callable[..., Any],
    memory_keyring: Any,
    qtbot: Any,
    held_lock: Callable[[Path], None],
) -> None:
    usage = app_paths.data / "usage.sqlite"
    _written(STORES[2], usage, records=3)
    held_lock(usage)
    ctx = make_app(app_paths)
    ctx.install_usage()
    qtbot.waitUntil(lambda: "usage history" in ctx.window.notice.text.text(), timeout=10_000)
    assert "another simdesk" in ctx.window.notice.text.text()


# --- the profiles file ---------------------------------------------------------------------------

GOOD = {"name": "Staging", "base_url": "https://sim.example.com", "color": "#16a34a"}


def _profiles_json(*entries: object) -> str:
    return json.dumps({"version": 1, "profiles": list(entries)}, ensure_ascii=False)


@pytest.fixture
def immutable() -> Iterator[Callable[[Path], None]]:
    """``chattr +i`` (root only; ext4/xfs/btrfs/tmpfs), undone after the test so it can be cleaned up."""
    marked: list[Path] = []

    def mark(path: Path) -> None:
        if subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode != 0:
            pytest.skip("chattr +i is not available here (needs root and a file system that has it)")
        marked.append(path)

    yield mark
    for path in reversed(marked):
        subprocess.run(["chattr", "-i", str(path)], check=False)


def _aside(path: Path) -> list[Path]:
    return sorted(path.parent.glob(f"{path.name}.damaged-*"))


@pytest.mark.parametrize(
    "content",
    [
        bytes(range(256)) * 8,
        ('{"profiles": [' + "[" * 200_000 + "]" * 200_000 + "]}").encode(),
        b"\x00" * 4096,
        b'{"profiles": {"Staging": "https://sim.example.com"}}',
    ],
    ids=["binary", "nested-too-deep", "zeros", "wrong-shape"],
)
def test_an_unreadable_profile_file_is_copied_aside_and_loads_empty(content: bytes, tmp_path: Path) -> None:
    path = tmp_path / "profiles.json"
    path.write_bytes(content)
    store = ProfileStore(path)
    assert store.profiles() == []
    [copy] = _aside(path)
    assert copy.read_bytes() == content
    assert store.problem is not None and str(copy) in store.problem
    store.put(Profile.create("New"))  # saving works again, over the unreadable file
    assert ProfileStore(path).names() == ["New"] and copy.read_bytes() == content


def test_the_profiles_that_parse_are_loaded_and_the_rest_kept_in_a_copy(tmp_path: Path) -> None:
    path = tmp_path / "profiles.json"
    text = _profiles_json({"name": ""}, GOOD, 5, {"name": "Bad colour", "color": "red"}, {**GOOD, "name": "Prod"})
    path.write_text(text, encoding="utf-8")
    store = ProfileStore(path)
    assert store.names() == ["Staging", "Prod"]
    [copy] = _aside(path)
    assert copy.read_text(encoding="utf-8") == text
    assert store.problem is not None and "3 profile(s)" in store.problem and str(copy) in store.problem


def test_invalid_utf8_loads_what_it_can_and_keeps_the_original_bytes(tmp_path: Path) -> None:
    path = tmp_path / "profiles.json"
    raw = _profiles_json({**GOOD, "name": "Caf\u00e9"}, {**GOOD, "name": "Prod"}).encode().replace(b"\xc3\xa9", b"\xe9")
    path.write_bytes(raw)
    store = ProfileStore(path)
    assert store.names() == ["Caf\ufffd", "Prod"]
    [copy] = _aside(path)
    assert copy.read_bytes() == raw and store.problem is not None


def test_a_byte_order_mark_is_valid_utf8_and_loads(tmp_path: Path) -> None:
    path = tmp_path / "profiles.json"
    path.write_bytes(b"\xef\xbb\xbf" + _profiles_json(GOOD).encode())
    store = ProfileStore(path)
    assert store.names() == ["Staging"] and store.problem is None and _aside(path) == []


def test_a_folder_in_place_of_the_profile_file_is_moved_aside_whole(tmp_path: Path) -> None:
    path = tmp_path / "profiles.json"
    path.mkdir()
    (path / "inside.txt").write_text("keep me")
    store = ProfileStore(path)
    assert store.profiles() == [] and store.problem is not None
    [moved] = _aside(path)
    assert (moved / "inside.txt").read_text() == "keep me"
    store.put(Profile.create("New"))
    assert ProfileStore(path).names() == ["New"]


def test_an_immutable_profile_file_loads_and_a_save_says_why_it_failed(
    tmp_path: Path, immutable: Callable[[Path], None]
) -> None:
    path = tmp_path / "profiles.json"
    text = _profiles_json(GOOD)
    path.write_text(text, encoding="utf-8")
    immutable(path)
    store = ProfileStore(path)
    assert store.names() == ["Staging"] and store.problem is None
    with pytest.raises(ProfileError, match=r"could not be saved.*read-only"):
        store.put(Profile.create("New"))
    assert store.names() == ["Staging"]  # memory and disk still agree
    assert path.read_text(encoding="utf-8") == text


def test_a_damaged_file_in_an_immutable_folder_is_not_overwritten(
    tmp_path: Path, immutable: Callable[[Path], None]
) -> None:
    folder = tmp_path / "config"
    folder.mkdir()
    path = folder / "profiles.json"
    path.write_bytes(b"\xff\xfe garbage")
    immutable(folder)
    store = ProfileStore(path)  # no copy can be made beside it
    assert store.profiles() == [] and store.problem is not None and "will not be overwritten" in store.problem
    with pytest.raises(ProfileError, match="cannot be saved"):
        store.put(Profile.create("New"))
    assert path.read_bytes() == b"\xff\xfe garbage"


def test_the_window_tells_of_a_damaged_profile_file(
    app_paths: AppPaths, make_app: Callable[..., Any], memory_keyring: Any
) -> None:
    app_paths.profiles_file.write_text(_profiles_json(GOOD, {"name": "x" * 500}), encoding="utf-8")
    ctx = make_app(app_paths)
    ctx.start(environ={}, check=False)
    assert ctx.profiles.names() == ["Staging"]
    [copy] = _aside(app_paths.profiles_file)
    assert str(copy) in ctx.window.notice.text.text()


# --- links out of the data folder ----------------------------------------------------------------


def test_settings_linked_outside_their_folder_are_not_written_through(
    app_paths: AppPaths, make_app: Callable[..., Any], memory_keyring: Any, tmp_path: Path
) -> None:
    outside = tmp_path / "dotfiles"
    outside.mkdir()
    targets = {}
    for file in (app_paths.settings_file, app_paths.state_file):
        targets[file] = outside / file.name
        targets[file].write_text("[General]\nkeep=me\n", encoding="utf-8")
        file.symlink_to(targets[file])
    ctx = make_app(app_paths)
    ctx.start(environ={}, check=False)
    ctx.window.set_theme("dark")
    ctx.window.request_quit()  # saves the layout into the state file
    ctx.settings.sync()
    for file, target in targets.items():
        assert target.read_text(encoding="utf-8") == "[General]\nkeep=me\n"
        assert file.is_file() and not file.is_symlink()
        [link] = file.parent.glob(f"{file.name}.symlink-*")
        assert link.is_symlink() and link.resolve() == target
    assert "theme" in app_paths.settings_file.read_text(encoding="utf-8")
    assert "outside its folder" in ctx.window.notice.text.text()


def test_a_log_file_linked_outside_its_folder_is_not_appended_to(tmp_path: Path) -> None:
    root = tmp_path / "simdesk"
    paths = AppPaths.under(root).ensure()
    outside = tmp_path / "elsewhere.txt"
    outside.write_text("mine\n", encoding="utf-8")
    paths.log_file.symlink_to(outside)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    env.pop("SIM_API_KEY", None)
    result = subprocess.run(
        [sys.executable, "-m", "simdesk", "--data-dir", str(root), "--exit-after-startup"],
        cwd=Path(__file__).resolve().parents[2], env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert outside.read_text(encoding="utf-8") == "mine\n"
    assert not paths.log_file.is_symlink() and "outside its folder" in paths.log_file.read_text(encoding="utf-8")
    [link] = paths.logs.glob("simdesk.log.symlink-*")
    assert link.resolve() == outside
