"""The job store: tracked runs in SQLite, in the data dir, safe against ``kill -9``.

Why SQLite in WAL mode with ``synchronous=FULL``: every commit is appended to the write-ahead log
and fsynced before :meth:`JobStore.insert` returns, so a job row exists on disk *before* its
execute request is sent; a process killed at any instant leaves either the whole transaction or
none of it (SQLite's atomic commit), never half a row. WAL also lets a second reader (a test, a
support script) look at the file while the app writes.

Duplicates are impossible by construction: ``UNIQUE(profile, run_id)``. Adopting a run that is
already tracked returns the existing row instead of a second one.

The store is synchronous and small (one row per run, a batch of updates per poll in one
transaction); it is called from the event loop thread only.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from simdesk.core.jobs.model import Job, JobStatus, Origin, PauseContext
from simdesk.core.sqlite_store import SqliteFile, StoreProblem, transaction

SCHEMA_VERSION = 1
DEFAULT_FILE_NAME = "jobs.sqlite3"

_COLUMNS = (
    "id", "profile", "workflow_id", "run_id", "created_at", "workflow_name", "workspace_id",
    "status", "acknowledged", "input", "origin", "parent_id", "legacy_job_id", "started_at",
    "ended_at", "last_checked_at", "cost", "progress", "output", "error", "error_code", "pause",
    "note", "poll_interval_s", "execution_timeout_s", "updated_at",
)  # fmt: skip
_JSON_COLUMNS = frozenset({"input", "output", "pause"})

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    profile TEXT NOT NULL,
    workflow_id TEXT NOT NULL,
    run_id TEXT NOT NULL,
    created_at REAL NOT NULL,
    workflow_name TEXT NOT NULL DEFAULT '',
    workspace_id TEXT,
    status TEXT NOT NULL,
    acknowledged INTEGER NOT NULL DEFAULT 0,
    input TEXT,
    origin TEXT NOT NULL,
    parent_id TEXT,
    legacy_job_id TEXT,
    started_at REAL,
    ended_at REAL,
    last_checked_at REAL,
    cost REAL,
    progress TEXT,
    output TEXT,
    error TEXT,
    error_code TEXT,
    pause TEXT,
    note TEXT,
    poll_interval_s REAL,
    execution_timeout_s INTEGER,
    updated_at REAL NOT NULL DEFAULT 0,
    UNIQUE (profile, run_id)
);
CREATE INDEX IF NOT EXISTS jobs_unfinished ON jobs (status) WHERE status IN ('queued', 'running', 'paused');
"""


class DuplicateRunError(ValueError):
    """A job for this profile and run id is already in the store."""


