"""Replace a small file atomically: a reader (or a crash) sees the old content or the new, never half.

Used by the JSON stores (profiles, favourites, presets, the catalogue cache). ``tempfile`` is
imported on first write, not at start-up: with ``shutil`` and the compression modules it pulls
in, it cost about 3 ms before the window could appear.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` through a temporary file beside it, then rename."""
    replace_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def replace_atomic(path: Path, write: Callable[[Path], object]) -> None:
    """Let ``write`` fill a temporary file beside ``path`` (any size, any writer), then rename it
    over ``path``; on any failure the temporary file is removed and ``path`` is untouched."""
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=path.suffix or ".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
