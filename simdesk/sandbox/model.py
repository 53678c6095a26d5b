"""The sandbox's in-memory world: workspaces, keys, workflows, and what a run does over time.

A workflow is a list of blocks plus a *planner*: given the run's input (and a seeded random
source) it returns a :class:`Plan`, the timeline of everything the run will do (text chunks,
thinking, tool calls, block completions) and how it ends. The same plan drives a sync call, an
SSE stream and an async run polled later, so all three surfaces tell one story.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

Outcome = Literal["completed", "failed", "paused"]


@dataclass(frozen=True)
class Block:
    """One block of a workflow. Only ``agent`` blocks stream tokens."""

    id: str
    name: str
    type: str


@dataclass(frozen=True)
class Step:
    """One thing a run does, ``at`` seconds after it starts executing.

    ``kind``: ``chunk`` (agent text), ``reset`` (agent retracts its text), ``thinking``,
    ``tool_start`` / ``tool_end``, ``stream_error`` (the block's token stream broke, run goes on),
    ``block_done`` (the block finished; ``value`` is its output object).
    """

    at: float
    kind: str
    block_id: str
    text: str = ""
    tool: dict[str, Any] = field(default_factory=dict)
    value: Any = None


@dataclass(frozen=True)
class Plan:
    """A run's whole timeline and ending."""

    steps: tuple[Step, ...]
    duration: float
    outcome: Outcome
    output: Any
    cost: float
    error: dict[str, Any] | None = None  # {code, message, blockId?, blockName?, blockType?}
    pause: dict[str, Any] | None = None  # {blockId, response, pauseKind}
    response: dict[str, Any] | None = None  # a Response block: {status, headers, data}

    def block_outputs(self) -> dict[str, Any]:
        """Each finished block's output, by block id."""
        return {s.block_id: s.value for s in self.steps if s.kind == "block_done"}

    def steps_done(self, elapsed: float) -> list[Step]:
        """The steps that have happened ``elapsed`` seconds into the run.

        The 1 ms tolerance absorbs rounding: step times are rounded, ``elapsed`` comes from clock readings."""
        return [s for s in self.steps if s.at <= elapsed + 1e-3]


Planner = Callable[[dict[str, Any], random.Random], Plan]
ResumePlanner = Callable[[dict[str, Any], dict[str, Any], random.Random], Plan]


@dataclass(frozen=True)
class Workflow:
    """A workflow as the catalogue and the executor see it."""

    id: str
    name: str
    description: str | None
    folder_path: str
    workspace_id: str
    blocks: tuple[Block, ...]
    inputs: tuple[dict[str, Any], ...]
    planner: Planner
    resume_planner: ResumePlanner | None = None
    deployed: bool = True
    needs_redeployment: bool = False
    public_api: bool = False
    created_at: float = 0.0
    deployed_at: float | None = None
    position: int = 0
    variables: dict[str, Any] = field(default_factory=dict)

    def block(self, block_id: str) -> Block | None:
        return next((b for b in self.blocks if b.id == block_id), None)


@dataclass(frozen=True)
class Workspace:
    id: str
    name: str
    color: str
    allow_personal_keys: bool = True
    member_count: int = 1
    created_at: float = 0.0


@dataclass(frozen=True)
class Folder:
    workspace_id: str
    path: str
    locked: bool = False
    created_at: float = 0.0

    @property
    def id(self) -> str:
        """A UUID-like id, stable for the path: v1 names folders by id, v2 by path."""
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"sim-folder:{self.workspace_id}{self.path}"))

    @property
    def name(self) -> str:
        return self.path.rstrip("/").rsplit("/", 1)[-1]

    @property
    def parent_path(self) -> str:
        parent = self.path.rstrip("/").rsplit("/", 1)[0]
        return parent or "/"


@dataclass(frozen=True)
class ApiKey:
    """A key the sandbox accepts. ``workspace_id`` set = a workspace key, else personal."""

    key: str
    user_id: str
    workspace_id: str | None = None

    @property
    def kind(self) -> str:
        return "workspace" if self.workspace_id else "personal"
