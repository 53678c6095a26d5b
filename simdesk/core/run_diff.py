"""Comparing two runs: what changed in their inputs and outputs, and block by block in time and cost.

The view a person needs when "it worked yesterday": a structural diff of two JSON values (paths
added, removed or changed; long strings also get a word diff), and the two traces' blocks
matched by name (the n-th run of a block in one trace against the n-th in the other, so loops
line up) with their durations and costs side by side.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from simdesk.core.trace import Trace

Op = Literal["added", "removed", "changed"]
MAX_CHANGES = 2_000  # a diff longer than this is cut (and says so): nobody reads more


@dataclass(frozen=True, slots=True)
class Change:
    """One difference at ``path`` (``$`` is the whole value; ``$.a[2].b`` a nested one)."""

    path: str
    op: Op
    before: Any = None
    after: Any = None


def json_diff(before: Any, after: Any, limit: int = MAX_CHANGES) -> list[Change]:
    """The structural differences from ``before`` to ``after`` (objects by key, lists by index)."""
    found: list[Change] = []
    for change in _walk("$", before, after):
        found.append(change)
        if len(found) >= limit:
            break
    return found


def _walk(path: str, a: Any, b: Any) -> Iterator[Change]:
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        for key in list(a) + [k for k in b if k not in a]:
            sub = f"{path}.{key}"
            if key not in b:
                yield Change(sub, "removed", before=a[key])
            elif key not in a:
                yield Change(sub, "added", after=b[key])
            else:
                yield from _walk(sub, a[key], b[key])
    elif isinstance(a, list) and isinstance(b, list):
        for i in range(max(len(a), len(b))):
            sub = f"{path}[{i}]"
            if i >= len(b):
                yield Change(sub, "removed", before=a[i])
            elif i >= len(a):
                yield Change(sub, "added", after=b[i])
            else:
                yield from _walk(sub, a[i], b[i])
    elif type(a) is not type(b) or a != b:
        yield Change(path, "changed", before=a, after=b)


def text_diff(before: str, after: str) -> list[tuple[str, str]]:
    """Word-level diff: ``(tag, text)`` pieces with tag ``=``, ``-`` (only before) or ``+``."""
    a, b = before.split(" "), after.split(" ")
    pieces: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            pieces.append(("=", " ".join(a[i1:i2])))
            continue
        if i2 > i1:
            pieces.append(("-", " ".join(a[i1:i2])))
        if j2 > j1:
            pieces.append(("+", " ".join(b[j1:j2])))
    return pieces


def short(value: Any, width: int = 80) -> str:
    """A value on one line, cut to ``width``."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= width else text[: width - 1] + "…"


@dataclass(frozen=True, slots=True)
class BlockDelta:
    """One block in both runs (``None`` on the side it did not run)."""

    name: str
    before_ms: float | None
    after_ms: float | None
    before_cost: float | None
    after_cost: float | None
    before_status: str | None
    after_status: str | None

    @property
    def delta_ms(self) -> float | None:
        return None if self.before_ms is None or self.after_ms is None else self.after_ms - self.before_ms

    @property
    def status_changed(self) -> bool:
        return self.before_status != self.after_status

    def slower(self, ratio: float = 1.5) -> bool:
        """Took at least ``ratio`` times as long (and 5 ms more) in the second run."""
        if self.before_ms is None or self.after_ms is None:
            return False
        return self.after_ms >= self.before_ms * ratio and self.after_ms - self.before_ms >= 5


def block_deltas(before: Trace, after: Trace) -> list[BlockDelta]:
    """Blocks of both traces matched by name and occurrence, in the first trace's order."""

    def keyed(trace: Trace) -> dict[tuple[str, int], Any]:
        seen: dict[str, int] = {}
        out = {}
        for span in trace.blocks():
            n = seen.get(span.name, 0)
            seen[span.name] = n + 1
            out[(span.name, n)] = span
        return out

    a, b = keyed(before), keyed(after)
    rows = []
    for key in list(a) + [k for k in b if k not in a]:
        x, y = a.get(key), b.get(key)
        label = key[0] if key[1] == 0 else f"{key[0]} #{key[1] + 1}"
        rows.append(
            BlockDelta(
                label,
                x.duration_ms if x else None, y.duration_ms if y else None,
                x.cost if x else None, y.cost if y else None,
                x.status if x else None, y.status if y else None,
            )
        )  # fmt: skip
    return rows
