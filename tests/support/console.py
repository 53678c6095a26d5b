"""What the run console showed while a run went on, recorded at each of the run service's progress
reports (the service outlives the console in teardown, so the recorder is always disconnected)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from simdesk.app.workbench import Workbench


@contextmanager
def waiting_texts(bench: Workbench) -> Iterator[list[str]]:
    """The console's "Waiting for the first output" text at each progress report ("" while hidden)."""
    console = bench.console
    shown: list[str] = []

    def record(_progress: object) -> None:
        shown.append("" if console.waiting_box.isHidden() else console.waiting.text())

    bench.runs.progress.connect(record)
    try:
        yield shown
    finally:
        bench.runs.progress.disconnect(record)
