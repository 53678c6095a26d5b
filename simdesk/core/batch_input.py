"""Reading a table of run inputs: CSV, TSV, JSON Lines or a JSON array, as a stream of rows.

A batch file may be far larger than memory, so nothing here loads a file whole: CSV and TSV go
through :mod:`csv` over a text stream, JSON Lines a line at a time, and a JSON array one element at
a time (a small incremental scanner over fixed-size reads). Each row comes out as a
:class:`SourceRow`: its 1-based number in the table and a mapping of column name to value (strings
for CSV/TSV, any JSON value for the JSON formats).

Anything that makes a row unreadable (a JSON Lines line that is not an object, a record larger
than :data:`MAX_RECORD_CHARS`) becomes a row with an ``error`` rather than an exception, so one bad
line does not end the batch; a file that cannot be read at all raises :class:`TableError` with a
sentence for the person.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import IO, Any

MAX_RECORD_CHARS = 16 * 1024 * 1024  # one row larger than this is refused, not buffered
_READ_CHARS = 64 * 1024


class TableFormat(StrEnum):
    """The table formats a batch can read."""

    CSV = "csv"
    TSV = "tsv"
    JSONL = "jsonl"
    JSON = "json"


class TableError(Exception):
    """The table cannot be read at all; the message says why, for the person."""


@dataclass(frozen=True, slots=True)
class SourceRow:
    """One row of the table: its number (from 1), its values by column, or why it is unreadable."""

    number: int
    values: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """Enough to notice that a file changed between two reads: size and modification time."""

    size: int
    mtime_ns: int

    @classmethod
    def of(cls, path: Path) -> Fingerprint:
        """The fingerprint of ``path`` now (raises :class:`TableError` when it cannot be read)."""
        try:
            stat = path.stat()
        except OSError as exc:
            raise TableError(f"{path.name} cannot be read: {exc.strerror or exc}") from exc
        return cls(stat.st_size, stat.st_mtime_ns)


def guess_format(path: Path) -> TableFormat:
    """The format by the file's extension, else by its first non-blank character."""
    suffix = path.suffix.lower().lstrip(".")
    by_suffix = {"csv": TableFormat.CSV, "tsv": TableFormat.TSV, "tab": TableFormat.TSV}
    by_suffix |= {"jsonl": TableFormat.JSONL, "ndjson": TableFormat.JSONL, "json": TableFormat.JSON}
    if suffix in by_suffix:
        return by_suffix[suffix]
    with _open(path) as handle:
        head = handle.read(4096).lstrip()
    if head.startswith("["):
        return TableFormat.JSON
    if head.startswith("{"):
        return TableFormat.JSONL
    return TableFormat.TSV if "\t" in head.split("\n", 1)[0] else TableFormat.CSV


def read_rows(path: Path, table_format: TableFormat | None = None) -> Iterator[SourceRow]:
    """Every row of the table at ``path``, in order, read as a stream."""
    fmt = table_format or guess_format(path)
    if path.is_dir():
        raise TableError(f"{path.name} is a folder, not a table")
    if fmt in (TableFormat.CSV, TableFormat.TSV):
        return _delimited_rows(path, "\t" if fmt is TableFormat.TSV else ",")
    if fmt is TableFormat.JSONL:
        return _json_lines(path)
    return _json_array(path)


def read_text_rows(text: str, table_format: TableFormat | None = None) -> Iterator[SourceRow]:
    """Rows of a pasted table (tab-separated when the first line has a tab, else CSV or JSON)."""
    stripped = text.lstrip()
    fmt = table_format
    if fmt is None:
        if stripped.startswith("["):
            fmt = TableFormat.JSON
        elif stripped.startswith("{"):
            fmt = TableFormat.JSONL
        else:
            fmt = TableFormat.TSV if "\t" in stripped.split("\n", 1)[0] else TableFormat.CSV
    handle = io.StringIO(text)
    if fmt in (TableFormat.CSV, TableFormat.TSV):
        return _csv_from(handle, "\t" if fmt is TableFormat.TSV else ",")
    if fmt is TableFormat.JSONL:
        return _json_lines_from(handle)
    return _json_array_from(handle)


def columns_of(path: Path, table_format: TableFormat | None = None, *, sample: int = 50) -> list[str]:
    """The column names: a CSV/TSV header, or the keys of the first ``sample`` JSON rows in order."""
    seen: dict[str, None] = {}
    for index, row in enumerate(read_rows(path, table_format)):
        seen.update(dict.fromkeys(row.values))
        if index + 1 >= sample:
            break
    return list(seen)


def _open(path: Path) -> IO[str]:
    try:
        # utf-8-sig: spreadsheet programs write a byte-order mark; it must not end up in a column name
        return path.open(encoding="utf-8-sig", errors="strict", newline="")
    except IsADirectoryError as exc:
        raise TableError(f"{path.name} is a folder, not a table") from exc
    except OSError as exc:
        raise TableError(f"{path.name} cannot be opened: {exc.strerror or exc}") from exc


def _guarded(rows: Iterator[SourceRow], path_name: str) -> Iterator[SourceRow]:
    try:
        yield from rows
    except UnicodeDecodeError as exc:
        raise TableError(f"{path_name} is not UTF-8 text (byte {exc.start} cannot be read)") from exc
    except OSError as exc:
        raise TableError(f"{path_name} could not be read to the end: {exc.strerror or exc}") from exc


