"""Opening simdesk's SQLite stores (jobs, run history, usage history): one way for all three.

:class:`SqliteFile` opens a store file with the pragmas it asks for, checks it, applies its schema
and records its schema version. What can go wrong at open, and what happens then:

* **Damaged** (not a database, a junk header, a truncated file, a zeroed page: SQLite says
  "corrupt" or "not a database", or ``PRAGMA integrity_check`` finds a fault): the file and its
  ``-wal``/``-shm`` companions are renamed aside with a timestamp
  (``jobs.sqlite3.damaged-20261203-121500``, companions ``…-121500-wal``, so the sqlite3 shell
  still opens them together) and a fresh store starts. Nothing is deleted.
* **Locked** (another simdesk holds it, or a tool has it open exclusively): not damage, so the
  file is left alone. The store runs on a throw-away file in a temporary directory for this
  session (deleted at close), and :attr:`SqliteFile.problem` says so: the app keeps working,
  this session's records are not kept.
* **Written by a newer simdesk**, or **cannot be opened at all** (permissions, I/O error): the
  same session-only fallback; the file is not touched.
* **A symbolic link to somewhere outside its own directory**: never opened (writes would land
  outside the data directory). The link itself is renamed aside (``….symlink-…``), its target
  is not touched, and a fresh store starts.

The full ``integrity_check`` reads every page, so it runs only on files up to
:data:`FULL_CHECK_BYTES`; larger files get ``quick_check`` (no index cross-checks), which is
still a read of the whole file but no sorting.
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from simdesk.core.aside import StoreProblem, move_escaping_link, set_aside

__all__ = ["LockedStore", "SqliteFile", "StoreProblem", "transaction"]

log = logging.getLogger("simdesk.core.sqlite")

MEMORY = ":memory:"
FULL_CHECK_BYTES = 8 * 2**20
OPEN_TIMEOUT_S = 2.0  # how long the first open waits for a lock before calling the file locked
COMPANIONS = ("-wal", "-shm", "-journal")  # SQLite's files beside the store, moved with it
_DAMAGE_CODES = frozenset({sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB})
_LOCK_CODES = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})


class _Damaged(Exception):
    """The file opened but its check failed."""


class _TooNew(Exception):
    """The file's schema version is newer than this simdesk knows."""


def _code(exc: sqlite3.Error) -> int:
    return int(getattr(exc, "sqlite_errorcode", 0)) & 0xFF


@contextmanager
def transaction(conn: sqlite3.Connection, begin: str = "BEGIN") -> Iterator[sqlite3.Connection]:
    """``begin`` … ``COMMIT``, or ``ROLLBACK`` on any exception (autocommit connections)."""
    conn.execute(begin)
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