class JobStore:
    """Jobs on disk. ``path`` may be ``":memory:"`` for tests that do not need a file."""

    def __init__(self, path: Path | str, *, timeout: float = 5.0) -> None:
        # FULL: fsync each commit, so the row outlives kill -9 and power loss
        self._file = SqliteFile(
            path, schema=_SCHEMA, version=SCHEMA_VERSION, label="job list", synchronous="FULL", timeout=timeout
        )
        self._db = self._file.open()
        self._db.row_factory = sqlite3.Row
        self.path = self._file.path

    @property
    def problem(self) -> StoreProblem | None:
        """Why the store did not open as usual (set aside, or kept for this session only), if it did not."""
        return self._file.problem

    @classmethod
    def in_dir(cls, data_dir: Path) -> JobStore:
        """The store file in the app's data directory."""
        return cls(Path(data_dir) / DEFAULT_FILE_NAME)

    def close(self) -> None:
        """Close the database (safe to call twice)."""
        try:
            self._db.close()
        except sqlite3.ProgrammingError:
            pass
        self._file.cleanup()

    def _transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        return transaction(self._db, "BEGIN IMMEDIATE")

    # --- writes ----------------------------------------------------------------------------

    def insert(self, job: Job) -> Job:
        """Write a new job (durably, before returning). Raises :class:`DuplicateRunError`."""
        try:
            self._db.execute(_INSERT, _row(job))
        except sqlite3.IntegrityError as exc:
            raise DuplicateRunError(f"run {job.run_id} of {job.profile} is already tracked") from exc
        return job

    def insert_many(self, jobs: Iterable[Job]) -> None:
        """Write many new jobs in one transaction (bulk adoption); all or none."""
        with self._transaction() as db:
            try:
                db.executemany(_INSERT, [_row(job) for job in jobs])
            except sqlite3.IntegrityError as exc:
                raise DuplicateRunError(str(exc)) from exc

    def insert_or_get(self, job: Job) -> tuple[Job, bool]:
        """Write ``job`` unless its run is already tracked: ``(stored job, inserted?)``."""
        with self._transaction():
            existing = self.find(job.profile, job.run_id)
            if existing is not None:
                return existing, False
            self._db.execute(_INSERT, _row(job))
        return job, True

    def update(self, job: Job) -> None:
        """Replace the stored row of ``job.id`` (a no-op when it was deleted meanwhile)."""
        self.update_many((job,))

    def update_many(self, jobs: Iterable[Job]) -> None:
        """Replace many rows in one transaction (one fsync for a whole poll's results)."""
        rows = [_row(job) for job in jobs]
        if not rows:
            return
        with self._transaction() as db:
            db.executemany(_UPDATE, [(*row[1:], row[0]) for row in rows])

    def delete(self, job_ids: Sequence[str]) -> int:
        """Forget jobs (not their runs on the server); returns how many rows went."""
        if not job_ids:
            return 0
        with self._transaction() as db:
            marks = ",".join("?" * len(job_ids))
            return db.execute(f"DELETE FROM jobs WHERE id IN ({marks})", tuple(job_ids)).rowcount

    # --- reads -----------------------------------------------------------------------------

    def get(self, job_id: str) -> Job | None:
        """The job with this id, if stored."""
        row = self._db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return _job(row) if row is not None else None

    def find(self, profile: str, run_id: str) -> Job | None:
        """The job tracking ``run_id`` on ``profile``, if any."""
        row = self._db.execute("SELECT * FROM jobs WHERE profile = ? AND run_id = ?", (profile, run_id)).fetchone()
        return _job(row) if row is not None else None

    def all(self) -> list[Job]:
        """Every job, oldest first."""
        return [_job(r) for r in self._db.execute("SELECT * FROM jobs ORDER BY created_at, rowid")]

    def unfinished(self) -> list[Job]:
        """Jobs the tracker must reattach to on start: queued, running or paused, any profile."""
        query = "SELECT * FROM jobs WHERE status IN ('queued', 'running', 'paused') ORDER BY created_at, rowid"
        return [_job(r) for r in self._db.execute(query)]

    def count(self) -> int:
        """How many jobs are stored."""
        return int(self._db.execute("SELECT COUNT(*) FROM jobs").fetchone()[0])


_INSERT = f"INSERT INTO jobs ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})"
_UPDATE = f"UPDATE jobs SET {', '.join(f'{c} = ?' for c in _COLUMNS[1:])} WHERE id = ?"


def _dump(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def _row(job: Job) -> tuple[Any, ...]:
    values: dict[str, Any] = {name: getattr(job, name) for name in _COLUMNS}
    values["status"] = job.status.value
    values["origin"] = job.origin.value
    values["acknowledged"] = int(job.acknowledged)
    values["input"] = _dump(job.input)
    values["output"] = _dump(job.output)
    values["pause"] = _dump(job.pause.to_json()) if job.pause is not None else None
    return tuple(values[name] for name in _COLUMNS)


def _job(row: sqlite3.Row) -> Job:
    values = {name: row[name] for name in _COLUMNS}
    for name in _JSON_COLUMNS:
        if values[name] is not None:
            values[name] = json.loads(values[name])
    values["status"] = _enum(JobStatus, values["status"], JobStatus.UNKNOWN)
    values["origin"] = _enum(Origin, values["origin"], Origin.STARTED)
    values["acknowledged"] = bool(values["acknowledged"])
    values["pause"] = PauseContext.from_json(values["pause"]) if isinstance(values["pause"], dict) else None
    return Job(**values)


def _enum[E: (JobStatus, Origin)](kind: type[E], value: Any, default: E) -> E:
    try:
        return kind(value)
    except ValueError:
        return default
