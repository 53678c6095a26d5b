"""``kill -9`` at random moments while the run history and the usage history write: after each
kill the store reopens, passes ``PRAGMA integrity_check``, and holds every record the child had
seen committed (the job store's own version of this test is tests/jobs/test_crash.py).

Each round starts a child on the same file, lets it commit a random number of records, and
SIGKILLs it while it writes the next; nothing is flushed or closed on the way out.
"""

from __future__ import annotations

import contextlib
import os
import random
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from simdesk.core.run_history import RunHistory
from simdesk.core.usage_history import UsageHistory
from tests.app.kill9_child import FRAMES, frame
from tests.kill9 import run_then_kill

ROUNDS = 4


def _run_and_kill(kind: str, path: Path, first: int, commits: int) -> int:
    """Start the child, wait for ``commits`` commit lines, SIGKILL it; the last number committed."""
    lines = run_then_kill(
        "tests.app.kill9_child",
        kind,
        str(path),
        str(first),
        until=lambda line: int(line.split()[1]) >= first + commits - 1,
    )
    return int(lines[-1].split()[1]) if lines else first - 1


def _integrity(path: Path) -> str:
    with contextlib.closing(sqlite3.connect(path)) as db:
        return str(db.execute("PRAGMA integrity_check").fetchone()[0])


def _check_runs(path: Path, committed: list[int]) -> int:
    history = RunHistory(path)
    try:
        assert history.problem is None
        for n in committed:
            record = history.get(f"run-{n}")
            assert record is not None, f"committed run {n} is missing"
            assert record.status == "completed" and record.frames == FRAMES
            assert [payload for _, payload in history.frames(f"run-{n}")] == [frame(n, i) for i in range(FRAMES)]
        return len(history.recent(limit=100_000))
    finally:
        history.close()


def _check_usage(path: Path, committed: list[int]) -> int:
    history = UsageHistory(path, keep_days=0)
    try:
        assert history.problem is None
        series = history.series("p", 0)
        spent = {int(s.value) for s in series["spend"]}
        assert set(committed) <= spent, f"committed samples missing: {sorted(set(committed) - spent)[:5]}"
        assert {int(s.at) for s in series["v2 execute"]} == spent  # both samples of a record, or neither
        assert len(history.crossed("p")) == 1
        return len(spent)
    finally:
        history.close()


@pytest.mark.parametrize(
    ("kind", "file", "check"),
    [("runs", "runs.sqlite3", _check_runs), ("usage", "usage.sqlite", _check_usage)],
    ids=["run-history", "usage-history"],
)
def test_kill_9_at_random_moments_loses_no_committed_record(
    kind: str, file: str, check: Callable[[Path, list[int]], int], tmp_path: Path
) -> None:
    path = tmp_path / file
    rng = random.Random(f"{kind}-{os.getpid()}")  # different points each run, repeatable within it
    first = 0
    committed: list[int] = []
    for _ in range(ROUNDS):
        last = _run_and_kill(kind, path, first, rng.randint(1, 40))
        committed += range(first, last + 1)
        assert _integrity(path) == "ok"
        stored = check(path, committed)
        assert stored >= len(committed)
        first = last + 2  # past the record being written at the kill, which may be there, half or whole
    assert [p.name for p in tmp_path.iterdir() if ".damaged-" in p.name] == []
