"""Every run the console starts, kept in a local SQLite database (WAL) in the data directory.

A run's input, options, every stream frame with its arrival time, its outcome and its timings
are written *while the run goes*: the console hands frames over as it paints them, so whatever
was on screen is on disk, and a crash or a restart loses nothing that was shown. The console
reopens the last run from here, and the history outlives the server's own retention.

Writes go through one writer thread with its own connection (batched into one transaction per
wake-up), so a fast stream never waits for the disk on the GUI thread. Reads open their own
connection; WAL lets them run beside the writer. Call :meth:`RunHistory.flush` to wait until
everything handed over so far is committed.
"""

from __future__ import annotations

import json
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simdesk.core.frames import unpack
from simdesk.core.sqlite_store import SqliteFile, StoreProblem
from simdesk.core.transcript import Outcome

log = logging.getLogger("simdesk.history")

SCHEMA_VERSION = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    key TEXT PRIMARY KEY,
    profile TEXT NOT NULL,
    workflow_id TEXT NOT NULL,
    workflow_name TEXT NOT NULL,
    mode TEXT NOT NULL,
    input_json TEXT NOT NULL,
    options_json TEXT NOT NULL,
    run_id TEXT,
    started_at REAL NOT NULL,
    ended_at REAL,
    status TEXT NOT NULL DEFAULT 'running',
    outcome_json TEXT,
    timing_json TEXT,
    frames INTEGER NOT NULL DEFAULT 0,
    bytes INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS runs_by_time ON runs (profile, started_at);
