"""Logs on a server with v2 switched off: ``/api/v1/logs`` lists them, and one run is found there."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from simdesk.api import FeatureUnavailableError, NotFoundError, SimClient
from simdesk.core.trace import span_tree
from simdesk.sandbox import demo
from simdesk.sandbox.server import RunningSandbox


async def _listed(client: SimClient, **filters: Any) -> list[Any]:
    return [e async for e in client.list_logs(demo.WS_DEMO, **filters)]


async def _find(client: SimClient, run_id: str, **filters: Any) -> Any:
    """The run's row, reading pages only until it shows (newest first: on the first page). Walking
    every page would spend the API bucket on the runs earlier tests left in the shared sandbox."""
    async for entry in client.list_logs(demo.WS_DEMO, **filters):
        if entry.run_id == run_id:
            return entry
    raise AssertionError(f"{run_id} is not listed")


def test_v1_lists_and_opens_runs_when_v2_is_off(
    sandbox_no_v2: RunningSandbox, clients: Callable[..., SimClient], arun: Any
) -> None:
    client = clients(sandbox_no_v2)
    done = arun(client.execute(demo.ECHO_ID, {"message": "over v1"}))
    mine = arun(_find(client, done.run_id, workflow_ids=[demo.ECHO_ID], page_size=5))
    assert mine.status.value == "completed" and mine.trigger == "api" and mine.workflow_id == demo.ECHO_ID
    entry = arun(client.get_log(done.run_id, demo.WS_DEMO))
    assert entry.run_id == done.run_id and entry.final_output is not None
    assert span_tree(list(entry.trace_spans)).blocks()
    with pytest.raises(NotFoundError):
        arun(client.get_log("no-such-run", demo.WS_DEMO))
    with pytest.raises(FeatureUnavailableError):  # v1 knows no folder paths
        arun(_listed(client, folder_paths=["/Basics"]))