def _delimited_rows(path: Path, delimiter: str) -> Iterator[SourceRow]:
    def rows() -> Iterator[SourceRow]:
        with _open(path) as handle:
            yield from _csv_from(handle, delimiter)

    return _guarded(rows(), path.name)


def _csv_from(handle: IO[str], delimiter: str) -> Iterator[SourceRow]:
    csv.field_size_limit(MAX_RECORD_CHARS)
    reader = csv.reader(handle, delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        raise TableError(f"The header line cannot be read: {exc}") from exc
    names = [name.strip() or f"column {i + 1}" for i, name in enumerate(header)]
    number = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            number += 1
            yield SourceRow(number, error=f"Row {number} cannot be read: {exc}")
            continue
        if not any(cell.strip() for cell in cells):
            continue  # blank lines are not rows
        number += 1
        if len(cells) > len(names):
            yield SourceRow(number, error=f"Row {number} has {len(cells)} cells but the header names {len(names)}")
            continue
        yield SourceRow(number, dict(zip(names, cells + [""] * (len(names) - len(cells)), strict=True)))


def _json_lines(path: Path) -> Iterator[SourceRow]:
    def rows() -> Iterator[SourceRow]:
        with _open(path) as handle:
            yield from _json_lines_from(handle)

    return _guarded(rows(), path.name)


def _json_lines_from(handle: IO[str]) -> Iterator[SourceRow]:
    number = 0
    while True:
        line = handle.readline(MAX_RECORD_CHARS + 1)
        if not line:
            return
        if len(line) > MAX_RECORD_CHARS and not line.endswith("\n"):
            number += 1
            _skip_line(handle)
            yield SourceRow(number, error=f"Row {number} is longer than {MAX_RECORD_CHARS // (1024 * 1024)} MiB")
            continue
        if not line.strip():
            continue
        number += 1
        yield _object_row(number, line)


def _skip_line(handle: IO[str]) -> None:
    while True:
        rest = handle.readline(_READ_CHARS)
        if not rest or rest.endswith("\n"):
            return


def _object_row(number: int, text: str) -> SourceRow:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError) as exc:
        return SourceRow(number, error=f"Row {number} is not valid JSON: {str(exc)[:120]}")
    if not isinstance(value, dict):
        return SourceRow(number, error=f"Row {number} is a JSON {type(value).__name__}, not an object")
    return SourceRow(number, value)


def _json_array(path: Path) -> Iterator[SourceRow]:
    def rows() -> Iterator[SourceRow]:
        with _open(path) as handle:
            yield from _json_array_from(handle)

    return _guarded(rows(), path.name)


def _json_array_from(handle: IO[str]) -> Iterator[SourceRow]:
    """Elements of a top-level JSON array, one at a time, from fixed-size reads."""
    scanner = _ArrayScanner()
    number = 0
    while True:
        chunk = handle.read(_READ_CHARS)
        for element in scanner.feed(chunk):
            number += 1
            yield (
                _object_row(number, element)
                if element is not None
                else SourceRow(number, error=f"Row {number} is longer than {MAX_RECORD_CHARS // (1024 * 1024)} MiB")
            )
        if not chunk:
            scanner.finish()
            return


class _ArrayScanner:
    """Splits ``[elem, elem, ...]`` text into element texts without parsing them.

    It tracks string and nesting state only, so its work is linear in the input and it keeps at
    most one element's text (up to :data:`MAX_RECORD_CHARS`; a longer one yields ``None``).
    """

    def __init__(self) -> None:
        self._started = False
        self._ended = False
        self._depth = 0
        self._in_string = False
        self._escaped = False
        self._parts: list[str] = []
        self._size = 0
        self._too_long = False

    def feed(self, chunk: str) -> Iterator[str | None]:
        start = 0
        for index, char in enumerate(chunk):
            if self._ended:
                if not char.isspace():
                    raise TableError("There is more text after the JSON array's closing ]")
                continue
            if not self._started:
                if char.isspace():
                    continue
                if char != "[":
                    raise TableError("A JSON table must be an array of objects: [{...}, {...}]")
                self._started = True
                start = index + 1
                continue
            if self._in_string:
                if self._escaped:
                    self._escaped = False
                elif char == "\\":
                    self._escaped = True
                elif char == '"':
                    self._in_string = False
                continue
            if char == '"':
                self._in_string = True
            elif char in "[{":
                self._depth += 1
            elif char in "]}":
                if self._depth == 0 and char == "]":
                    yield from self._end_element(chunk[start:index])
                    self._ended = True
                    continue
                self._depth -= 1
            elif char == "," and self._depth == 0:
                yield from self._end_element(chunk[start:index], required=True)
                start = index + 1
        if self._started and not self._ended:
            self._keep(chunk[start:])

    def finish(self) -> None:
        if not self._started:
            return  # an empty file: no rows
        if not self._ended:
            raise TableError("The JSON array ends before its closing ] (is the file complete?)")

    def _keep(self, text: str) -> None:
        if self._too_long or not text:
            return
        self._size += len(text)
        if self._size > MAX_RECORD_CHARS:
            self._too_long, self._parts = True, []
        else:
            self._parts.append(text)

    def _end_element(self, tail: str, *, required: bool = False) -> Iterator[str | None]:
        self._keep(tail)
        text = "".join(self._parts)
        too_long = self._too_long
        self._parts, self._size, self._too_long = [], 0, False
        if too_long:
            yield None
        elif text.strip():
            yield text
        elif required:
            raise TableError("The JSON array has an empty element (two commas in a row?)")