CREATE INDEX IF NOT EXISTS runs_by_workflow ON runs (workflow_id, started_at);
CREATE TABLE IF NOT EXISTS frames (
    key TEXT NOT NULL,
    seq INTEGER NOT NULL,
    count INTEGER NOT NULL,
    times TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (key, seq)
);
"""

Frame = tuple[float, str]  # (seconds since the run started, the frame's JSON payload)
Group = tuple[float, Sequence[str], int]  # lines of frames that arrived together, when, how many frames
# A row holds the groups handed over at once (one paint's worth): one line per frame, or per run of
# chunks packed by :func:`simdesk.core.frames.pack` (JSON never holds a raw newline), and
# ``times`` = "line:seconds,…" where each group starts.


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


@dataclass(frozen=True, slots=True)
class RunStart:
    """A run the console starts, as far as it is known when it starts: what the history records
    first, and what the console shows above a run (``simdesk.services.runs.RunHeader`` adds only
    whether it is live). ``key`` is the history's own id for it.

    Not the same thing as the client's :class:`~simdesk.core.runs.Run` (a run as Sim reports it,
    by its run id, on any surface) or the job tracker's :class:`~simdesk.core.jobs.Job` (a run
    followed in the background, with polling state): those describe the server's view, this one
    the console's, and they share only the workflow and run ids.
    """

    key: str
    profile: str
    workflow_id: str
    workflow_name: str
    mode: str
    input: Mapping[str, Any]
    options: Mapping[str, Any] = field(default_factory=dict)
    run_id: str | None = None
    started_at: float = 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class RunRecord(RunStart):
    """A run as the history has it: its start, and (``status`` stays ``running`` until then) its end."""

    ended_at: float | None
    status: str
    outcome: Outcome | None
    timing: dict[str, Any]
    frames: int
    bytes: int


_Op = Callable[[sqlite3.Connection], object]


class _Flush(threading.Event):
    """A marker in the write queue, set once everything before it is committed."""

    def __call__(self, conn: sqlite3.Connection) -> None:
        """Nothing to write (the writer sets the event after its commit)."""


class RunHistory:
    """The run history database at ``path``. Thread-safe; one per data directory."""

    def __init__(self, path: Path, *, keep: int = 1000) -> None:
        # NORMAL in WAL mode survives an application crash (not a power cut) without an fsync per commit
        self._file = SqliteFile(path, schema=SCHEMA, version=SCHEMA_VERSION, label="run history", timeout=30)
        self._keep = keep
        self._ops: queue.SimpleQueue[_Op | None] = queue.SimpleQueue()
        self._seq: dict[str, int] = {}
        self._backlog = 0  # bytes of frames handed over and not yet written
        self._backlog_lock = threading.Lock()
        self._closed = False
        self._error: BaseException | None = None
        # the schema is in place before anyone reads; the writer keeps this first connection
        self._conn = self._file.open()
        self.path = Path(self._file.path)
        self._writer = threading.Thread(target=self._write_loop, name="simdesk-history", daemon=True)
        self._writer.start()

    @property
    def problem(self) -> StoreProblem | None:
        """Why the history did not open as usual (set aside, or kept for this session only), if it did not."""
        return self._file.problem

    def _connect(self) -> sqlite3.Connection:
        return self._file.connect()

    # --- writing (all asynchronous, in order) --------------------------------------------

    def begin(self, start: RunStart) -> None:
        """Record a run that is starting."""
        row = (
            start.key,
            start.profile,
            start.workflow_id,
            start.workflow_name,
            start.mode,
            _dumps(dict(start.input)),
            _dumps(dict(start.options)),
            start.run_id,
            start.started_at or time.time(),
        )
        self._seq[start.key] = 0
        self._submit(
            lambda c: c.execute(
                "INSERT OR REPLACE INTO runs (key, profile, workflow_id, workflow_name, mode, input_json, "
                "options_json, run_id, started_at) VALUES (?,?,?,?,?,?,?,?,?)",
                row,
            )
        )

    def add_frames(self, key: str, groups: Sequence[Group]) -> None:
        """Append groups of frames (in arrival order) to the run's transcript on disk."""
        lines: list[str] = []
        times: list[str] = []
        count = 0
        for at, packed, frames in groups:
            if packed:
                times.append(f"{len(lines)}:{at:.4f}")
                lines.extend(packed)
                count += frames
        if not lines:
            return
        seq = self._seq.get(key, 0)
        self._seq[key] = seq + 1
        data = "\n".join(lines)
        row = (key, seq, count, ",".join(times), data)
        size = len(data)
        self._grow_backlog(size)

        def insert(conn: sqlite3.Connection) -> None:
            try:
                self._insert_frames(conn, row, count, size)
            finally:
                self._grow_backlog(-size)

        self._submit(insert)

    def _grow_backlog(self, size: int) -> None:
        with self._backlog_lock:
            self._backlog += size

    @property
    def backlog(self) -> int:
        """Bytes of frames handed over and not yet written (the writer is behind by this much)."""
        return self._backlog

    @staticmethod
    def _insert_frames(conn: sqlite3.Connection, row: tuple[Any, ...], count: int, size: int) -> None:
        conn.execute("INSERT OR REPLACE INTO frames (key, seq, count, times, data) VALUES (?,?,?,?,?)", row)
        conn.execute("UPDATE runs SET frames = frames + ?, bytes = bytes + ? WHERE key = ?", (count, size, row[0]))

    def set_run_id(self, key: str, run_id: str) -> None:
        """Record the server's run id once it is known."""
        self._submit(lambda c: c.execute("UPDATE runs SET run_id = ? WHERE key = ?", (run_id, key)))

    def finish(self, key: str, outcome: Outcome, timing: Mapping[str, Any], ended_at: float | None = None) -> None:
        """Record how the run ended."""
        row = (
            ended_at or time.time(),
            outcome.status,
            _dumps(outcome.to_dict()),
            _dumps(dict(timing)),
            outcome.run_id,
            key,
        )
        self._seq.pop(key, None)
        self._submit(
            lambda c: c.execute(
                "UPDATE runs SET ended_at = ?, status = ?, outcome_json = ?, timing_json = ?, "
                "run_id = COALESCE(?, run_id) WHERE key = ?",
                row,
            )
        )

    def prune(self) -> None:
        """Forget all but the newest ``keep`` runs."""
        keep = self._keep

        def op(conn: sqlite3.Connection) -> None:
            rows = conn.execute("SELECT key FROM runs ORDER BY started_at DESC LIMIT -1 OFFSET ?", (keep,))
            old = [r[0] for r in rows]
            for chunk in range(0, len(old), 500):
                keys = old[chunk : chunk + 500]
                marks = ",".join("?" * len(keys))
                conn.execute(f"DELETE FROM frames WHERE key IN ({marks})", keys)
                conn.execute(f"DELETE FROM runs WHERE key IN ({marks})", keys)

        self._submit(op)

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every write handed over so far is committed; False on timeout."""
        if self._closed:
            return True
        done = _Flush()
        self._submit(done)
        return done.wait(timeout)

    def close(self) -> None:
        """Commit what is pending and stop the writer."""
        if self._closed:
            return
        self._closed = True
        self._ops.put(None)
        self._writer.join(10)
        if not self._writer.is_alive():
            self._file.cleanup()

    def _submit(self, op: _Op) -> None:
        if self._closed:
            raise RuntimeError("the run history is closed")
        self._ops.put(op)

    def _write_loop(self) -> None:
        conn = self._conn
        try:
            while True:
                op = self._ops.get()
                batch: list[_Op | None] = [op]
                while op is not None and len(batch) < 1000:  # everything waiting goes in one transaction
                    try:
                        op = self._ops.get_nowait()
                    except queue.Empty:
                        break
                    batch.append(op)
                self._run_batch(conn, [b for b in batch if b is not None])
                if batch[-1] is None:
                    return
        finally:
            conn.close()

    def _run_batch(self, conn: sqlite3.Connection, batch: list[_Op]) -> None:
        try:
            self._commit(conn, batch)
        finally:
            for op in batch:
                if isinstance(op, _Flush):
                    op.set()

    def _commit(self, conn: sqlite3.Connection, batch: list[_Op]) -> None:
        try:
            conn.execute("BEGIN")
            for op in batch:
                op(conn)
            conn.execute("COMMIT")
        except Exception as exc:  # a full disk (or a bug) must not kill the writer; the run goes on
            self._error = exc
            log.error("could not write the run history: %s", exc)
            try:
                conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass
            for op in batch:  # one by one, so what can be written still is
                try:
                    op(conn)
                except sqlite3.Error:
                    continue

    @property
    def last_error(self) -> BaseException | None:
        """The last write failure (the history keeps going after one)."""
        return self._error

    # --- reading -------------------------------------------------------------------------

    _COLUMNS = (
        "key, profile, workflow_id, workflow_name, mode, input_json, options_json, run_id, started_at, "
        "ended_at, status, outcome_json, timing_json, frames, bytes"
    )

    def _query(self, sql: str, args: Sequence[Any]) -> list[RunRecord]:
        conn = self._connect()
        try:
            return [_record(row) for row in conn.execute(f"SELECT {self._COLUMNS} FROM runs {sql}", args)]
        finally:
            conn.close()

    def get(self, key: str) -> RunRecord | None:
        """One run by its history key."""
        rows = self._query("WHERE key = ?", (key,))
        return rows[0] if rows else None

    def last(self, profile: str | None = None, workflow_id: str | None = None) -> RunRecord | None:
        """The most recently started run (of ``profile`` and ``workflow_id`` if given)."""
        rows = self.recent(profile=profile, workflow_id=workflow_id, limit=1)
        return rows[0] if rows else None

    def of_run(self, profile: str, run_id: str) -> RunRecord | None:
        """The newest run with Sim's ``run_id`` on ``profile`` (after the pending writes)."""
        self.flush()
        rows = self._query("WHERE profile = ? AND run_id = ? ORDER BY started_at DESC LIMIT 1", (profile, run_id))
        return rows[0] if rows else None

    def recent(self, *, profile: str | None = None, workflow_id: str | None = None, limit: int = 20) -> list[RunRecord]:
        """Newest first."""
        where, args = [], []
        if profile is not None:
            where.append("profile = ?")
            args.append(profile)
        if workflow_id is not None:
            where.append("workflow_id = ?")
            args.append(workflow_id)
        clause = ("WHERE " + " AND ".join(where)) if where else ""
        return self._query(f"{clause} ORDER BY started_at DESC LIMIT ?", (*args, limit))

    def frames(self, key: str) -> Iterator[Frame]:
        """The run's frames in arrival order, read lazily."""
        conn = self._connect()
        try:
            for times, data in conn.execute("SELECT times, data FROM frames WHERE key = ? ORDER BY seq", (key,)):
                starts = [(int(line), float(at)) for line, _, at in (t.partition(":") for t in times.split(","))]
                lines = data.split("\n")
                for number, (start, at) in enumerate(starts):
                    end = starts[number + 1][0] if number + 1 < len(starts) else len(lines)
                    for line in lines[start:end]:
                        for payload in unpack(line):
                            yield at, payload
        finally:
            conn.close()

    def unfinished(self) -> list[RunRecord]:
        """Runs whose end was never recorded (the app closed or crashed while they ran)."""
        return self._query("WHERE status = 'running' ORDER BY started_at DESC", ())


def _record(row: Sequence[Any]) -> RunRecord:
    (key, profile, wf, name, mode, inp, opts, run_id, started, ended, status, outcome, timing, frames, size) = row
    return RunRecord(
        key=key,
        profile=profile,
        workflow_id=wf,
        workflow_name=name,
        mode=mode,
        input=json.loads(inp),
        options=json.loads(opts),
        run_id=run_id,
        started_at=started,
        ended_at=ended,
        status=status,
        outcome=Outcome.from_dict(json.loads(outcome)) if outcome else None,
        timing=json.loads(timing) if timing else {},
        frames=frames,
        bytes=size,
    )
