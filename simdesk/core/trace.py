"""A run's trace spans as one typed tree, and the rows of its waterfall.

Real Sim nests the spans of ``GET /api/v2/logs/{runId}`` under one root "Workflow Execution" span
whose ``children`` are the block spans, each timed by ``duration`` (``tests/fixtures/sim-0.8.9/
v2-log-one.body``). Older servers (and older descriptions of the API) send a flat list timed by
``durationMs`` and ``relativeStartMs``, where blocks run inside a loop or a parallel carry
``loopId``/``parallelId`` and ``iterationIndex``. :func:`span_tree` reads both into
:class:`Span` values; flat loop/parallel members are grouped under a synthetic group span with
one child per iteration, as Sim's own trace view groups them.

Nothing here trusts the server: a span that is not an object is skipped, a missing or negative
time becomes 0, a tree deeper than :data:`MAX_DEPTH` is cut, and :attr:`Trace.problems` says what
was dropped so the view can tell the user.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

MAX_DEPTH = 64  # deeper nesting than any real workflow: a hostile or broken log
GROUP_TYPES = frozenset({"loop", "parallel"})
# Blocks that receive the run's input: their output is what the run was given.
TRIGGER_TYPES = frozenset({"starter", "start_trigger", "api_trigger", "input_trigger", "chat_trigger"})


@dataclass(frozen=True, slots=True)
class Span:
    """One span: a block, a group (loop/parallel, iteration) or the workflow itself.

    Times are milliseconds from the start of the trace.
    """

    span_id: str
    name: str
    type: str
    start_ms: float
    duration_ms: float
    status: str
    block_id: str | None = None
    cost: float | None = None
    tokens: int | None = None
    model: str | None = None
    input: Any = None
    output: Any = None
    error: str | None = None
    children: tuple[Span, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def end_ms(self) -> float:
        return self.start_ms + self.duration_ms

    @property
    def failed(self) -> bool:
        return self.status == "error" or self.error is not None

    def walk(self, depth: int = 0) -> Iterator[tuple[int, Span]]:
        """This span and every descendant, depth first, with its depth."""
        stack: list[tuple[int, Span]] = [(depth, self)]
        while stack:
            level, span = stack.pop()
            yield level, span
            stack.extend((level + 1, c) for c in reversed(span.children))


@dataclass(frozen=True, slots=True)
class Trace:
    """The spans of one run, the problems met reading them, and the whole run's length."""

    roots: tuple[Span, ...]
    problems: tuple[str, ...] = ()

    @property
    def duration_ms(self) -> float:
        return max((s.end_ms for _, s in self.walk()), default=0.0)

    def walk(self) -> Iterator[tuple[int, Span]]:
        for root in self.roots:
            yield from root.walk()

    def blocks(self) -> list[Span]:
        """The spans of real blocks (with a block id), in start order."""
        found = [s for _, s in self.walk() if s.block_id]
        return sorted(found, key=lambda s: s.start_ms)  # stable: untimed spans keep the server's order

    def cost_by_model(self) -> dict[str, float]:
        """Cost summed per model (blocks without a model are left out)."""
        totals: dict[str, float] = {}
        for span in self.blocks():
            if span.model and span.cost is not None:
                totals[span.model] = totals.get(span.model, 0.0) + span.cost
        return totals

    def run_input(self) -> Any:
        """What the run was given: the output of its start (trigger) block, ``None`` if unseen."""
        start = next((s for s in self.blocks() if s.type in TRIGGER_TYPES), None)
        return start.output if start is not None else None

    def find(self, span_id: str) -> Span | None:
        return next((s for _, s in self.walk() if s.span_id == span_id), None)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if number == number and abs(number) != float("inf") else None  # no NaN or infinities


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _epoch_ms(value: Any) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000
    except ValueError:
        return None


def _tokens(value: Any) -> int | None:
    if isinstance(value, Mapping):
        total = _number(value.get("total"))
        if total is None:
            parts = [_number(value.get(k)) for k in ("prompt", "completion", "input", "output")]
            total = sum(p for p in parts if p is not None) if any(p is not None for p in parts) else None
        return int(total) if total is not None else None
    number = _number(value)
    return int(number) if number is not None else None


def _cost(value: Any) -> float | None:
    if isinstance(value, Mapping):
        return _number(value.get("total"))
    return _number(value)


