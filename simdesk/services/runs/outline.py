"""What the console knows of a workflow's blocks (names, output selectors), learnt from run logs.

An outline is kept per profile and workflow with the workflow's run options in the presets
file, so the outputs picker and block names work in the next session too. It is learnt from
the log of a run that ended, or, before this computer ever ran the workflow, from its latest
log on the server.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from simdesk.api import SimClient
from simdesk.api.errors import FeatureUnavailableError, SimError
from simdesk.core.budget import Priority, working_at
from simdesk.core.outline import WorkflowOutline, merge, outline_from_spans
from simdesk.core.presets import PresetStore

log = logging.getLogger("simdesk.services.runs")


class OutlineBook:
    """Outlines and run options per profile and workflow, in the presets file."""

    def __init__(self, presets: PresetStore) -> None:
        self.presets = presets

    def get(self, profile: str, workflow_id: str) -> WorkflowOutline:
        """What is known of a workflow's blocks (empty until a run's log was read)."""
        return WorkflowOutline.from_json(self.presets.options(profile, workflow_id).get("outline"))

    def remember_options(self, profile: str, workflow_id: str, options: Mapping[str, Any]) -> None:
        """Keep a workflow's run options (what it learnt of its blocks stays with them)."""
        kept = self.presets.options(profile, workflow_id)
        self.presets.set_options(profile, workflow_id, {**kept, **options})

    def learn(self, profile: str, workflow_id: str, learnt: WorkflowOutline) -> WorkflowOutline | None:
        """Merge ``learnt`` into what is known and keep it; the new outline, or None if nothing was learnt."""
        if not learnt.blocks:
            return None
        outline = merge(self.get(profile, workflow_id), learnt)
        options = self.presets.options(profile, workflow_id)
        options["outline"] = outline.to_json()
        self.presets.set_options(profile, workflow_id, options)
        return outline


async def from_latest_log(
    client_of: Callable[[], Awaitable[SimClient]], workflow_id: str, workspace_id: str
) -> WorkflowOutline | None:
    """The outline in a workflow's newest log on the server (``client_of()`` gives the client);
    None when it cannot be read."""
    try:
        client = await client_of()
        with working_at(Priority.BACKGROUND):
            logs = client.list_logs(
                workspace_id, workflow_ids=[workflow_id], include_trace_spans=True, page_size=1, order="desc"
            )
            entry = await anext(logs, None)
            await logs.aclose()  # stop paging: only the newest log is wanted
    except SimError as exc:  # v2 off, no logs permission: the picker stays free-form
        log.info("no outline from the logs of %s: %r", workflow_id, exc)
        return None
    except Exception:
        log.exception("reading the logs of %s failed", workflow_id)
        return None
    return None if entry is None else outline_from_spans(entry.spans)


async def from_run_log(client: SimClient, run_id: str) -> WorkflowOutline | None:
    """The outline in the log of run ``run_id``; None when there is no log to read."""
    try:
        with working_at(Priority.BACKGROUND):
            entry = await client.get_log(run_id)
    except FeatureUnavailableError:
        return None
    except SimError as exc:
        log.info("could not read the log of %s: %r", run_id, exc)
        return None
    return outline_from_spans(entry.spans)
