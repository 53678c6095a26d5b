"""Checking a run's input against the workflow's declared ``inputs`` before anything is sent.

A form gives each field as the widget holds it (text for strings, numbers and JSON, a bool for a
checkbox, a list of paths for ``file[]``); the raw JSON editor gives one JSON text. Both come out
as :class:`ParsedInput`: the values to send, or a reason per field (``"$json"`` for the editor's
own syntax errors, with line and column). Nothing with an error is ever sent (sim-api.md §4.5/§5.3
would refuse much of it anyway, but only after a round trip and with a less useful message).

File fields hold :class:`LocalFile` values; :func:`to_wire` turns them into paths for the client
(which inlines them, sim-api.md §12) and :func:`to_jsonable` into a small marker for the history
and presets, so neither stores file contents.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simdesk.core.catalogue import WorkflowInput

JSON_FIELD = "$json"  # the key for errors about the JSON text as a whole
MAX_INLINE_BYTES = 7 * 1024 * 1024 + 512 * 1024  # Sim's 10 MiB body cap, after base64's 4/3
FILE_MARKER = "$file"
_KNOWN = frozenset({"string", "number", "boolean", "object", "array", "file[]"})


@dataclass(frozen=True, slots=True)
class LocalFile:
    """A file on this machine chosen for a ``file[]`` field."""

    path: str
    name: str
    size: int

    @classmethod
    def at(cls, path: str | os.PathLike[str]) -> LocalFile:
        """Describe the file at ``path`` (raises :class:`OSError` if it cannot be read)."""
        p = Path(path)
        stat = p.stat()
        if not p.is_file():
            raise IsADirectoryError(f"{p.name} is not a file")
        if not os.access(p, os.R_OK):
            raise PermissionError(f"{p.name} cannot be read")
        return cls(str(p), p.name, stat.st_size)


@dataclass(frozen=True)
class ParsedInput:
    """The outcome of checking an input: ``values`` to send, or ``errors`` by field name."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    where: dict[str, tuple[int, int]] = field(default_factory=dict)  # (line, column) of JSON syntax errors

    @property
    def ok(self) -> bool:
        """True when nothing is wrong."""
        return not self.errors

    def summary(self) -> str:
        """One sentence naming every field with a problem (for a status line)."""
        if self.ok:
            return ""
        parts = [msg if name == JSON_FIELD else f"{name}: {msg}" for name, msg in self.errors.items()]
        return "Fix the input before running — " + "; ".join(parts)


def kind_of(spec: WorkflowInput) -> str:
    """The field's type, or ``"json"`` for a type this client does not know (any JSON value)."""
    return spec.type if spec.type in _KNOWN else "json"


# --- form values -------------------------------------------------------------------------------


_MISSING = object()


def parse_field(spec: WorkflowInput, raw: object) -> tuple[Any, str | None]:
    """``(value, None)``, ``(_MISSING, None)`` for an empty field, or ``(None, reason)``."""
    kind = kind_of(spec)
    if kind == "boolean":
        if isinstance(raw, bool):
            return raw, None
        if raw is None or raw == "":
            return _MISSING, None
        return None, "Must be true or false"
    if kind == "file[]":
        return _parse_files(raw)
    text = raw if isinstance(raw, str) else ("" if raw is None else str(raw))
    if kind == "string":
        return (text, None) if text != "" else (_MISSING, None)
    if not text.strip():
        return _MISSING, None
    if kind == "number":
        return _parse_number(text)
    value, error = _parse_json_text(text)
    if error is not None:
        return None, error
    return _check_type(kind, value)


def _parse_number(text: str) -> tuple[Any, str | None]:
    stripped = text.strip()
    try:
        number: int | float = int(stripped)
    except ValueError:
        try:
            number = float(stripped)
        except ValueError:
            return None, f"“{_short(stripped)}” is not a number"
    if isinstance(number, float) and not math.isfinite(number):
        return None, "Must be a finite number"
    return number, None


def _parse_json_text(text: str) -> tuple[Any, str | None]:
    try:
        return json.loads(text), None
    except json.JSONDecodeError as exc:
        return None, f"Invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"


