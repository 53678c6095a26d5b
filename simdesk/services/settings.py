"""Typed settings over QSettings (STYLE pattern 9): every option declared once, here.

Preferences (what the user chose: theme, active profile) and window state (geometry, dock
layout) live in two separate INI files, so resetting the layout never loses a preference and a
preference file can be shared without someone's screen geometry. Both files sit under the data
dir (:class:`simdesk.core.paths.AppPaths`). Widgets never call ``QSettings.value("some/key")``:
they ask :class:`Settings` for an :class:`Opt`.

Later panels declare their own options next to these, with the same :class:`Opt`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

from PySide6.QtCore import QByteArray, QObject, QSettings, Signal


@dataclass(frozen=True, slots=True)
class Opt[T]:
    """One setting: its key, default and type; ``scope`` says which file holds it."""

    key: str
    default: T
    type: type[T]
    scope: Literal["prefs", "state"] = "prefs"
    doc: str = ""


# --- preferences ------------------------------------------------------------------------------
THEME = Opt("appearance/theme", "system", str, doc="system, light or dark")
ACTIVE_PROFILE = Opt("profiles/active", "", str, doc="the profile the window opens on")
CHECK_ON_SWITCH = Opt("connection/check_on_switch", True, bool, doc="test the connection when switching")

# --- window state -----------------------------------------------------------------------------
WINDOW_GEOMETRY = Opt("window/geometry", QByteArray(), QByteArray, "state")
WINDOW_STATE = Opt("window/state", QByteArray(), QByteArray, "state", doc="docks and toolbars")
WINDOW_STATE_VERSION = 2  # bump when the dock set changes, so an old layout is not restored


class Settings(QObject):
    """Reads and writes :class:`Opt` values.

    Signals:
        changed(str key, object value): a preference was set to a new value.
    """

    changed = Signal(str, object)

    def __init__(self, prefs: QSettings, state: QSettings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._prefs = prefs
        self._state = state

    @classmethod
    def at(cls, prefs_file: Path, state_file: Path, parent: QObject | None = None) -> Settings:
        """Settings backed by two INI files (created on first write)."""
        return cls(
            QSettings(str(prefs_file), QSettings.Format.IniFormat),
            QSettings(str(state_file), QSettings.Format.IniFormat),
            parent,
        )

    def _store(self, opt: Opt[Any]) -> QSettings:
        return self._prefs if opt.scope == "prefs" else self._state

    def get[T](self, opt: Opt[T]) -> T:
        """The stored value, converted to ``opt.type``; the default when absent or malformed."""
        store = self._store(opt)
        if not store.contains(opt.key):
            return opt.default
        try:
            value = store.value(opt.key, opt.default, type=opt.type)
        except (TypeError, ValueError):
            return opt.default
        return value if isinstance(value, opt.type) else opt.default

    def set[T](self, opt: Opt[T], value: T) -> None:
        """Store ``value`` (emits ``changed`` for preferences that really changed)."""
        if not isinstance(value, opt.type):
            raise TypeError(f"{opt.key} takes {opt.type.__name__}, not {type(value).__name__}")
        before = self.get(opt)
        self._store(opt).setValue(opt.key, value)
        if opt.scope == "prefs" and before != value:
            self.changed.emit(opt.key, value)

    def reset(self, opt: Opt[Any]) -> None:
        """Forget the stored value (the default applies again)."""
        self._store(opt).remove(opt.key)

    def sync(self) -> None:
        """Write both files now (QSettings also writes on its own, lazily)."""
        for store in (self._prefs, self._state):
            store.sync()

    def files(self) -> tuple[Path, Path]:
        """The two backing files, for tests and "show settings folder"."""
        return Path(self._prefs.fileName()), Path(self._state.fileName())

    def status_ok(self) -> bool:
        """False when either file could not be written (read-only disk, bad format)."""
        return all(s.status() == QSettings.Status.NoError for s in (self._prefs, self._state))


def as_bytes(value: object) -> QByteArray:
    """A QByteArray from whatever QSettings handed back (bytes on some platforms)."""
    if isinstance(value, QByteArray):
        return value
    return QByteArray(cast(bytes, value)) if isinstance(value, bytes | bytearray) else QByteArray()
