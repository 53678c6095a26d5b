"""Reading a table into a stored batch without holding up the event loop (Qt-free).

A table may be far larger than memory and slow to read, so :func:`ingest` pulls rows through
the streaming readers a chunk at a time on a worker thread, checks each against the mapping
there, and writes each chunk to the store on the loop's thread (the store's connection belongs to
that thread). Memory stays at one chunk whatever the file's size. :func:`read_preview` reads
only the first rows, for the new-batch form.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from simdesk.core.batch_input import Fingerprint, SourceRow, TableError, TableFormat, read_rows, read_text_rows
from simdesk.core.batch_mapping import RowInput, row_input
from simdesk.core.batch_store import Batch, BatchStore
from simdesk.core.catalogue import WorkflowInput
from simdesk.services.executors import run_blocking

PREVIEW_ROWS = 50
CHUNK_ROWS = 2000


@dataclass(frozen=True, slots=True)
class TableSource:
    """Where a batch's rows come from: a file, or a table pasted as text."""

    path: Path | None = None
    text: str | None = None
    table_format: TableFormat | None = None

    @property
    def label(self) -> str:
        """What the batch list shows as its source."""
        return str(self.path) if self.path is not None else "pasted table"

    def rows(self) -> Iterator[SourceRow]:
        """Every row, streamed (raises :class:`TableError` when the table cannot be read)."""
        if self.path is not None:
            return read_rows(self.path, self.table_format)
        return read_text_rows(self.text or "", self.table_format)

    def fingerprint(self) -> Fingerprint | None:
        """The file's size and time now (``None`` for pasted text, which cannot change)."""
        return Fingerprint.of(self.path) if self.path is not None else None


@dataclass(frozen=True, slots=True)
class Preview:
    """The first rows of a table and the columns they name."""

    columns: list[str]
    rows: list[SourceRow]


def read_preview(source: TableSource, limit: int = PREVIEW_ROWS) -> Preview:
    """The columns and first ``limit`` rows (blocking: call it on a worker thread)."""
    rows = source.rows()
    try:
        first = list(itertools.islice(rows, limit))
    finally:
        close = getattr(rows, "close", None)
        if close is not None:
            close()  # the file is closed now, not when the generator is collected
    columns: dict[str, None] = {}
    for row in first:
        columns.update(dict.fromkeys(row.values))
    return Preview(list(columns), first)


def _chunk(rows: Iterator[RowInput], size: int) -> list[RowInput]:
    return list(itertools.islice(rows, size))


async def ingest(
    store: BatchStore,
    batch: Batch,
    source: TableSource,
    inputs: Sequence[WorkflowInput],
    mapping: Mapping[str, str | None],
    *,
    on_rows: Callable[[int], None] | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> int:
    """Read every row of ``source`` into ``batch``; returns how many were stored.

    Raises :class:`TableError` when the table cannot be read or changed while it was read; the
    batch is then deleted, so nothing half-read is ever run."""
    before = await run_blocking(source.fingerprint)
    checked = (row_input(inputs, mapping, row) for row in source.rows())
    total = 0
    try:
        while chunk := await run_blocking(_chunk, checked, chunk_rows):
            total += store.add_rows(batch.id, chunk)
            if on_rows is not None:
                on_rows(total)
        if await run_blocking(source.fingerprint) != before:
            name = source.path.name if source.path is not None else "The table"
            raise TableError(f"{name} changed while it was being read; start again once it is complete")
    except BaseException:
        store.delete(batch.id)
        raise
    finally:
        checked.close()
    return total
