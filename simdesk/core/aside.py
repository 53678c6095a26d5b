"""Setting a damaged or suspicious file aside without losing it, and telling links that leave home.

Every store uses the same naming, so a person finds the old file next to the new one:
``<name>.<reason>-<local time>`` (``jobs.sqlite3.damaged-20261203-121500``), with ``-2``, ``-3``…
when two are set aside in the same second.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("simdesk.core.files")


@dataclass(frozen=True, slots=True)
class StoreProblem:
    """Why a file of simdesk's did not open as usual: a sentence for the user, and where the old one went."""

    message: str
    moved_to: Path | None = None


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
    import shutil  # on first use: with the compression modules it pulls in, ~3 ms of start-up

    aside = aside_name(path, reason)
    shutil.copyfile(path, aside)
    return aside


def escapes(path: Path, root: Path) -> bool:
    """True when ``path`` is a symbolic link whose target lies outside ``root``."""
    if not path.is_symlink():
        return False
    return not path.resolve().is_relative_to(root.resolve())


def move_escaping_link(path: Path, label: str) -> StoreProblem | None:
    """Rename ``path`` aside when it is a link out of its own folder (so nothing is written through
    it); what happened, for the user, or ``None`` when it is not such a link."""
    if not escapes(path, path.parent):
        return None
    target = path.resolve()
    aside = set_aside(path, "symlink")
    log.warning("%s was a link to %s, outside its folder; renamed the link to %s", path, target, aside)
    return StoreProblem(
        f"The {label} file {path.name} was a link to {target}, outside its folder. simdesk does not write "
        f"there: the link was renamed to {aside.name} (its target is untouched) and a new one was started.",
        aside,
    )
