"""A run's trace spans as one typed tree, whichever shape the server sent.

Real Sim (v0.8.9, ``GET /api/v2/logs/{runId}``) sends one root span named "Workflow Execution"
(type ``workflow``) whose ``children`` are the block spans; a block span has ``duration`` (ms,
fractional), ``executionOrder``, ``input`` and an id ``<blockId>-<epoch ms>``. Older documents
describe a flat list of block spans with ``durationMs`` instead. The client reads both
into :class:`Span` trees; :func:`block_spans` lists the block spans of either in the order they
ran.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

WORKFLOW_TYPE = "workflow"


@dataclass(frozen=True, slots=True)
class Span:
    """One span: a block's (``block_id`` set) or the workflow's root. ``duration_ms`` comes from
    ``duration`` or ``durationMs``; ``execution_order`` is Sim's 1-based order when it sent one."""

    span_id: str
    name: str
    type: str
    status: str | None = None
    block_id: str | None = None
    duration_ms: float | None = None
    start_time: datetime | None = None
    end_time: datetime | None = None
    execution_order: int | None = None
    input: Any = None
    output: Any = None
    error_message: str | None = None
    children: tuple[Span, ...] = ()

    @property
    def is_workflow(self) -> bool:
        """True for the root span that stands for the whole run."""
        return self.type == WORKFLOW_TYPE and self.block_id is None

    def walk(self) -> Iterator[Span]:
        """This span and every span under it, depth first."""
        yield self
        for child in self.children:
            yield from child.walk()


def block_spans(roots: Iterable[Span]) -> list[Span]:
    """Every block span under ``roots`` (nested or flat), in execution order where Sim gave one,
    else in the order listed."""
    found = [span for root in roots for span in root.walk() if span.block_id is not None]
    listed = {id(span): n for n, span in enumerate(found)}
    return sorted(found, key=lambda s: (s.execution_order is None, s.execution_order or 0, listed[id(s)]))
