"""Where simdesk keeps its files: data, config, cache and logs.

Directories come from platformdirs (XDG on Linux, ``~/Library`` on macOS, ``%LOCALAPPDATA%``
on Windows). ``--data-dir DIR`` moves *every* one of them under ``DIR``, so tests and benchmarks
can run the app without touching the user's real profile, and a user can keep a portable copy.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

APP_NAME = "simdesk"
APP_ID = "io.github.simdesk.SimDesk"  # reverse-DNS id: .desktop file, icon name, desktopFileName


PROBE_BYTES = 4096  # a block: a full disk refuses it (an empty file would still fit in a free inode)


class UnwritableDir(OSError):
    """A folder simdesk must write to cannot be written; ``str()`` is a sentence for the user."""

    def __init__(self, directory: Path, cause: OSError) -> None:
        super().__init__(cause.errno, cause.strerror)
        self.directory = directory
        self.reason = cause.strerror or str(cause)

    def __str__(self) -> str:
        return (
            f"simdesk cannot write to its folder {self.directory}: {self.reason}. Check that the disk is not "
            "full and the folder is not read-only or locked (immutable), or start simdesk with "
            "--data-dir pointing at a folder it can write."
        )


def _probe(directory: Path) -> None:
    """Write and remove a small file in ``directory`` (raises the OSError that stops it).

    No fsync: a full disk refuses the write itself (space is reserved at write time), and
    start-up time is benchmarked.
    """
    probe = directory / f".simdesk-write-test-{os.getpid()}"
    try:
        with probe.open("wb") as handle:
            handle.write(bytes(PROBE_BYTES))
    finally:
        probe.unlink(missing_ok=True)


@dataclass(frozen=True, slots=True)
class AppPaths:
    """The four directories simdesk writes to, and the well-known files inside them."""

    data: Path
    config: Path
    cache: Path
    logs: Path

    @classmethod
    def under(cls, root: Path) -> AppPaths:
        """Everything below one directory (``--data-dir``)."""
        root = Path(root).expanduser().resolve()
        return cls(data=root / "data", config=root / "config", cache=root / "cache", logs=root / "logs")

    @classmethod
    def for_user(cls) -> AppPaths:
        """The platform's per-user directories."""
        # platformdirs is imported here, not at module level: it is only needed on this path.
        import platformdirs

        return cls(
            data=platformdirs.user_data_path(APP_NAME, appauthor=False),
            config=platformdirs.user_config_path(APP_NAME, appauthor=False),
            cache=platformdirs.user_cache_path(APP_NAME, appauthor=False),
            logs=platformdirs.user_log_path(APP_NAME, appauthor=False),
        )

    @classmethod
    def resolve(cls, data_dir: Path | str | None = None) -> AppPaths:
        """``under(data_dir)`` when given, else ``for_user()``."""
        return cls.under(Path(data_dir)) if data_dir else cls.for_user()

    def ensure(self) -> AppPaths:
        """Create the directories (private to the user: they hold logs and profiles).

        Raises :class:`UnwritableDir` when one cannot be created or written (a read-only mount,
        an immutable folder, a full disk), naming the folder.
        """
        for directory in (self.data, self.config, self.cache, self.logs):
            try:
                directory.mkdir(parents=True, exist_ok=True)
                if os.name == "posix" and directory.stat().st_mode & 0o777 != 0o700:
                    directory.chmod(0o700)
                _probe(directory)
            except OSError as exc:
                raise UnwritableDir(directory, exc) from exc
        return self

    @property
    def profiles_file(self) -> Path:
        """The profile list (names, URLs, colours; never a key)."""
        return self.config / "profiles.json"

    @property
    def settings_file(self) -> Path:
        """User preferences (QSettings, INI format)."""
        return self.config / "settings.ini"

    @property
    def state_file(self) -> Path:
        """Window geometry and dock layout, kept apart from preferences."""
        return self.data / "state.ini"

    @property
    def log_file(self) -> Path:
        """The rotating log."""
        return self.logs / "simdesk.log"

    def all_dirs(self) -> tuple[Path, ...]:
        """Every directory simdesk writes to."""
        return (self.data, self.config, self.cache, self.logs)