def error_position(text: str) -> tuple[int, int] | None:
    """(line, column) of the first JSON syntax error in ``text``; ``None`` if it parses."""
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        return exc.lineno, exc.colno
    return None


def _check_type(kind: str, value: Any) -> tuple[Any, str | None]:
    if kind == "object" and not isinstance(value, dict):
        return None, f"Must be a JSON object {{…}}, not {_json_kind(value)}"
    if kind == "array" and not isinstance(value, list):
        return None, f"Must be a JSON array […], not {_json_kind(value)}"
    return value, None


def _parse_files(raw: object) -> tuple[Any, str | None]:
    if raw is None or raw == "" or raw == []:
        return _MISSING, None
    items: Sequence[object] = raw if isinstance(raw, list | tuple) else [raw]
    files: list[LocalFile] = []
    for item in items:
        if isinstance(item, LocalFile):
            files.append(item)
            continue
        if not isinstance(item, str | os.PathLike):
            return None, "Choose files from disk"
        try:
            files.append(LocalFile.at(item))
        except OSError as exc:
            return None, f"Cannot use {Path(item).name}: {exc.strerror or exc}"
    total = sum(f.size for f in files)
    if total > MAX_INLINE_BYTES:
        return None, (
            f"The files add up to {total / 2**20:.1f} MiB; Sim accepts about "
            f"{MAX_INLINE_BYTES / 2**20:.1f} MiB of inline files per run"
        )
    return files, None


def parse_form(inputs: Sequence[WorkflowInput], raw: Mapping[str, object]) -> ParsedInput:
    """Check every declared field's widget value; empty fields are left out of the input."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    where: dict[str, tuple[int, int]] = {}
    for spec in inputs:
        value, error = parse_field(spec, raw.get(spec.name))
        if error is not None:
            errors[spec.name] = error
            text = raw.get(spec.name)
            is_json = isinstance(text, str) and kind_of(spec) in ("object", "array", "json")
            position = error_position(text) if is_json and isinstance(text, str) else None
            if position is not None:
                where[spec.name] = position
        elif value is not _MISSING:
            values[spec.name] = value
    _check_total_files(values, errors)
    return ParsedInput(values, errors, where)


# --- the raw JSON editor -----------------------------------------------------------------------


def parse_json_input(text: str, inputs: Sequence[WorkflowInput]) -> ParsedInput:
    """Check the raw JSON editor's text: one object; declared fields must have their type.

    Fields the workflow does not declare are allowed (Sim passes them to the start block)."""
    if not text.strip():
        return ParsedInput({}, {})
    value, error = _parse_json_text(text)
    if error is not None:
        where = error_position(text)
        return ParsedInput({}, {JSON_FIELD: error}, {JSON_FIELD: where} if where else {})
    if not isinstance(value, dict):
        return ParsedInput({}, {JSON_FIELD: f"The input must be a JSON object {{…}}, not {_json_kind(value)}"})
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    specs = {s.name: s for s in inputs}
    for name, item in value.items():
        spec = specs.get(name)
        if spec is None:
            values[name] = item
            continue
        checked, problem = _check_json_value(spec, item)
        if problem is not None:
            errors[name] = problem
        else:
            values[name] = checked
    _check_total_files(values, errors)
    return ParsedInput(values, errors)


def _check_json_value(spec: WorkflowInput, value: Any) -> tuple[Any, str | None]:
    kind = kind_of(spec)
    if kind == "string" and not isinstance(value, str):
        return None, f"Must be a string, not {_json_kind(value)}"
    if kind == "number" and (isinstance(value, bool) or not isinstance(value, int | float)):
        return None, f"Must be a number, not {_json_kind(value)}"
    if kind == "boolean" and not isinstance(value, bool):
        return None, f"Must be true or false, not {_json_kind(value)}"
    if kind in ("object", "array"):
        return _check_type(kind, value)
    if kind == "file[]":
        return _check_json_files(value)
    return value, None


def _check_json_files(value: Any) -> tuple[Any, str | None]:
    """A ``file[]`` value in JSON: Sim file objects, or our ``{"$file": path}`` markers."""
    items = value if isinstance(value, list) else [value]
    out: list[Any] = []
    for item in items:
        if isinstance(item, dict) and isinstance(item.get(FILE_MARKER), str):
            try:
                out.append(LocalFile.at(item[FILE_MARKER]))
            except OSError as exc:
                return None, f"Cannot use {Path(item[FILE_MARKER]).name}: {exc.strerror or exc}"
        elif isinstance(item, dict) and item.get("type") in ("file", "url") and isinstance(item.get("data"), str):
            out.append(item)
        else:
            return None, 'Each file must be {"type": "file"|"url", "data": …, "name": …} or {"$file": "/path"}'
    return out, None


def _check_total_files(values: Mapping[str, Any], errors: dict[str, str]) -> None:
    total = 0
    for value in values.values():
        if isinstance(value, list):
            total += sum(v.size for v in value if isinstance(v, LocalFile))
    if total > MAX_INLINE_BYTES:
        errors.setdefault(JSON_FIELD, f"The files add up to {total / 2**20:.1f} MiB; Sim accepts about 7.5 MiB per run")


# --- conversions -------------------------------------------------------------------------------


def to_wire(values: Mapping[str, Any]) -> dict[str, Any]:
    """The input for the client: local files become :class:`~pathlib.Path` (the client inlines them)."""
    return {k: _map_files(v, lambda f: Path(f.path)) for k, v in values.items()}


def to_jsonable(values: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON-ready copy: local files become ``{"$file": path, "name": …, "size": …}``."""
    return {
        k: _map_files(v, lambda f: {FILE_MARKER: f.path, "name": f.name, "size": f.size}) for k, v in values.items()
    }


