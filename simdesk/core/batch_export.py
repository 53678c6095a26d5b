"""A batch's results as a table: CSV, JSON Lines or XLSX, written a page of rows at a time.

Columns: the row number, its status, run id, duration (ms), cost, error and error code, then one
column per output. Outputs are flattened one level (``output.<key>``, and ``text.<block>`` for
streamed answer text), with the column set taken from the first rows that have an output; an
output key seen only later goes into the ``output`` column as JSON rather than being lost.
XLSX goes through openpyxl's write-only mode, so memory stays flat for any number of rows.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Any

from simdesk.core.atomic import replace_atomic
from simdesk.core.batch_store import BatchRow, BatchStore

BASE_COLUMNS = ("row", "status", "run_id", "duration_ms", "cost", "error", "error_code")
_SAMPLE_ROWS = 200
_XLSX_CELL_MAX = 32_767  # Excel's limit on one cell's text


class ExportFormat(StrEnum):
    """The formats results can be saved in."""

    CSV = "csv"
    JSONL = "jsonl"
    XLSX = "xlsx"

    @classmethod
    def for_path(cls, path: Path) -> ExportFormat:
        """The format a file name asks for (CSV when the suffix says nothing we know)."""
        suffix = path.suffix.lower().lstrip(".")
        return {"jsonl": cls.JSONL, "ndjson": cls.JSONL, "xlsx": cls.XLSX}.get(suffix, cls.CSV)


def flatten_output(output: Any) -> dict[str, Any]:
    """One level of an output as columns (``output.<key>``, ``text.<block>``)."""
    if output is None:
        return {}
    if isinstance(output, dict) and set(output) == {"output", "texts"}:  # a streamed row
        flat = {f"text.{block}": text for block, text in (output.get("texts") or {}).items()}
        return flat | flatten_output(output.get("output"))
    if isinstance(output, dict):
        return {f"output.{key}": value for key, value in output.items()}
    return {"output": output}


def output_columns(store: BatchStore, batch_id: str) -> list[str]:
    """The output columns, from the first rows that have an output."""
    seen: dict[str, None] = {}
    sampled = 0
    for row in store.iter_rows(batch_id):
        if row.output is not None:
            seen.update(dict.fromkeys(flatten_output(row.output)))
            sampled += 1
            if sampled >= _SAMPLE_ROWS:
                break
    return [*seen, "output"] if "output" not in seen else list(seen)


def _cell(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def result_records(store: BatchStore, batch_id: str, columns: list[str]) -> Iterator[dict[str, Any]]:
    """Each row as a record over ``BASE_COLUMNS + columns``."""
    known = set(columns)
    for row in store.iter_rows(batch_id):
        record: dict[str, Any] = _base(row)
        flat = flatten_output(row.output)
        extra = {key: value for key, value in flat.items() if key not in known}
        record.update({column: flat.get(column) for column in columns})
        if extra:  # a key the sampled rows did not have: kept, as JSON in the output column
            record["output"] = {
                **({"output": record.get("output")} if record.get("output") is not None else {}),
                **extra,
            }
        yield record


def _base(row: BatchRow) -> dict[str, Any]:
    return {
        "row": row.number,
        "status": row.state.value,
        "run_id": row.run_id,
        "duration_ms": None if row.duration_ms is None else round(row.duration_ms, 3),
        "cost": row.cost,
        "error": row.error,
        "error_code": row.error_code,
    }


def export_results(store: BatchStore, batch_id: str, path: Path, fmt: ExportFormat | None = None) -> int:
    """Write the batch's results to ``path`` (atomically); returns how many rows were written."""
    chosen = fmt or ExportFormat.for_path(path)
    columns = output_columns(store, batch_id)
    header = [*BASE_COLUMNS, *columns]
    records = result_records(store, batch_id, columns)
    written = 0

    def write(target: Path) -> None:
        nonlocal written
        if chosen is ExportFormat.XLSX:
            written = _write_xlsx(target, header, records)
            return
        with target.open("w", encoding="utf-8", newline="") as handle:
            if chosen is ExportFormat.JSONL:
                for record in records:
                    handle.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
                    written += 1
            else:
                writer = csv.writer(handle)
                writer.writerow(header)
                for record in records:
                    writer.writerow([_cell(record.get(column)) for column in header])
                    written += 1

    replace_atomic(path, write)
    return written


def _write_xlsx(target: Path, header: list[str], records: Iterator[dict[str, Any]]) -> int:
    from openpyxl import Workbook  # loads only when someone exports to XLSX

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Results")
    sheet.append(header)
    count = 0
    for record in records:
        cells = [_cell(record.get(column)) for column in header]
        sheet.append([c[:_XLSX_CELL_MAX] if isinstance(c, str) else c for c in cells])
        count += 1
    book.save(str(target))
    return count
