"""The batch store: every batch, its mapping, and each row's state and run id, in SQLite.

Rows are written before anything is sent, and a row's run id is committed (WAL,
``synchronous=FULL``) before its request leaves, so after a crash or ``kill -9`` every row whose
request may have reached Sim is in state ``sending`` with the id it was sent under: the runner
looks that id up instead of sending the row again, and a row is never run twice.

Row states: ``invalid`` (never sent: the input has errors), ``waiting``, ``sending`` (a request
with ``run_id`` may be out), ``done``, ``failed``, ``cancelled``.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from simdesk.core.batch_mapping import RowInput
from simdesk.core.input_form import FILE_MARKER
from simdesk.core.sqlite_store import SqliteFile, StoreProblem, transaction

DEFAULT_FILE_NAME = "batches.sqlite3"
SCHEMA_VERSION = 1
_INSERT_CHUNK = 2000  # rows per transaction while a table is read in


class RowState(StrEnum):
    """Where one row of a batch is."""

    INVALID = "invalid"
    WAITING = "waiting"
    SENDING = "sending"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_final(self) -> bool:
        """True for rows that will not be sent again unless retried."""
        return self in (RowState.INVALID, RowState.DONE, RowState.FAILED, RowState.CANCELLED)


class BatchState(StrEnum):
    """Where a batch is."""

    READY = "ready"
    RUNNING = "running"
    PAUSED = "paused"
    CANCELLED = "cancelled"
    FINISHED = "finished"


class RunMode(StrEnum):
    """How each row is run."""

    SYNC = "sync"
    STREAM = "stream"
    ASYNC = "async"


@dataclass(frozen=True, slots=True)
class Batch:
    """One batch as stored."""

    id: str
    profile: str
    workflow_id: str
    workflow_name: str
    mode: RunMode
    source: str
    mapping: dict[str, str | None]
    selected_outputs: tuple[str, ...]
    concurrency: int
    state: BatchState
    created_at: float
    source_size: int = 0
    source_mtime_ns: int = 0


@dataclass(frozen=True, slots=True)
class BatchRow:
    """One row as stored."""

    batch_id: str
    number: int
    state: RowState
    input: dict[str, Any]
    run_id: str | None = None
    attempts: int = 0
    started_at: float | None = None
    ended_at: float | None = None
    duration_ms: float | None = None
    cost: float | None = None
    output: Any = None
    error: str | None = None
    error_code: str | None = None


@dataclass(frozen=True, slots=True)
class Counts:
    """How many rows are in each state, and the cost reported so far."""

    by_state: dict[RowState, int] = field(default_factory=dict)
    cost: float = 0.0

    def __getitem__(self, state: RowState) -> int:
        return self.by_state.get(state, 0)

    @property
    def total(self) -> int:
        """Every row of the batch."""
        return sum(self.by_state.values())

    @property
    def settled(self) -> int:
        """Rows with a final state."""
        return sum(n for state, n in self.by_state.items() if state.is_final)


_SCHEMA = """
CREATE TABLE IF NOT EXISTS batches (
    id TEXT PRIMARY KEY,
    profile TEXT NOT NULL,
    workflow_id TEXT NOT NULL,
    workflow_name TEXT NOT NULL DEFAULT '',
    mode TEXT NOT NULL,
    source TEXT NOT NULL,
    source_size INTEGER NOT NULL DEFAULT 0,
    source_mtime_ns INTEGER NOT NULL DEFAULT 0,
    mapping TEXT NOT NULL,
    selected_outputs TEXT NOT NULL DEFAULT '[]',
    concurrency INTEGER NOT NULL,
    state TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS batch_rows (
    batch_id TEXT NOT NULL REFERENCES batches(id) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    state TEXT NOT NULL,
    input TEXT NOT NULL,
    run_id TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    started_at REAL,
    ended_at REAL,
    duration_ms REAL,
    cost REAL,
    output TEXT,
    error TEXT,
    error_code TEXT,
    PRIMARY KEY (batch_id, number)
);
CREATE INDEX IF NOT EXISTS batch_rows_state ON batch_rows (batch_id, state, number);
"""


class BatchStore:
    """Batches on disk (``":memory:"`` for tests that need no file). Call from one thread."""

    def __init__(self, path: Path | str, *, _reader_of: BatchStore | None = None) -> None:
        self._file: SqliteFile
        if _reader_of is not None:
            self._file, self._owner = _reader_of._file, False
            self._db = self._file.connect()
        else:
            # FULL: a row's run id is on disk before its request leaves, whatever happens next
            self._file = SqliteFile(
                path, schema=_SCHEMA, version=SCHEMA_VERSION, label="batch list", synchronous="FULL"
            )
            self._owner = True
            self._db = self._file.open()
        self.path = self._file.path

    def reader(self) -> BatchStore:
        """A connection of its own to the same file, for another thread (an export while the
        batch runs); close it when done. An in-memory store has no second connection: itself."""
        if self.path == ":memory:":
            return self
        return BatchStore(self.path, _reader_of=self)

    @property
    def problem(self) -> StoreProblem | None:
        """Why the store did not open as usual (set aside, or kept for this session only), if it did not."""
        return self._file.problem

    def close(self) -> None:
        """Close the database (safe to call twice)."""
        with contextlib.suppress(sqlite3.ProgrammingError):
            self._db.close()
        if self._owner:
            self._file.cleanup()

    def _transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        return transaction(self._db, "BEGIN IMMEDIATE")

    @contextlib.contextmanager
    def _relaxed(self) -> Iterator[None]:
        """Commits inside are durable against a crash of the process (WAL) but not fsynced."""
        self._db.execute("PRAGMA synchronous=NORMAL")
        try:
            yield
        finally:
            self._db.execute("PRAGMA synchronous=FULL")

    # --- batches ------------------------------------------------------------------------------

    def create(
        self,
        *,
        profile: str,
        workflow_id: str,
        workflow_name: str,
        mode: RunMode,
        source: str,
        mapping: dict[str, str | None],
        concurrency: int,
        selected_outputs: Sequence[str] = (),
        source_size: int = 0,
        source_mtime_ns: int = 0,
    ) -> Batch:
        """A new batch with no rows yet (add them with :meth:`add_rows`)."""
        batch = Batch(
            id=uuid.uuid4().hex[:12],
            profile=profile,
            workflow_id=workflow_id,
            workflow_name=workflow_name,
            mode=mode,
            source=source,
            mapping=dict(mapping),
            selected_outputs=tuple(selected_outputs),
            concurrency=concurrency,
            state=BatchState.READY,
            created_at=time.time(),
            source_size=source_size,
            source_mtime_ns=source_mtime_ns,
        )
        with self._transaction() as db:
            db.execute(
                "INSERT INTO batches (id, profile, workflow_id, workflow_name, mode, source, source_size, "
                "source_mtime_ns, mapping, selected_outputs, concurrency, state, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    batch.id, batch.profile, batch.workflow_id, batch.workflow_name, batch.mode.value, batch.source,
                    batch.source_size, batch.source_mtime_ns, json.dumps(batch.mapping),
                    json.dumps(list(batch.selected_outputs)), batch.concurrency, batch.state.value, batch.created_at,
                ),
            )  # fmt: skip
        return batch

    def add_rows(self, batch_id: str, rows: Iterable[RowInput]) -> int:
        """Store ``rows`` (valid ones ``waiting``, others ``invalid``), a chunk per transaction."""
        added = 0
        chunk: list[tuple[object, ...]] = []
        for row in rows:
            state = RowState.WAITING if row.ok else RowState.INVALID
            error = None if row.ok else row.summary()
            chunk.append(
                (batch_id, row.number, state.value, _input_json(row.values), error, "INVALID_INPUT" if error else None)
            )
            if len(chunk) >= _INSERT_CHUNK:
                added += self._insert(chunk)
                chunk = []
        if chunk:
            added += self._insert(chunk)
        return added

    def _insert(self, chunk: list[tuple[object, ...]]) -> int:
        with self._transaction() as db:
            db.executemany(
                "INSERT OR IGNORE INTO batch_rows (batch_id, number, state, input, error, error_code) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                chunk,
            )
        return len(chunk)

    def get(self, batch_id: str) -> Batch | None:
        """The batch, or ``None``."""
        cur = self._db.execute("SELECT * FROM batches WHERE id = ?", (batch_id,))
        row = cur.fetchone()
        return None if row is None else _batch(cur.description, row)

    def batches(self) -> list[Batch]:
        """Every batch, newest first."""
        cur = self._db.execute("SELECT * FROM batches ORDER BY created_at DESC")
        return [_batch(cur.description, row) for row in cur.fetchall()]

    def set_state(self, batch_id: str, state: BatchState) -> None:
        """Record where the batch is."""
        with self._transaction() as db:
            db.execute("UPDATE batches SET state = ? WHERE id = ?", (state.value, batch_id))

    def delete(self, batch_id: str) -> None:
        """Forget the batch and its rows."""
        with self._transaction() as db:
            db.execute("DELETE FROM batch_rows WHERE batch_id = ?", (batch_id,))
            db.execute("DELETE FROM batches WHERE id = ?", (batch_id,))

    # --- rows ---------------------------------------------------------------------------------

    def next_waiting(self, batch_id: str, limit: int, after: int = 0) -> list[BatchRow]:
        """Up to ``limit`` waiting rows numbered above ``after``, in table order."""
        cur = self._db.execute(
            "SELECT * FROM batch_rows WHERE batch_id = ? AND state = ? AND number > ? ORDER BY number LIMIT ?",
            (batch_id, RowState.WAITING.value, after, limit),
        )
        return [_row(cur.description, r) for r in cur.fetchall()]

    def row(self, batch_id: str, number: int) -> BatchRow | None:
        """One row, or ``None``."""
        cur = self._db.execute("SELECT * FROM batch_rows WHERE batch_id = ? AND number = ?", (batch_id, number))
        found = cur.fetchone()
        return None if found is None else _row(cur.description, found)

    def in_state(self, batch_id: str, state: RowState) -> list[BatchRow]:
        """Every row in ``state`` (for recovery after a crash: ``sending``)."""
        cur = self._db.execute(
            "SELECT * FROM batch_rows WHERE batch_id = ? AND state = ? ORDER BY number", (batch_id, state.value)
        )
        return [_row(cur.description, r) for r in cur.fetchall()]

    def mark_sending(self, batch_id: str, number: int, run_id: str, started_at: float) -> None:
        """Commit the id a request is about to be sent under (durably, before it is sent)."""
        self.mark_sending_many(batch_id, [(number, run_id)], started_at)

    def mark_sending_many(self, batch_id: str, ids: Sequence[tuple[int, str]], started_at: float) -> None:
        """Commit the ids of several rows about to be sent, in one durable transaction (one fsync
        for the group: the runner starts the rows it has room for together)."""
        with self._transaction() as db:
            db.executemany(
                "UPDATE batch_rows SET state = ?, run_id = ?, attempts = attempts + 1, started_at = ?, "
                "error = NULL, error_code = NULL WHERE batch_id = ? AND number = ?",
                [(RowState.SENDING.value, run_id, started_at, batch_id, number) for number, run_id in ids],
            )

    def finish(
        self,
        batch_id: str,
        number: int,
        state: RowState,
        *,
        ended_at: float,
        duration_ms: float | None = None,
        cost: float | None = None,
        output: Any = None,
        error: str | None = None,
        error_code: str | None = None,
    ) -> None:
        """Record a row's outcome.

        Not forced to disk on its own (the next :meth:`mark_sending_many` forces it with its own
        commit): should the machine lose power first, the row is back in ``sending`` with its run
        id, and the runner looks that run up instead of sending the row again. So a row costs one
        fsync, not two."""
        with self._relaxed(), self._transaction() as db:
            db.execute(
                "UPDATE batch_rows SET state = ?, ended_at = ?, duration_ms = ?, cost = ?, output = ?, error = ?, "
                "error_code = ? WHERE batch_id = ? AND number = ?",
                (
                    state.value, ended_at, duration_ms, cost, _json_or_none(output), error, error_code, batch_id,
                    number,
                ),
            )  # fmt: skip

    def requeue(self, batch_id: str, numbers: Iterable[int] | None = None, *, states: Sequence[RowState] = ()) -> int:
        """Put rows back to ``waiting`` (given rows, or every row in ``states``); returns how many."""
        with self._transaction() as db:
            if numbers is not None:
                cur = db.executemany(
                    "UPDATE batch_rows SET state = ? WHERE batch_id = ? AND number = ? AND state != ?",
                    [(RowState.WAITING.value, batch_id, n, RowState.INVALID.value) for n in numbers],
                )
                return cur.rowcount
            marks = ",".join("?" * len(states))
            cur = db.execute(
                f"UPDATE batch_rows SET state = ? WHERE batch_id = ? AND state IN ({marks})",
                (RowState.WAITING.value, batch_id, *(s.value for s in states)),
            )
            return cur.rowcount

    def cancel_waiting(self, batch_id: str, ended_at: float) -> int:
        """Mark every waiting row cancelled (the batch was cancelled)."""
        with self._transaction() as db:
            cur = db.execute(
                "UPDATE batch_rows SET state = ?, ended_at = ?, error = 'Cancelled before it was sent', "
                "error_code = 'CANCELLED' WHERE batch_id = ? AND state = ?",
                (RowState.CANCELLED.value, ended_at, batch_id, RowState.WAITING.value),
            )
            return cur.rowcount

    def counts(self, batch_id: str) -> Counts:
        """Rows per state and the cost so far."""
        by_state = {
            RowState(state): n
            for state, n in self._db.execute(
                "SELECT state, COUNT(*) FROM batch_rows WHERE batch_id = ? GROUP BY state", (batch_id,)
            )
        }
        (cost,) = self._db.execute(
            "SELECT COALESCE(SUM(cost), 0) FROM batch_rows WHERE batch_id = ?", (batch_id,)
        ).fetchone()
        return Counts(by_state, float(cost))

    def rows(
        self,
        batch_id: str,
        *,
        states: Sequence[RowState] = (),
        text: str = "",
        offset: int = 0,
        limit: int = -1,
    ) -> list[BatchRow]:
        """Rows in table order, optionally only those in ``states`` whose input, output or error
        contains ``text`` (case-insensitive for ASCII)."""
        where, params = _row_filter(batch_id, states, text)
        cur = self._db.execute(
            f"SELECT * FROM batch_rows WHERE {where} ORDER BY number LIMIT ? OFFSET ?", (*params, limit, offset)
        )
        return [_row(cur.description, r) for r in cur.fetchall()]

    def count_rows(self, batch_id: str, *, states: Sequence[RowState] = (), text: str = "") -> int:
        """How many rows :meth:`rows` would give with the same filter."""
        where, params = _row_filter(batch_id, states, text)
        (n,) = self._db.execute(f"SELECT COUNT(*) FROM batch_rows WHERE {where}", params).fetchone()
        return int(n)

    def iter_rows(self, batch_id: str, *, page: int = 1000) -> Iterator[BatchRow]:
        """Every row in table order, a page at a time (for exports of any size)."""
        after = 0
        while True:
            cur = self._db.execute(
                "SELECT * FROM batch_rows WHERE batch_id = ? AND number > ? ORDER BY number LIMIT ?",
                (batch_id, after, page),
            )
            rows = [_row(cur.description, r) for r in cur.fetchall()]
            if not rows:
                return
            yield from rows
            after = rows[-1].number


def _row_filter(batch_id: str, states: Sequence[RowState], text: str) -> tuple[str, list[object]]:
    where, params = "batch_id = ?", [batch_id]
    if states:
        where += f" AND state IN ({','.join('?' * len(states))})"
        params += [s.value for s in states]
    if text:
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        where += " AND (input LIKE ? ESCAPE '\\' OR output LIKE ? ESCAPE '\\' OR error LIKE ? ESCAPE '\\')"
        params += [pattern] * 3
    return where, list(params)


def _input_json(values: dict[str, Any]) -> str:
    """A row's input as stored: a local file (a ``Path``, as the client sends it) as its marker."""
    return json.dumps(
        values, default=lambda value: {FILE_MARKER: str(value)} if isinstance(value, Path) else str(value)
    )


def _input_from_json(text: str) -> dict[str, Any]:
    """A stored input as the client sends it: file markers back to ``Path``."""
    values = json.loads(text)
    return {
        key: [Path(v[FILE_MARKER]) for v in value]
        if isinstance(value, list) and value and all(isinstance(v, dict) and FILE_MARKER in v for v in value)
        else value
        for key, value in values.items()
    }


def _json_or_none(value: Any) -> str | None:
    return None if value is None else json.dumps(value, default=str)


def _as_dict(description: Any, row: Sequence[Any]) -> dict[str, Any]:
    return {col[0]: value for col, value in zip(description, row, strict=True)}


def _batch(description: Any, row: Sequence[Any]) -> Batch:
    d = _as_dict(description, row)
    return Batch(
        id=d["id"],
        profile=d["profile"],
        workflow_id=d["workflow_id"],
        workflow_name=d["workflow_name"],
        mode=RunMode(d["mode"]),
        source=d["source"],
        mapping=json.loads(d["mapping"]),
        selected_outputs=tuple(json.loads(d["selected_outputs"])),
        concurrency=d["concurrency"],
        state=BatchState(d["state"]),
        created_at=d["created_at"],
        source_size=d["source_size"],
        source_mtime_ns=d["source_mtime_ns"],
    )


def _row(description: Any, row: Sequence[Any]) -> BatchRow:
    d = _as_dict(description, row)
    return BatchRow(
        batch_id=d["batch_id"],
        number=d["number"],
        state=RowState(d["state"]),
        input=_input_from_json(d["input"]),
        run_id=d["run_id"],
        attempts=d["attempts"],
        started_at=d["started_at"],
        ended_at=d["ended_at"],
        duration_ms=d["duration_ms"],
        cost=d["cost"],
        output=None if d["output"] is None else json.loads(d["output"]),
        error=d["error"],
        error_code=d["error_code"],
    )
