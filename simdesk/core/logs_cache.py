"""The logs panel's offline copy: every log row seen, per profile and workspace, in SQLite.

The panel opens on what is cached (at once, and without a connection), then asks the server.
Only the list's columns are kept, never trace spans, inputs or outputs (those may hold what a
workflow was given, and a run's detail is fetched when it is opened). Rows older than
``keep_days`` are dropped when the cache opens.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path

from simdesk.core.logs_query import LogQuery
from simdesk.core.runs import RunStatus
from simdesk.core.sqlite_store import LockedStore
from simdesk.core.usage import LogEntry

SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS logs (profile TEXT NOT NULL, workspace TEXT NOT NULL, run_id TEXT NOT NULL,
    workflow_id TEXT, workflow_name TEXT, status TEXT NOT NULL, level TEXT, trigger TEXT,
    started_at REAL, ended_at REAL, duration_ms REAL, cost REAL,
    PRIMARY KEY (profile, workspace, run_id));
CREATE INDEX IF NOT EXISTS logs_by_time ON logs (profile, workspace, started_at);
CREATE TABLE IF NOT EXISTS synced (profile TEXT NOT NULL, workspace TEXT NOT NULL, at REAL NOT NULL,
    PRIMARY KEY (profile, workspace));
"""
_COLUMNS = "run_id, workflow_id, workflow_name, status, level, trigger, started_at, ended_at, duration_ms, cost"


def _epoch(when: datetime | None) -> float | None:
    return when.timestamp() if when is not None else None


def _when(epoch: float | None) -> datetime | None:
    return datetime.fromtimestamp(epoch, UTC) if epoch is not None else None


class LogsCache(LockedStore):
    """Log rows by profile and workspace, in ``path`` (``":memory:"`` for tests)."""

    def __init__(self, path: Path | str, *, keep_days: float = 30.0, clock: Callable[[], float] = time.time) -> None:
        super().__init__(path, schema=_SCHEMA, version=SCHEMA_VERSION, label="logs cache")
        if keep_days > 0:
            with self._tx() as db:
                db.execute("DELETE FROM logs WHERE started_at < ?", (clock() - keep_days * 86_400,))

    def store(
        self, profile: str, workspace: str, entries: Iterable[LogEntry], *, synced_at: float | None = None
    ) -> int:
        """Insert or update ``entries``; returns how many. ``synced_at`` records a fresh answer."""
        rows = [
            (profile, workspace, e.run_id, e.workflow_id, e.workflow_name, e.status.value, e.level, e.trigger,
             _epoch(e.started_at), _epoch(e.ended_at), e.duration_ms, e.cost)
            for e in entries
        ]  # fmt: skip
        with self._tx() as db:
            db.executemany(
                f"INSERT OR REPLACE INTO logs (profile, workspace, {_COLUMNS}) VALUES ({', '.join('?' * 12)})", rows
            )
            if synced_at is not None:
                db.execute("INSERT OR REPLACE INTO synced VALUES (?, ?, ?)", (profile, workspace, synced_at))
        return len(rows)

    def load(self, profile: str, query: LogQuery, limit: int = 10_000) -> list[LogEntry]:
        """The newest ``limit`` cached rows matching ``query`` (text included), newest first."""
        sql = f"SELECT {_COLUMNS} FROM logs WHERE profile = ? AND workspace = ?"
        args: list[object] = [profile, query.workspace_id]
        if query.since is not None:
            sql += " AND started_at >= ?"
            args.append(query.since.timestamp())
        if query.until is not None:
            sql += " AND started_at <= ?"
            args.append(query.until.timestamp())
        sql += " ORDER BY started_at DESC, run_id DESC"
        with self._lock:
            rows = self._db.execute(sql, args).fetchall()
        found: list[LogEntry] = []
        for row in rows:
            entry = LogEntry(
                run_id=row[0], workflow_id=row[1], status=RunStatus.parse(row[3]), level=row[4], trigger=row[5],
                started_at=_when(row[6]), ended_at=_when(row[7]), duration_ms=row[8], cost=row[9], workflow_name=row[2],
            )  # fmt: skip
            if query.matches(entry):
                found.append(entry)
                if len(found) >= limit:
                    break
        return found

    def synced_at(self, profile: str, workspace: str) -> float | None:
        """When the server last answered for this workspace (``None``: never)."""
        with self._lock:
            row = self._db.execute(
                "SELECT at FROM synced WHERE profile = ? AND workspace = ?", (profile, workspace)
            ).fetchone()
        return float(row[0]) if row else None
