"""The workflow catalogue cached on disk per profile, so the tree shows at once and offline.

One JSON file per profile under ``<data dir>/catalogue/``. What comes back from
:meth:`CatalogueCache.load` is marked ``cached=True`` with the time it was fetched; the browser
shows it as such until a refresh replaces it. Workflow ids typed by hand on a server without the
v2 catalogue (sim-api.md §8.1) are kept here too, with their last known deployment status.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from simdesk.core.atomic import write_atomic
from simdesk.core.catalogue import Folder, WorkflowInput, WorkflowStatus, WorkflowSummary, Workspace

log = logging.getLogger("simdesk.catalogue")

FORMAT = 1


@dataclass(frozen=True)
class WorkspaceContents:
    """The folders and workflows of one workspace, as fetched at ``fetched_at`` (epoch s)."""

    workspace_id: str
    folders: tuple[Folder, ...] = ()
    workflows: tuple[WorkflowSummary, ...] = ()
    fetched_at: float = 0.0
    statuses: Mapping[str, WorkflowStatus] = field(default_factory=dict)  # deployed ones, when checked


@dataclass(frozen=True)
class KnownWorkflow:
    """A workflow id the user typed (servers without the v2 catalogue), with what is known of it."""

    workflow_id: str
    name: str
    status: WorkflowStatus | None = None
    checked_at: float = 0.0


@dataclass(frozen=True)
class CatalogueSnapshot:
    """Everything the browser shows for one profile. ``cached`` is True when read from disk."""

    workspaces: tuple[Workspace, ...] = ()
    contents: Mapping[str, WorkspaceContents] = field(default_factory=dict)
    known: tuple[KnownWorkflow, ...] = ()
    inputs: Mapping[str, tuple[WorkflowInput, ...]] = field(default_factory=dict)  # per workflow, once loaded
    fetched_at: float = 0.0
    cached: bool = False

    def with_contents(self, contents: WorkspaceContents) -> CatalogueSnapshot:
        """A copy with one workspace's contents replaced."""
        merged = {**self.contents, contents.workspace_id: contents}
        return dataclasses.replace(self, contents=merged)


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [_encode(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _encode(v) for k, v in value.items()}
    return value


def _decode[T](cls: type[T], data: Mapping[str, Any]) -> T:
    """Build a flat dataclass of simple fields; ``*_at`` strings become datetimes."""
    kwargs: dict[str, Any] = {}
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    for key, value in data.items():
        if key not in names:
            continue
        if key.endswith("_at") and isinstance(value, str):
            value = datetime.fromisoformat(value)
        kwargs[key] = value
    return cls(**kwargs)


def _snapshot_to_json(snapshot: CatalogueSnapshot) -> dict[str, Any]:
    data = _encode(snapshot)
    data.pop("cached", None)
    data["format"] = FORMAT
    return dict(data)


def _snapshot_from_json(data: Mapping[str, Any]) -> CatalogueSnapshot:
    contents = {}
    for ws_id, item in (data.get("contents") or {}).items():
        contents[ws_id] = WorkspaceContents(
            workspace_id=ws_id,
            folders=tuple(_decode(Folder, f) for f in item.get("folders") or ()),
            workflows=tuple(_decode(WorkflowSummary, w) for w in item.get("workflows") or ()),
            fetched_at=float(item.get("fetched_at") or 0.0),
            statuses={k: _decode(WorkflowStatus, v) for k, v in (item.get("statuses") or {}).items()},
        )
    known = []
    for item in data.get("known") or ():
        status = item.get("status")
        known.append(
            KnownWorkflow(
                workflow_id=item["workflow_id"],
                name=item.get("name") or item["workflow_id"],
                status=_decode(WorkflowStatus, status) if isinstance(status, dict) else None,
                checked_at=float(item.get("checked_at") or 0.0),
            )
        )
    inputs = {
        wf: tuple(_decode(WorkflowInput, i) for i in items)
        for wf, items in (data.get("inputs") or {}).items()
        if isinstance(items, list)
    }
    return CatalogueSnapshot(
        workspaces=tuple(_decode(Workspace, w) for w in data.get("workspaces") or ()),
        contents=contents,
        known=tuple(known),
        inputs=inputs,
        fetched_at=float(data.get("fetched_at") or 0.0),
        cached=True,
    )


class CatalogueCache:
    """Reads and writes catalogue snapshots under ``directory``."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def path_for(self, profile: str) -> Path:
        """The file of one profile (hashed: profile names may hold any character)."""
        digest = hashlib.sha256(profile.encode()).hexdigest()[:16]
        return self.directory / f"catalogue-{digest}.json"

    def load(self, profile: str) -> CatalogueSnapshot | None:
        """The cached snapshot, marked ``cached``; ``None`` when absent or unreadable."""
        path = self.path_for(profile)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("format") != FORMAT:
                return None
            return _snapshot_from_json(data)
        except FileNotFoundError:
            return None
        except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
            log.warning("ignoring unreadable catalogue cache %s: %s", path, exc)
            return None

    def save(self, profile: str, snapshot: CatalogueSnapshot) -> None:
        """Replace the profile's cache atomically."""
        write_atomic(self.path_for(profile), json.dumps(_snapshot_to_json(snapshot), ensure_ascii=False))