class _Reader:
    def __init__(self, origin_ms: float | None) -> None:
        self.origin = origin_ms
        self.problems: list[str] = []
        self.seq = 0

    def span(self, data: Any, depth: int, parent_start: float) -> Span | None:
        if not isinstance(data, Mapping):
            self.problems.append("a span that is not a JSON object was skipped")
            return None
        self.seq += 1
        start = self._start(data, parent_start)
        duration = _number(data.get("duration"))
        if duration is None:
            duration = _number(data.get("durationMs"))
        if duration is None:
            begin, end = _epoch_ms(data.get("startTime")), _epoch_ms(data.get("endTime"))
            duration = end - begin if begin is not None and end is not None else 0.0
        children: tuple[Span, ...] = ()
        raw_children = data.get("children")
        if isinstance(raw_children, list) and raw_children:
            if depth >= MAX_DEPTH:
                self.problems.append(f"spans nested deeper than {MAX_DEPTH} levels were cut")
            else:
                children = self.spans(raw_children, depth + 1, start)
        name = _text(data.get("name")) or _text(data.get("blockName")) or "(unnamed span)"
        block_id = _text(data.get("blockId"))
        error = _text(data.get("errorMessage")) or _text(data.get("error"))
        status = _text(data.get("status")) or ("error" if error else "success")
        return Span(
            span_id=_text(data.get("id")) or f"span-{self.seq}",
            name=name,
            type=_text(data.get("type")) or "block",
            start_ms=start,
            duration_ms=max(0.0, duration),
            status=status,
            block_id=block_id,
            cost=_cost(data.get("cost")),
            tokens=_tokens(data.get("tokens")),
            model=_text(data.get("model")),
            input=data.get("input"),
            output=data.get("output"),
            error=error,
            children=children,
            raw=data,
        )

    def _start(self, data: Mapping[str, Any], parent_start: float) -> float:
        absolute = _epoch_ms(data.get("startTime"))
        if absolute is not None and self.origin is not None:
            return max(0.0, absolute - self.origin)
        relative = _number(data.get("relativeStartMs"))
        return max(0.0, relative if relative is not None else parent_start)

    def spans(self, items: Iterable[Any], depth: int, parent_start: float) -> tuple[Span, ...]:
        read = [s for s in (self.span(item, depth, parent_start) for item in items) if s is not None]
        return tuple(_group_iterations(read))


def _group_iterations(spans: list[Span]) -> list[Span]:
    """Flat spans of loop/parallel members → one group span per loop, one child per iteration."""
    groups: dict[str, dict[int, list[Span]]] = {}
    kinds: dict[str, str] = {}
    out: list[Span | str] = []
    for span in spans:
        data = span.raw
        group = _text(data.get("loopId")) or _text(data.get("parallelId"))
        if group is None or span.type in GROUP_TYPES:
            out.append(span)
            continue
        if group not in groups:
            groups[group] = {}
            kinds[group] = "loop" if _text(data.get("loopId")) else "parallel"
            out.append(group)
        index = _number(data.get("iterationIndex"))
        groups[group].setdefault(int(index) if index is not None else 0, []).append(span)
    result: list[Span] = []
    for item in out:
        if isinstance(item, Span):
            result.append(item)
            continue
        iterations = [
            _enclose(f"{item}-iteration-{i}", f"Iteration {i + 1}", f"{kinds[item]}-iteration", members)
            for i, members in sorted(groups[item].items())
        ]
        result.append(_enclose(item, kinds[item].title(), kinds[item], iterations))
    return result


def _enclose(span_id: str, name: str, kind: str, members: Sequence[Span]) -> Span:
    start = min(m.start_ms for m in members)
    end = max(m.end_ms for m in members)
    costs = [m.cost for m in members if m.cost is not None]
    status = "error" if any(m.failed for m in members) else "success"
    return Span(
        span_id, name, kind, start, end - start, status,
        cost=sum(costs) if costs else None, children=tuple(members),
    )  # fmt: skip


def span_tree(raw_spans: Any, *, started_at: datetime | None = None) -> Trace:
    """Read a log's ``traceSpans`` (nested or flat, possibly malformed) into a :class:`Trace`.

    ``started_at`` (the run's start) anchors spans' absolute ``startTime``; without it the
    earliest ``startTime`` found is used.
    """
    if raw_spans is None:
        return Trace((), ("the server sent no trace spans for this run",))
    if not isinstance(raw_spans, list):
        return Trace((), ("the trace spans are not a list",))
    origin = started_at.timestamp() * 1000 if started_at is not None else _earliest(raw_spans)
    reader = _Reader(origin)
    roots = reader.spans(raw_spans, 0, 0.0)
    if origin is not None and roots:
        shift = min(r.start_ms for r in roots)  # the run's log row starts before its first span
        if shift > 0:
            roots = tuple(_shifted(r, shift) for r in roots)
    return Trace(roots, tuple(dict.fromkeys(reader.problems)))


def _shifted(span: Span, by: float) -> Span:
    return replace(span, start_ms=span.start_ms - by, children=tuple(_shifted(c, by) for c in span.children))


def _earliest(items: list[Any]) -> float | None:
    stamps = [_epoch_ms(i.get("startTime")) for i in items if isinstance(i, Mapping)]
    found = [s for s in stamps if s is not None]
    return min(found) if found else None


# --- waterfall rows ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the waterfall: a span at an indent level, and whether it has children."""

    span: Span
    depth: int
    parent: int  # index of the parent row, -1 for a root
    has_children: bool


def waterfall_rows(trace: Trace, collapsed: frozenset[str] = frozenset()) -> list[Row]:
    """The rows to draw: depth first, children under their parent (a span id in ``collapsed``
    hides its descendants); siblings in start order so parallel branches sit side by side."""
    rows: list[Row] = []
    stack: list[tuple[Span, int, int]] = [(r, 0, -1) for r in reversed(sorted(trace.roots, key=_order))]
    while stack:
        span, depth, parent = stack.pop()
        index = len(rows)
        rows.append(Row(span, depth, parent, bool(span.children)))
        if span.children and span.span_id not in collapsed:
            stack.extend((c, depth + 1, index) for c in reversed(sorted(span.children, key=_order)))
    return rows


def _order(span: Span) -> float:
    return span.start_ms  # a stable sort: spans starting together keep the server's order