class SqliteFile:
    """One store file: opened, checked, schema applied. ``path`` may be ``":memory:"``.

    Connections it makes are autocommit (``isolation_level=None``; use :func:`transaction`), in
    WAL mode with ``synchronous`` as given, and usable from any thread. :attr:`problem` is set
    when the file was set aside or could not be used (see the module docstring).
    """

    def __init__(
        self,
        path: Path | str,
        *,
        schema: str,
        version: int,
        label: str,
        synchronous: str = "NORMAL",
        timeout: float = 5.0,
    ) -> None:
        self.requested = str(path)
        self.schema = schema
        self.version = version
        self.label = label
        self.synchronous = synchronous
        self.timeout = timeout
        self.problem: StoreProblem | None = None
        self._session_dir: str | None = None
        self.path = self.requested  # where connections go (a temporary file after a fallback)

    # --- opening -------------------------------------------------------------------------------

    def open(self) -> sqlite3.Connection:
        """The first connection, after the checks; the schema is in place when it returns."""
        if self.requested == MEMORY:
            return self._prepare(self.connect())
        file = Path(self.requested)
        try:
            file.parent.mkdir(parents=True, exist_ok=True)
            self.problem = move_escaping_link(file, self.label)
            return self._open_checked(file)
        except _Damaged as exc:
            return self._start_fresh(file, str(exc))
        except _TooNew as exc:
            return self._session_only(f"{file} was written by a newer simdesk ({exc}).")
        except sqlite3.Error as exc:
            if _code(exc) in _DAMAGE_CODES:
                return self._start_fresh(file, str(exc))
            if _code(exc) in _LOCK_CODES:
                return self._session_only(
                    f"{file} is locked: another simdesk (or a tool) has it open. It was left alone."
                )
            return self._session_only(f"{file} could not be opened ({exc}).")
        except OSError as exc:
            return self._session_only(f"{file} could not be opened ({exc.strerror or exc}).")

    def _open_checked(self, file: Path) -> sqlite3.Connection:
        conn = self.connect(OPEN_TIMEOUT_S)
        try:
            if file.exists() and file.stat().st_size > 0:
                check = "integrity_check" if file.stat().st_size <= FULL_CHECK_BYTES else "quick_check"
                rows = [str(r[0]) for r in conn.execute(f"PRAGMA {check}").fetchmany(5)]
                if rows != ["ok"]:
                    raise _Damaged(f"{check}: {'; '.join(rows)}")
            conn = self._prepare(conn)
        except BaseException:
            conn.close()
            raise
        conn.execute(f"PRAGMA busy_timeout={int(self.timeout * 1000)}")
        return conn

    def _prepare(self, conn: sqlite3.Connection) -> sqlite3.Connection:
        found = int(conn.execute("PRAGMA user_version").fetchone()[0])
        if found > self.version:
            conn.close()
            raise _TooNew(f"schema {found}, this one knows {self.version}")
        conn.executescript(self.schema)
        if found != self.version:
            conn.execute(f"PRAGMA user_version={self.version}")
        return conn

    def _start_fresh(self, file: Path, why: str) -> sqlite3.Connection:
        try:
            aside = set_aside(file, "damaged", COMPANIONS)
        except OSError as exc:
            return self._session_only(f"{file} is damaged ({why}) and could not be moved aside ({exc.strerror}).")
        log.error("the %s at %s is damaged (%s); moved it to %s", self.label, file, why, aside)
        self._report(
            f"The {self.label} file was damaged. It was moved to {aside} and a new, empty one was started.", aside
        )
        try:
            return self._open_checked(file)
        except (sqlite3.Error, _Damaged, _TooNew, OSError) as exc:
            return self._session_only(f"a new {file.name} could not be created ({exc}).")

    def _session_only(self, why: str) -> sqlite3.Connection:
        """A throw-away file for this session: a file (not ``:memory:``) so WAL and many connections work."""
        self._session_dir = tempfile.mkdtemp(prefix="simdesk-session-")
        self.path = str(Path(self._session_dir) / Path(self.requested).name)
        log.error("the %s is kept for this session only: %s", self.label, why)
        self._report(f"The {self.label} is kept for this session only: {why} Nothing from this session will be saved.")
        return self._prepare(self.connect())

    def _report(self, message: str, moved_to: Path | None = None) -> None:
        # two events at one open (a link moved aside, then a lock) keep both sentences
        if self.problem is not None:
            message = f"{self.problem.message} {message}"
            moved_to = moved_to or self.problem.moved_to
        self.problem = StoreProblem(message, moved_to)

    # --- connections ---------------------------------------------------------------------------

    def connect(self, timeout: float | None = None) -> sqlite3.Connection:
        """A new connection to the store (autocommit, WAL, the store's ``synchronous``)."""
        wait = self.timeout if timeout is None else timeout
        conn = sqlite3.connect(self.path, timeout=wait, isolation_level=None, check_same_thread=False)
        try:
            if self.path != MEMORY:  # (journal mode cannot change inside a transaction)
                conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(f"PRAGMA synchronous={self.synchronous}")
        except BaseException:
            conn.close()
            raise
        return conn

    def cleanup(self) -> None:
        """Remove the session-only file, if one was used (after every connection is closed)."""
        if self._session_dir is not None:
            shutil.rmtree(self._session_dir, ignore_errors=True)
            self._session_dir = None


class LockedStore:
    """A store on one connection shared by threads behind a lock (the usage history, the logs
    cache): opened through :class:`SqliteFile`, written in :meth:`_tx`, closed once."""

    def __init__(self, path: Path | str, *, schema: str, version: int, label: str) -> None:
        # NORMAL: in WAL mode a crash of the app loses no commit (a power cut may lose the last few)
        self._file = SqliteFile(path, schema=schema, version=version, label=label)
        self._lock = threading.Lock()
        self._db = self._file.open()
        self.path = self._file.path

    @property
    def problem(self) -> StoreProblem | None:
        """Why the store did not open as usual (set aside, or kept for this session only), if it did not."""
        return self._file.problem

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock, transaction(self._db) as db:
            yield db

    def close(self) -> None:
        """Close the database (safe to call twice)."""
        with self._lock:
            self._db.close()
        self._file.cleanup()
