"""Read the answers recorded from a real Sim v0.8.9 (``tests/fixtures/sim-0.8.9/``), and compare shapes.

A capture ``NAME`` is ``NAME.headers`` (status line, then headers) and ``NAME.body`` (the body as
received). ``redis/NAME`` is the same answer recorded with Redis running, which is how Sim's
compose file deploys it; :func:`load` prefers that variant when it exists.

:func:`shape` reduces a JSON value to its keys and value types (with strings that are ids, times
or other per-run values left as their type), so a capture and a live sandbox answer can be
compared without the values that differ from run to run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CAPTURES = Path(__file__).resolve().parent.parent / "fixtures" / "sim-0.8.9"


@dataclass(frozen=True)
class Capture:
    """One recorded answer."""

    name: str
    status: int
    headers: list[tuple[str, str]]  # in order; names lower-cased, repeats kept (``vary`` comes twice)
    body: bytes

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k == name.lower()), None)

    def json(self) -> Any:
        return json.loads(self.body)

    def frames(self) -> list[Any]:
        """An SSE body's ``data:`` payloads, parsed (``"[DONE]"`` stays the string it is)."""
        return sse_frames(self.body)


def path_of(name: str, *, redis: bool = True) -> Path:
    """Where capture ``name`` lives: its ``redis/`` variant if there is one (and ``redis``)."""
    with_redis = CAPTURES / "redis" / f"{name}.headers"
    return with_redis.with_suffix("") if redis and with_redis.exists() else CAPTURES / name


def load(name: str, *, redis: bool = True) -> Capture:
    """Capture ``name``; ``redis=False`` takes the one recorded before Redis ran."""
    base = path_of(name, redis=redis)
    head = base.with_name(base.name + ".headers").read_bytes().decode()
    lines = [ln for ln in head.replace("\r\n", "\n").split("\n") if ln]
    status = int(lines[0].split()[1])
    headers = [(k.strip().lower(), v.strip()) for k, _, v in (ln.partition(":") for ln in lines[1:])]
    body_path = base.with_name(base.name + ".body")
    body = body_path.read_bytes() if body_path.exists() else b""
    return Capture(name, status, headers, body)


def sse_frames(body: bytes) -> list[Any]:
    frames = []
    for block in body.decode().replace("\r\n", "\n").split("\n\n"):
        if block.startswith("data: "):
            frames.append(json.loads(block[len("data: ") :]))
    return frames


def shape(value: Any) -> Any:
    """Keys and value types of ``value``: dicts keep their keys, lists their items' shapes, and
    every leaf becomes its JSON type name (an integer and a fraction are both ``number``)."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(v) for v in value]
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if value is None:
        return "null"
    return "string"
