"""Replace a small file atomically: a reader (or a crash) sees the old content or the new, never half.

Used by the JSON stores (profiles, favourites, presets, the catalogue cache). ``tempfile`` is
imported on first write, not at start-up: with ``shutil`` and the compression modules it pulls
in, it cost about 3 ms before the window could appear.
"""

from __future__ import annotations

import os
from pathlib import Path


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` through a temporary file beside it, then rename."""
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
