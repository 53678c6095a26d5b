"""Seeded execution logs: runs that started elsewhere (schedules, webhooks, chat, the web UI).

A real workspace's logs hold far more runs than any one client started. With
``SandboxConfig.seeded_logs = n`` the sandbox adds ``n`` finished runs to the Demo workspace,
spread over the two weeks before the clock's start, across its deployed workflows and every
trigger kind Sim records (``api``, ``manual``, ``schedule``, ``webhook``, ``chat``), about one in
twelve failed. They are listed and filtered by ``/api/v2/logs`` (and ``/api/v1/logs``) with the
sandbox's own runs, and ``/api/v2/logs/{runId}`` returns each with trace spans nested as real Sim
nests them: one root "Workflow Execution" span whose ``children`` are the blocks, timed by
``duration`` (``tests/fixtures/sim-0.8.9/v2-log-one.body``), with a loop grouped into iterations
and a parallel's branches side by side for the larger workflows.

Everything derives from ``(seed, index)``: the same config gives the same logs, and a run's spans
are built only when asked for.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from simdesk.sandbox import demo
from simdesk.sandbox.clock import iso
from simdesk.sandbox.model import Workflow

if TYPE_CHECKING:
    from simdesk.sandbox.v2 import LogFilter

TRIGGERS = ("api", "manual", "schedule", "webhook", "chat")
MODELS = ("gpt-4o", "claude-sonnet-4-5", "gpt-4o-mini")
SPAN_WINDOW_S = 14 * 86400.0
PREFIX = "seeded-"


_START_TYPES = frozenset({"starter", "start_trigger", "api_trigger"})


@dataclass(frozen=True)
class SeededRun:
    """One seeded log row (everything the list shows; spans are made on demand)."""

    index: int
    run_id: str
    workflow: Workflow
    trigger: str
    status: str
    started_at: float
    duration_ms: float
    cost: float
    model: str

    def item(self, *, workflow: bool, spans: bool, final: bool, seed: int) -> dict[str, Any]:
        """The v2 log item, as :func:`simdesk.sandbox.v2.log_item` builds one for a live run."""
        out: dict[str, Any] = {
            "runId": self.run_id,
            "workflowId": self.workflow.id,
            "deploymentVersionId": f"dv_{self.workflow.id[-6:]}_3",
            "status": self.status,
            "level": "error" if self.status == "failed" else "info",
            "trigger": self.trigger,
            "startedAt": iso(self.started_at),
            "endedAt": iso(self.started_at + self.duration_ms / 1000),
            "totalDurationMs": round(self.duration_ms),
            "cost": {"total": self.cost},
            "files": None,
        }
        if workflow:
            wf = self.workflow
            out["workflow"] = {"id": wf.id, "name": wf.name, "description": wf.description, "deleted": False}
        if final:
            out["finalOutput"] = self.final_output() if self.status == "completed" else None
        if spans:
            out["traceSpans"] = self.trace_spans(seed)
        return out

    def basic(self) -> dict[str, Any]:
        """The plain list item (kept: a 10 000-run list is asked for page by page)."""
        cached: dict[str, Any] | None = self.__dict__.get("_basic")
        if cached is None:
            cached = self.item(workflow=False, spans=False, final=False, seed=0)
            object.__setattr__(self, "_basic", cached)
        return cached

    def final_output(self) -> dict[str, Any]:
        return {"content": f"Result of run {self.index} ({self.trigger})", "ok": True}

    def input(self) -> dict[str, Any]:
        return {"message": f"request {self.index}", "source": self.trigger}

    def trace_spans(self, seed: int) -> list[dict[str, Any]]:
        """Nested spans: the root, a starter, then the workflow's blocks (with a loop and a
        parallel for every fourth run), the last one failing when the run failed."""
        rng = random.Random(seed * 1_000_003 + self.index)
        t0 = self.started_at * 1000
        children: list[dict[str, Any]] = []
        clock = [0.0]

        def block(
            name: str, kind: str, ms: float, *, at: float | None = None, block_id: str | None = None, **extra: Any
        ) -> dict[str, Any]:
            start = clock[0] if at is None else at
            span: dict[str, Any] = {
                "id": f"{block_id or 'step-' + name.lower().replace(' ', '-')}-{int(t0 + start)}",
                "name": name,
                "type": kind,
                "duration": ms,
                "startTime": iso((t0 + start) / 1000),
                "endTime": iso((t0 + start + ms) / 1000),
                "status": "success",
                "relativeStartMs": start,
                "children": [],
                "executionOrder": len(children) + 1,
                **extra,
            }
            if block_id is not None:  # steps inside the loop and the parallel are no block of the workflow
                span["blockId"] = block_id
            if at is None:
                clock[0] += ms
            return span

        # the workflow's own blocks, so what an app learns from these logs (block names, outputs)
        # is true of the workflow
        blocks = [b for b in self.workflow.blocks if b.type not in _START_TYPES]
        start = next((b for b in self.workflow.blocks if b.type in _START_TYPES), None)
        children.append(
            block(
                start.name if start else "Start", "starter", 1.0, block_id=start.id if start else None,
                input=self.input(), output=self.input(),
            )
        )  # fmt: skip
        tokens = rng.randint(200, 3000)
        share = max(5.0, self.duration_ms * 0.5) / max(1, len(blocks) - 1)
        for n, b in enumerate(blocks[:-1]):
            extra: dict[str, Any] = {"output": {"value": f"{b.name} of run {self.index}"}}
            if b.type == "agent" and n == 0:
                extra = {
                    "model": self.model,
                    "tokens": {"prompt": tokens // 3, "completion": tokens - tokens // 3, "total": tokens},
                    "cost": {"input": self.cost / 3, "output": self.cost * 2 / 3, "total": self.cost},
                    "input": {"prompt": f"Handle request {self.index}"},
                    "output": {"content": f"Answer {self.index}", "model": self.model},
                }
            children.append(block(b.name, b.type, share, block_id=b.id, **extra))
        if self.index % 4 == 0:
            children.append(self._loop(block, clock, rng, self.duration_ms))
            children.append(self._parallel(block, clock, rng, self.duration_ms))
        rest = max(1.0, self.duration_ms - clock[0])  # the spans add up to the row's totalDurationMs
        final = blocks[-1] if blocks else None
        last = block(
            final.name if final else "Respond", final.type if final else "response", rest,
            block_id=final.id if final else None, output=self.final_output(),
        )  # fmt: skip
        if self.status == "failed":
            last.update(status="error", output={"error": "Upstream answered 502"}, errorMessage="Upstream answered 502")
        children.append(last)
        end = clock[0]
        root = {
            "id": "workflow-execution",
            "name": "Workflow Execution",
            "type": "workflow",
            "duration": end,
            "startTime": iso(t0 / 1000),
            "endTime": iso((t0 + end) / 1000),
            "status": "error" if self.status == "failed" else "success",
            "children": children,
        }
        return [root]

    @staticmethod
    def _loop(block: Any, clock: list[float], rng: random.Random, unit: float) -> dict[str, Any]:
        begin = clock[0]
        iterations = []
        for i in range(3):
            at = clock[0]
            step = block("Fetch page", "api", unit * rng.uniform(0.03, 0.05), output={"page": i + 1})
            iterations.append(
                {"id": f"loop-1-iteration-{i}", "name": f"Iteration {i + 1}", "type": "loop-iteration",
                 "duration": step["duration"], "startTime": step["startTime"], "endTime": step["endTime"],
                 "status": "success", "relativeStartMs": at, "children": [step]}
            )  # fmt: skip
        return {
            "id": "loop-1", "name": "Loop", "type": "loop", "duration": clock[0] - begin,
            "startTime": iterations[0]["startTime"], "endTime": iterations[-1]["endTime"],
            "status": "success", "relativeStartMs": begin, "children": iterations,
        }  # fmt: skip

    @staticmethod
    def _parallel(block: Any, clock: list[float], rng: random.Random, unit: float) -> dict[str, Any]:
        begin = clock[0]
        branches = [
            block(f"Branch {i + 1}", "function", unit * rng.uniform(0.02, 0.1), at=begin, output={"branch": i + 1})
            for i in range(3)
        ]
        longest = max(b["duration"] for b in branches)
        clock[0] += longest
        return {
            "id": "parallel-1", "name": "Parallel", "type": "parallel", "duration": longest,
            "startTime": iso(0) if not branches else branches[0]["startTime"],
            "endTime": max(b["endTime"] for b in branches), "status": "success",
            "relativeStartMs": begin, "children": branches,
        }  # fmt: skip


class Logbook:
    """The seeded runs of one sandbox, newest first."""

    def __init__(self, count: int, seed: int, now: float) -> None:
        self.seed = seed
        rng = random.Random(seed + 7919)
        workflows = [w for w in demo.WORKFLOWS if w.workspace_id == demo.WS_DEMO and w.deployed]
        rows = []
        for i in range(count):
            status = "failed" if rng.random() < 1 / 12 else "completed"
            rows.append(
                SeededRun(
                    index=i,
                    run_id=f"{PREFIX}{seed:x}-{i:06d}",
                    workflow=workflows[rng.randrange(len(workflows))],
                    trigger=TRIGGERS[rng.randrange(len(TRIGGERS))],
                    status=status,
                    started_at=round(now - 60 - rng.uniform(0, SPAN_WINDOW_S), 3),
                    duration_ms=round(rng.lognormvariate(6.5, 1.0), 1),
                    cost=round(rng.uniform(0.001, 0.08), 5),
                    model=MODELS[rng.randrange(len(MODELS))],
                )
            )
        self.rows = sorted(rows, key=lambda r: (r.started_at, r.run_id), reverse=True)
        self.by_id = {r.run_id: r for r in self.rows}

    def get(self, run_id: str) -> SeededRun | None:
        return self.by_id.get(run_id)


def matching(book: Logbook, wanted: LogFilter, workspace_id: str) -> list[SeededRun]:
    """The seeded runs of ``workspace_id`` that pass ``wanted``, as Sim's ``public-filters.ts``
    applies them (a trigger list containing ``all`` matches every trigger)."""
    rows: list[SeededRun] = [r for r in book.rows if r.workflow.workspace_id == workspace_id]
    if wanted.run_id is not None:
        found = book.get(wanted.run_id)
        rows = [found] if found is not None and found.workflow.workspace_id == workspace_id else []
    if wanted.start != float("-inf") or wanted.end != float("inf"):
        rows = [r for r in rows if wanted.start <= r.started_at <= wanted.end]
    if wanted.workflow_ids is not None:
        rows = [r for r in rows if r.workflow.id in wanted.workflow_ids]
    if wanted.in_folder is not None:
        rows = [r for r in rows if wanted.in_folder(r.workflow)]
    if wanted.triggers and "all" not in wanted.triggers:
        rows = [r for r in rows if r.trigger in wanted.triggers]
    if wanted.level is not None:
        rows = [r for r in rows if ("error" if r.status == "failed" else "info") == wanted.level]
    if wanted.min_duration_ms is not None or wanted.max_duration_ms is not None:
        low, high = wanted.min_duration_ms or 0.0, wanted.max_duration_ms or float("inf")
        rows = [r for r in rows if low <= r.duration_ms <= high]
    if wanted.min_cost is not None or wanted.max_cost is not None:
        low, high = wanted.min_cost or 0.0, wanted.max_cost or float("inf")
        rows = [r for r in rows if low <= r.cost <= high]
    if wanted.model is not None:
        rows = [r for r in rows if r.model == wanted.model]
    return rows
