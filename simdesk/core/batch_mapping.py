"""From a table's columns to a workflow's declared inputs: the mapping, and each row's input.

The mapping says, for every declared input, which column fills it (or none). :func:`auto_map`
proposes one by name (case, spaces, dashes and underscores ignored); the person may change it.
:func:`row_input` turns one row into the input to send, with the same checks and conversions as
the run form (:mod:`simdesk.core.input_form`): text cells become numbers, booleans or JSON as the
input's type says, and a ``file[]`` column holds paths (several separated by ``;``). A row with an
error is never sent.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from simdesk.core.batch_input import SourceRow
from simdesk.core.catalogue import WorkflowInput
from simdesk.core.input_form import ParsedInput, kind_of, parse_form, to_wire

ColumnMap = dict[str, str | None]  # input name -> column name (None: left empty)

_TRUE = frozenset({"true", "yes", "y", "1", "on"})
_FALSE = frozenset({"false", "no", "n", "0", "off"})


def _key(name: str) -> str:
    return re.sub(r"[\s_\-.]+", "", name).casefold()


def auto_map(columns: Sequence[str], inputs: Sequence[WorkflowInput]) -> ColumnMap:
    """Each input filled by the column of the same name (loosely compared), else by nothing.

    A workflow that declares no inputs takes each column as an input of that name."""
    if not inputs:
        return {column: column for column in columns}
    by_key = {_key(column): column for column in reversed(columns)}  # first of equal keys wins
    return {spec.name: by_key.get(_key(spec.name)) for spec in inputs}


def unused_columns(columns: Iterable[str], mapping: Mapping[str, str | None]) -> list[str]:
    """Columns no input takes (shown to the person: their values will not be sent)."""
    used = {column for column in mapping.values() if column}
    return [column for column in columns if column not in used]


def missing_columns(columns: Iterable[str], mapping: Mapping[str, str | None]) -> list[str]:
    """Columns the mapping names that the table does not have."""
    present = set(columns)
    return [column for column in mapping.values() if column and column not in present]


@dataclass(frozen=True, slots=True)
class RowInput:
    """One row's input to send (``values``, paths for files), or why it cannot be sent."""

    number: int
    values: dict[str, Any]
    errors: dict[str, str]

    @property
    def ok(self) -> bool:
        """True when the row can be sent."""
        return not self.errors

    def summary(self) -> str:
        """The row's problems in one line."""
        return "; ".join(msg if name == "$row" else f"{name}: {msg}" for name, msg in self.errors.items())


def _cell_for(spec: WorkflowInput, cell: Any) -> object:
    """A table cell as the run form would hold it for this input's type."""
    kind = kind_of(spec)
    if kind == "boolean" and isinstance(cell, str):
        word = cell.strip().casefold()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
        return cell if word else ""
    if kind == "file[]" and isinstance(cell, str):
        return [part.strip() for part in cell.split(";") if part.strip()]
    if kind in ("number", "object", "array", "json") and not isinstance(cell, str) and cell is not None:
        return json.dumps(cell)  # a JSON table's value, checked like typed text
    if kind == "string" and not isinstance(cell, str) and cell is not None:
        return (
            json.dumps(cell)
            if isinstance(cell, dict | list)
            else str(cell).lower()
            if isinstance(cell, bool)
            else str(cell)
        )
    return cell


def row_input(inputs: Sequence[WorkflowInput], mapping: Mapping[str, str | None], row: SourceRow) -> RowInput:
    """The input ``row`` gives under ``mapping``, checked against the declared ``inputs``."""
    if row.error is not None:
        return RowInput(row.number, {}, {"$row": row.error})
    if not inputs:
        values = {name: row.values.get(column) for name, column in mapping.items() if column}
        return RowInput(row.number, {k: v for k, v in values.items() if v not in (None, "")}, {})
    raw = {spec.name: _cell_for(spec, row.values.get(column)) for spec in inputs if (column := mapping.get(spec.name))}
    parsed: ParsedInput = parse_form(inputs, raw)
    return RowInput(row.number, to_wire(parsed.values), dict(parsed.errors))
