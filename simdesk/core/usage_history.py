"""The usage history: remaining budget and spend over time, per profile, in SQLite (WAL).

One row per sample: ``(profile, at, series, value, capacity)``. Series are bucket names
(``"execution sync"``, ``"v2 execute"``…; ``value`` = tokens left, ``capacity`` = burst) and
``"spend"`` (``value`` = USD this period, ``capacity`` = the limit). The meter samples every
refresh, so a week is a few thousand rows; rows older than ``keep_days`` are dropped on open.

The store also keeps which warning lines were crossed (:mod:`simdesk.core.thresholds`), so a
warning fires once per crossing, not once per launch.

Thread-safe (one connection behind a lock): the service writes from a worker thread so the
GUI thread never waits on the disk.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from simdesk.core.sqlite_store import LockedStore

SPEND = "spend"
SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS samples (profile TEXT NOT NULL, at REAL NOT NULL, series TEXT NOT NULL,
    value REAL NOT NULL, capacity REAL);
CREATE INDEX IF NOT EXISTS samples_by_time ON samples (profile, at);
CREATE TABLE IF NOT EXISTS crossings (profile TEXT NOT NULL, key TEXT NOT NULL, level REAL NOT NULL,
    PRIMARY KEY (profile, key, level));
"""


@dataclass(frozen=True, slots=True)
class Sample:
    """One point of one series."""

    profile: str
    at: float
    series: str
    value: float
    capacity: float | None = None


class UsageHistory(LockedStore):
    """Samples and crossed warning lines, stored in ``path`` (``":memory:"`` for tests)."""

    def __init__(self, path: Path | str, *, keep_days: float = 30.0, clock: Callable[[], float] = time.time) -> None:
        super().__init__(path, schema=_SCHEMA, version=SCHEMA_VERSION, label="usage history")
        if keep_days > 0:
            self.prune(clock() - keep_days * 86_400)

    # --- samples ---------------------------------------------------------------------------

    def record(self, samples: Iterable[Sample]) -> int:
        """Store ``samples`` in one transaction; returns how many."""
        rows = [(s.profile, s.at, s.series, s.value, s.capacity) for s in samples]
        if rows:
            with self._tx() as db:
                db.executemany("INSERT INTO samples VALUES (?, ?, ?, ?, ?)", rows)
        return len(rows)

    def series(self, profile: str, since: float, until: float | None = None) -> dict[str, list[Sample]]:
        """Every sample of ``profile`` in ``[since, until]``, by series, oldest first."""
        query = "SELECT profile, at, series, value, capacity FROM samples WHERE profile = ? AND at >= ?"
        args: list[object] = [profile, since]
        if until is not None:
            query += " AND at <= ?"
            args.append(until)
        with self._lock:
            rows = self._db.execute(query + " ORDER BY at", args).fetchall()
        out: dict[str, list[Sample]] = {}
        for row in rows:
            out.setdefault(row[2], []).append(Sample(*row))
        return out

    def prune(self, before: float) -> int:
        """Drop samples older than ``before``; returns how many went."""
        with self._tx() as db:
            return db.execute("DELETE FROM samples WHERE at < ?", (before,)).rowcount

    # --- warning lines ---------------------------------------------------------------------

    def crossed(self, profile: str) -> set[tuple[str, float]]:
        """The warning lines ``profile`` has crossed and not re-armed."""
        with self._lock:
            rows = self._db.execute("SELECT key, level FROM crossings WHERE profile = ?", (profile,)).fetchall()
        return {(str(k), float(v)) for k, v in rows}

    def set_crossed(self, profile: str, lines: Iterable[tuple[str, float]]) -> None:
        """Replace ``profile``'s crossed lines."""
        with self._tx() as db:
            db.execute("DELETE FROM crossings WHERE profile = ?", (profile,))
            db.executemany("INSERT INTO crossings VALUES (?, ?, ?)", [(profile, k, v) for k, v in lines])
