"""Reading trace spans into one tree: real Sim's nested shape, the older flat shape, bad input."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from simdesk.core.trace import MAX_DEPTH, span_tree, waterfall_rows

FIXTURE = Path(__file__).parents[1] / "fixtures" / "sim-0.8.9" / "v2-log-one.body"


def test_real_sim_nests_block_spans_under_the_workflow_span() -> None:
    data = json.loads(FIXTURE.read_text())["data"]
    trace = span_tree(data["traceSpans"], started_at=datetime.fromisoformat(data["startedAt"]))
    rows = waterfall_rows(trace)
    assert [(r.depth, r.span.name) for r in rows] == [(0, "Workflow Execution"), (1, "Start")]
    start = rows[1].span
    assert start.block_id == "dc8c3ee9-a088-4e7f-9034-03035163da3f"
    assert abs(start.duration_ms - 20.878) < 0.01  # `duration`, not `durationMs`
    assert start.output == {"message": "hello v2"}
    assert trace.run_input() == {"message": "hello v2"}
    assert trace.problems == ()


def _flat(name: str, start: float, ms: float, **extra: Any) -> dict[str, Any]:
    return {
        "id": name,
        "name": name,
        "type": "function",
        "blockId": f"b-{name}",
        "relativeStartMs": start,
        "durationMs": ms,
        **extra,
    }


def test_flat_spans_group_loop_members_into_iterations() -> None:
    spans = [
        _flat("start", 0, 1, type="starter", output={"q": 1}),
        _flat("fetch-a", 1, 5, loopId="loop-1", iterationIndex=0),
        _flat("fetch-b", 6, 7, loopId="loop-1", iterationIndex=1),
        _flat(
            "agent", 13, 20, type="agent", model="gpt-4o", cost={"total": 0.5}, tokens={"prompt": 10, "completion": 5}
        ),
    ]
    trace = span_tree(spans)
    shape = [(r.depth, r.span.name) for r in waterfall_rows(trace)]
    assert shape == [
        (0, "start"), (0, "Loop"), (1, "Iteration 1"), (2, "fetch-a"), (1, "Iteration 2"), (2, "fetch-b"), (0, "agent"),
    ]  # fmt: skip
    loop = trace.roots[1]
    assert (loop.start_ms, loop.duration_ms) == (1, 12)
    agent = trace.roots[-1]
    assert (agent.tokens, agent.model, agent.cost) == (15, "gpt-4o", 0.5)
    assert trace.cost_by_model() == {"gpt-4o": 0.5}


def test_parallel_branches_share_a_start_and_sit_side_by_side() -> None:
    t0 = datetime(2026, 12, 3, tzinfo=UTC)

    def iso(ms: float) -> str:
        return datetime.fromtimestamp(t0.timestamp() + ms / 1000, UTC).isoformat().replace("+00:00", "Z")

    def branch(name: str, ms: float) -> dict[str, Any]:
        return {"id": name, "name": name, "type": "function", "blockId": name, "duration": ms, "startTime": iso(100)}

    spans = [{"id": "p", "name": "Parallel", "type": "parallel", "duration": 30, "startTime": iso(100),
              "children": [branch("b1", 10), branch("b2", 30)]}]  # fmt: skip
    trace = span_tree(spans, started_at=t0)
    rows = waterfall_rows(trace)
    assert [r.span.start_ms for r in rows[1:]] == [0.0, 0.0]  # shifted so the first span starts the trace
    assert [r.parent for r in rows] == [-1, 0, 0]


def test_collapsing_a_group_hides_its_descendants() -> None:
    spans = [_flat("a", 0, 1, loopId="L", iterationIndex=0), _flat("b", 1, 1)]
    trace = span_tree(spans)
    assert len(waterfall_rows(trace)) == 4
    assert [r.span.name for r in waterfall_rows(trace, frozenset({"L"}))] == ["Loop", "b"]


def test_malformed_spans_are_skipped_and_reported() -> None:
    deep: dict[str, Any] = {"name": "leaf"}
    for _ in range(MAX_DEPTH + 5):
        deep = {"name": "level", "children": [deep]}
    spans = [
        "junk",
        None,
        {"name": "no times", "duration": float("nan"), "cost": "lots"},
        {"id": 5, "children": "x"},
        deep,
    ]
    trace = span_tree(spans)
    names = [s.name for _, s in trace.walk()]
    assert "no times" in names and "(unnamed span)" in names
    odd = next(s for _, s in trace.walk() if s.name == "no times")
    assert (odd.duration_ms, odd.cost, odd.start_ms) == (0.0, None, 0.0)
    assert any("not a JSON object" in p for p in trace.problems)
    assert any("deeper than" in p for p in trace.problems)
    assert max(depth for depth, _ in trace.walk()) <= MAX_DEPTH


def test_missing_or_wrong_spans_give_an_empty_trace_that_says_why() -> None:
    assert span_tree(None).problems == ("the server sent no trace spans for this run",)
    assert span_tree({"a": 1}).roots == ()
    assert span_tree({"a": 1}).problems == ("the trace spans are not a list",)
