"""Setting a damaged or suspicious file aside without losing it, and telling links that leave home.

Every store uses the same naming, so a person finds the old file next to the new one:
``<name>.<reason>-<local time>`` (``jobs.sqlite3.damaged-20261203-121500``), with ``-2``, ``-3``…
when two are set aside in the same second.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterable
from pathlib import Path


def aside_name(path: Path, reason: str) -> Path:
    """A free name beside ``path`` for its set-aside copy."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    aside = path.with_name(f"{path.name}.{reason}-{stamp}")
    number = 2
    while aside.exists() or aside.is_symlink():
        aside = path.with_name(f"{path.name}.{reason}-{stamp}-{number}")
        number += 1
    return aside


def set_aside(path: Path, reason: str, companions: Iterable[str] = ()) -> Path:
    """Rename ``path`` (a file, a directory or a link) aside; files named ``path`` + a companion
    suffix (SQLite's ``-wal``…) follow under the new name + the same suffix. Returns the new path."""
    aside = aside_name(path, reason)
    os.replace(path, aside)
    for suffix in companions:
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            os.replace(companion, aside.with_name(aside.name + suffix))
    return aside


def back_up(path: Path, reason: str) -> Path:
    """Copy ``path`` aside (the original stays where it is, e.g. when only part of it is unusable)."""
    aside = aside_name(path, reason)
    shutil.copyfile(path, aside)
    return aside


def escapes(path: Path, root: Path) -> bool:
    """True when ``path`` is a symbolic link whose target lies outside ``root``."""
    if not path.is_symlink():
        return False
    return not path.resolve().is_relative_to(root.resolve())
