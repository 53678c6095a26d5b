"""What a Sim account contains: workspaces, folders, workflows, their inputs and deployments."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class Workspace:
    """A workspace the key can see."""

    id: str
    name: str
    color: str | None = None
    logo_url: str | None = None
    member_count: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Folder:
    """A workflow folder; ``path`` is like ``/Ops/Archive``."""

    name: str
    path: str
    parent_path: str | None
    locked: bool = False
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class WorkflowInput:
    """One field the deployed API trigger accepts. ``type`` is ``string``, ``number``,
    ``boolean``, ``object``, ``array``, ``file[]`` or something newer."""

    name: str
    type: str
    description: str | None = None

    @property
    def is_file(self) -> bool:
        """True for ``file[]`` fields (send paths or file objects; the client encodes them)."""
        return self.type == "file[]"


@dataclass(frozen=True, slots=True)
class WorkflowSummary:
    """A workflow as lists show it. ``run_count``/``last_run_at`` count successful runs only."""

    id: str
    name: str
    workspace_id: str
    folder_path: str = "/"
    description: str | None = None
    is_deployed: bool = False
    deployed_at: datetime | None = None
    run_count: int = 0
    last_run_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class WorkflowDetail:
    """One workflow with what a run form needs: its declared ``inputs``."""

    summary: WorkflowSummary
    inputs: tuple[WorkflowInput, ...] = ()
    variables: Mapping[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        """The workflow id."""
        return self.summary.id

    @property
    def name(self) -> str:
        """The workflow name."""
        return self.summary.name


@dataclass(frozen=True, slots=True)
class Deployment:
    """A workflow's deployment state. ``version`` is the active deployment's, if any."""

    workflow_id: str
    is_deployed: bool
    deployed_at: datetime | None
    needs_redeployment: bool
    version: int | None = None
    warnings: tuple[str, ...] = ()
    latest_attempt_status: str | None = None


@dataclass(frozen=True, slots=True)
class WorkflowStatus:
    """``GET /api/workflows/{id}/status``: works on every deployment, v2 or not."""

    is_deployed: bool
    deployed_at: datetime | None
    needs_redeployment: bool