def from_jsonable(values: Mapping[str, Any]) -> dict[str, Any]:
    """Inverse of :func:`to_jsonable` (markers whose file is gone are kept as markers)."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, list) and value and all(isinstance(v, dict) and FILE_MARKER in v for v in value):
            out[key] = [_file_from_marker(v) for v in value]
        else:
            out[key] = value
    return out


def _file_from_marker(marker: Mapping[str, Any]) -> Any:
    try:
        return LocalFile.at(marker[FILE_MARKER])
    except OSError:
        return LocalFile(str(marker[FILE_MARKER]), str(marker.get("name") or ""), int(marker.get("size") or 0))


def _map_files(value: Any, fn: Any) -> Any:
    if isinstance(value, list):
        return [fn(v) if isinstance(v, LocalFile) else v for v in value]
    return fn(value) if isinstance(value, LocalFile) else value


def form_texts(inputs: Sequence[WorkflowInput], values: Mapping[str, Any]) -> dict[str, object]:
    """Widget values for ``values`` (the inverse of :func:`parse_form`, to restore a form)."""
    out: dict[str, object] = {}
    for spec in inputs:
        if spec.name not in values:
            continue
        value = values[spec.name]
        kind = kind_of(spec)
        if kind == "boolean":
            out[spec.name] = bool(value)
        elif kind == "file[]":
            out[spec.name] = [v for v in (value if isinstance(value, list) else [value]) if isinstance(v, LocalFile)]
        elif kind == "string" and isinstance(value, str):
            out[spec.name] = value
        elif kind == "number" and isinstance(value, int | float) and not isinstance(value, bool):
            out[spec.name] = repr(value) if isinstance(value, float) else str(value)
        else:
            out[spec.name] = json.dumps(value, indent=2, ensure_ascii=False)
    return out


def json_text(values: Mapping[str, Any]) -> str:
    """The raw editor's text for ``values`` (files as ``$file`` markers)."""
    return json.dumps(to_jsonable(values), indent=2, ensure_ascii=False)


def json_type(value: Any) -> str:
    """The JSON type name of a value: ``null``, ``boolean``, ``number``, ``string``, ``array``,
    ``object`` (anything else is named by its Python type)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _json_kind(value: Any) -> str:
    """``json_type`` with its article, for messages ("not an array")."""
    name = json_type(value)
    return name if name == "null" else ("an " if name[0] in "aeiou" else "a ") + name


def _short(text: str, limit: int = 24) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
