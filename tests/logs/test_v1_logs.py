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


def test_v1_lists_and_opens_runs_when_v2_is_off(
    sandbox_no_v2: RunningSandbox, clients: Callable[..., SimClient], arun: Any
) -> None:
    client = clients(sandbox_no_v2)
    done = arun(client.execute(demo.ECHO_ID, {"message": "over v1"}))
    rows = arun(_listed(client, workflow_ids=[demo.ECHO_ID], page_size=5))
    mine = next(r for r in rows if r.run_id == done.run_id)
    assert mine.status.value == "completed" and mine.trigger == "api" and mine.workflow_id == demo.ECHO_ID
    entry = arun(client.get_log(done.run_id, demo.WS_DEMO))
    assert entry.run_id == done.run_id and entry.final_output is not None
    assert span_tree(list(entry.trace_spans)).blocks()
    with pytest.raises(NotFoundError):
        arun(client.get_log("no-such-run", demo.WS_DEMO))
    with pytest.raises(FeatureUnavailableError):  # v1 knows no folder paths
        arun(_listed(client, folder_paths=["/Basics"]))
