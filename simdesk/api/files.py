"""Preparing a run's input: local files become inline data URLs; the body is sized before sending.

Anywhere in the input, a :class:`pathlib.Path`, a binary file object (anything with ``read()``)
or a :class:`FileInput` becomes Sim's file value (sim-api.md §12)::

    {"type": "file", "data": "data:<mime>;base64,<…>", "name": "report.pdf", "mime": "application/pdf"}

The mime type is guessed from the name (a file object's ``content_type`` wins), not defaulted to
``application/octet-stream`` for everything (the official SDK's sim-api.md §14 item 10). Sim converts these
only in ``file[]`` fields at the top level of the input. Plain strings are never taken for paths.

Sim refuses request bodies over 10 MiB (413); :func:`encode_body` checks the size first and
raises :class:`RequestTooLargeError` with the numbers, before anything is sent.
"""

from __future__ import annotations

import asyncio
import base64
import json
import mimetypes
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simdesk.api.errors import RequestTooLargeError, ValidationError

MAX_REQUEST_BYTES = 10 * 1024 * 1024
_MIB = 1024 * 1024
_FALLBACK_MIME = "application/octet-stream"


@dataclass(frozen=True, slots=True)
class FileInput:
    """A file given as bytes, for callers that have no path or file object."""

    name: str
    data: bytes
    mime: str | None = None


def guess_mime(name: str) -> str:
    """The mime type for a file name, ``application/octet-stream`` when unknown."""
    mime, _ = mimetypes.guess_type(name, strict=False)
    return mime or _FALLBACK_MIME


def file_value(name: str, data: bytes, mime: str | None = None) -> dict[str, str]:
    """Sim's inline file value for ``data``."""
    mime = mime or guess_mime(name)
    encoded = base64.b64encode(data).decode("ascii")
    return {"type": "file", "data": f"data:{mime};base64,{encoded}", "name": name, "mime": mime}


def _is_file_object(value: object) -> bool:
    return callable(getattr(value, "read", None)) and not isinstance(value, str | bytes)


def has_files(value: object) -> bool:
    """True if ``value`` contains anything :func:`encode_files` would read from disk."""
    if isinstance(value, Path | FileInput) or _is_file_object(value):
        return True
    if isinstance(value, Mapping):
        return any(has_files(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(has_files(v) for v in value)
    return False


def encode_files(value: Any) -> Any:
    """``value`` with every path, file object and :class:`FileInput` replaced by a file value.

    Reads files (blocking): call it off the event loop when :func:`has_files` says so.
    """
    if isinstance(value, FileInput):
        return file_value(value.name, value.data, value.mime)
    if isinstance(value, Path):
        return _read_path(value)
    if _is_file_object(value):
        return _read_object(value)
    if isinstance(value, Mapping):
        return {k: encode_files(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [encode_files(v) for v in value]
    return value


def _read_path(path: Path) -> dict[str, str]:
    try:
        size = path.stat().st_size
        _check_file_size(path.name, size)
        data = path.read_bytes()
    except OSError as exc:
        raise ValidationError(f"Cannot read the file {path.name}: {exc.strerror or exc}") from exc
    return file_value(path.name, data)


def _read_object(obj: Any) -> dict[str, str]:
    raw_name = getattr(obj, "name", None)
    name = os.path.basename(raw_name) if isinstance(raw_name, str) and raw_name else "file"
    position = _tell(obj)
    try:
        data = obj.read()
    except OSError as exc:
        raise ValidationError(f"Cannot read the file {name}: {exc}") from exc
    finally:
        if position is not None:
            obj.seek(position)
    if isinstance(data, str):
        data = data.encode("utf-8")
    if not isinstance(data, bytes | bytearray):
        raise ValidationError(f"The file object {name} did not return bytes")
    _check_file_size(name, len(data))
    content_type = getattr(obj, "content_type", None)
    return file_value(name, bytes(data), content_type if isinstance(content_type, str) else None)


def _tell(obj: Any) -> int | None:
    try:
        return int(obj.tell()) if callable(getattr(obj, "seekable", None)) and obj.seekable() else None
    except (OSError, ValueError):
        return None


def _check_file_size(name: str, size: int) -> None:
    encoded = (size + 2) // 3 * 4
    if encoded > MAX_REQUEST_BYTES:
        raise RequestTooLargeError(
            f"{name} is {size / _MIB:.1f} MiB; inline files must stay under about 7.5 MiB "
            f"because Sim accepts at most {MAX_REQUEST_BYTES // _MIB} MiB per run request"
        )


def encode_body(body: Mapping[str, Any]) -> bytes:
    """The JSON request body, or :class:`RequestTooLargeError` when it exceeds 10 MiB."""
    try:
        data = json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"The input cannot be sent as JSON: {exc}") from exc
    if len(data) > MAX_REQUEST_BYTES:
        raise RequestTooLargeError(
            f"The run request is {len(data) / _MIB:.1f} MiB; Sim accepts at most "
            f"{MAX_REQUEST_BYTES // _MIB} MiB (inline files count about 4/3 of their size)"
        )
    return data


def check_input(value: object) -> dict[str, Any]:
    """The input as a dict with string keys (``None`` → ``{}``); Sim takes no other shape."""
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise ValidationError("The run input must be a mapping of field names to values")
    return dict(value)


async def prepare_input(value: object) -> dict[str, Any]:
    """:func:`check_input`, then files inlined (read in a worker thread, off the event loop)."""
    checked = check_input(value)
    if has_files(checked):
        encoded: dict[str, Any] = await asyncio.to_thread(encode_files, checked)
        return encoded
    return checked
