"""Every v2 route with realistic calls: catalogue, pagination, runs, logs, billing (CONTRACT §5, §7.3, §8.2, §9, §11).

The edge cases of §16 are in ``test_edge_cases.py``; these tests cover the happy paths and the
main errors of each route. The checked client validates every response on the way.
"""

from __future__ import annotations

from typing import Any

import pytest

from simdesk.sandbox import demo
from simdesk.sandbox.clock import parse_iso
from simdesk.sandbox.server import RunningSandbox
from tests.support.conformance import (
    ISO_MS,
    ClientFactory,
    ConformanceClient,
    advance,
    data,
    execute_v2,
    rate_headers,
    v2_error,
)


def all_pages(client: ConformanceClient, path: str, params: dict[str, str | int]) -> tuple[list[Any], int]:
    """Follow ``nextCursor`` to the end; returns (items, pages)."""
    items: list[Any] = []
    pages = 0
    cursor = None
    while True:
        response = client.get(path, params={**params, **({"cursor": cursor} if cursor else {})})
        assert response.status_code == 200, response.text
        body = response.json()
        items += body["data"]
        pages += 1
        cursor = body["nextCursor"]
        if cursor is None:
            return items, pages
        assert isinstance(cursor, str) and cursor


# --- workspaces --------------------------------------------------------------------------------


def test_workspaces_personal_key_sees_those_allowing_personal_keys(client: ConformanceClient) -> None:
    names = [w["name"] for w in data(client.get("/api/v2/workspaces"))]
    assert names == ["Demo Workspace", "Team Ops"]  # sorted by name; Locked Lab forbids personal keys


def test_workspaces_workspace_key_sees_only_its_own(make_client: ClientFactory, sb: RunningSandbox) -> None:
    ws_client = make_client(sb, key=demo.WORKSPACE_KEY)
    assert [w["id"] for w in data(ws_client.get("/api/v2/workspaces"))] == [demo.WS_DEMO]
    foreign = ws_client.get(f"/api/v2/workspaces/{demo.WS_TEAM}")
    assert (foreign.status_code, v2_error(foreign)[0]) == (404, "NOT_FOUND")


def test_workspaces_pagination_and_sort(client: ConformanceClient) -> None:
    items, pages = all_pages(client, "/api/v2/workspaces", {"limit": 1, "sortBy": "createdAt", "sortOrder": "desc"})
    assert pages == 2
    assert [w["id"] for w in items] == [demo.WS_TEAM, demo.WS_DEMO]
    one = data(client.get(f"/api/v2/workspaces/{demo.WS_DEMO}"))
    assert (one["name"], one["memberCount"], one["logoUrl"]) == ("Demo Workspace", 3, None)
    assert ISO_MS.match(one["createdAt"])


# --- workflows and folders ---------------------------------------------------------------------


def test_workflows_list_pages_cover_the_whole_list(client: ConformanceClient) -> None:
    whole = client.get("/api/v2/workflows", params={"workspaceId": demo.WS_DEMO}).json()
    assert whole["nextCursor"] is None
    paged, pages = all_pages(client, "/api/v2/workflows", {"workspaceId": demo.WS_DEMO, "limit": 3})
    assert pages == -(-len(whole["data"]) // 3)
    assert [w["id"] for w in paged] == [w["id"] for w in whole["data"]]
    assert paged[0]["name"] == "Echo"  # position order by default
    assert {w["workspaceId"] for w in paged} == {demo.WS_DEMO}


def test_workflows_cursor_reuse_rules(client: ConformanceClient) -> None:
    params: dict[str, str | int] = {"workspaceId": demo.WS_DEMO, "limit": 2}
    cursor = client.get("/api/v2/workflows", params=params).json()["nextCursor"]
    # only limit may change between pages
    ok = client.get("/api/v2/workflows", params={**params, "limit": 5, "cursor": cursor})
    assert ok.status_code == 200 and len(data(ok)) == 5
    changed = client.get("/api/v2/workflows", params={**params, "sortBy": "name", "cursor": cursor})
    assert (changed.status_code, v2_error(changed)[0]) == (400, "BAD_REQUEST")
    garbage = client.get("/api/v2/workflows", params={**params, "cursor": "not-a-cursor"})
    assert garbage.status_code == 400


def test_workflows_filters(client: ConformanceClient) -> None:
    ops = data(client.get("/api/v2/workflows", params={"workspaceId": demo.WS_DEMO, "folderPath": "/Ops"}))
    assert ops and {w["folderPath"] for w in ops} == {"/Ops"}
    # one folder, not its subtree; "Ops" is read as "/Ops"; "/" is the root; an unknown path is empty
    bare = data(client.get("/api/v2/workflows", params={"workspaceId": demo.WS_DEMO, "folderPath": "Ops"}))
    assert [w["id"] for w in bare] == [w["id"] for w in ops]
    root = data(client.get("/api/v2/workflows", params={"workspaceId": demo.WS_DEMO, "folderPath": "/"}))
    assert root and {w["folderPath"] for w in root} == {"/"}
    assert data(client.get("/api/v2/workflows", params={"workspaceId": demo.WS_DEMO, "folderPath": "/Nope"})) == []
    # search matches names only: a word that is only in a description finds nothing
    assert data(client.get("/api/v2/workflows", params={"workspaceId": demo.WS_DEMO, "search": "upstream"})) == []
    flaky = data(client.get("/api/v2/workflows", params={"workspaceId": demo.WS_DEMO, "search": " FLAKY "}))
    assert [w["name"] for w in flaky] == ["Flaky Fetch"]
    deployed = data(client.get("/api/v2/workflows", params={"workspaceId": demo.WS_DEMO, "deployedOnly": "true"}))
    assert demo.UNDEPLOYED_ID not in {w["id"] for w in deployed}
    assert all(w["isDeployed"] for w in deployed)
    found = data(client.get("/api/v2/workflows", params={"workspaceId": demo.WS_DEMO, "search": "story"}))
    assert [w["id"] for w in found] == [demo.STORY_ID]
    by_name = data(client.get("/api/v2/workflows", params={"workspaceId": demo.WS_DEMO, "sortBy": "name"}))
    assert [w["name"] for w in by_name] == sorted(w["name"] for w in by_name)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"workspaceId": demo.WS_DEMO, "limit": "0"},
        {"workspaceId": demo.WS_DEMO, "limit": "101"},
        {"workspaceId": demo.WS_DEMO, "sortBy": "colour"},
        {"workspaceId": demo.WS_DEMO, "deployedOnly": "maybe"},
    ],
)
def test_workflows_list_rejects_bad_queries(client: ConformanceClient, params: dict[str, str]) -> None:
    response = client.get("/api/v2/workflows", params=params)
    assert (response.status_code, v2_error(response)[0]) == (400, "BAD_REQUEST")


def test_workflows_list_personal_key_on_locked_workspace(client: ConformanceClient) -> None:
    response = client.get("/api/v2/workflows", params={"workspaceId": demo.WS_LOCKED})
    code, _, details = v2_error(response)
    assert (response.status_code, code, details["code"]) == (403, "FORBIDDEN", "PERSONAL_API_KEYS_DISABLED")


def test_folders_list(client: ConformanceClient) -> None:
    body = client.get("/api/v2/workflows/folders", params={"workspaceId": demo.WS_DEMO}).json()
    assert body["nextCursor"] is None
    assert {f["path"] for f in body["data"]} == {"/Basics", "/Agents", "/Ops", "/Ops/Archive"}
    archive = next(f for f in body["data"] if f["path"] == "/Ops/Archive")
    assert (archive["name"], archive["parentPath"], archive["locked"]) == ("Archive", "/Ops", True)
    children = data(client.get("/api/v2/workflows/folders", params={"workspaceId": demo.WS_DEMO, "parentPath": "/Ops"}))
    assert [f["path"] for f in children] == ["/Ops/Archive"]


def test_workflow_detail_inputs_and_variables(client: ConformanceClient) -> None:
    detail = data(client.get(f"/api/v2/workflows/{demo.FILES_ID}"))
    assert {"name": "documents", "type": "file[]", "description": "PDFs, text or images"} in detail["inputs"]
    assert isinstance(detail["variables"], dict)
    assert (detail["folderPath"], detail["isDeployed"]) == ("/Basics", True)


def test_deployment(client: ConformanceClient) -> None:
    echo = data(client.get(f"/api/v2/workflows/{demo.ECHO_ID}/deployment"))
    assert echo["isDeployed"] and echo["activeDeployment"]["version"] >= 1
    assert echo["latestDeploymentAttempt"]["status"] == "active"
    research = data(client.get(f"/api/v2/workflows/{demo.RESEARCH_ID}/deployment"))
    assert research["needsRedeployment"] is True
    draft = data(client.get(f"/api/v2/workflows/{demo.UNDEPLOYED_ID}/deployment"))
    assert (draft["isDeployed"], draft["deployedAt"], draft["activeDeployment"]) == (False, None, None)


# --- execute and runs --------------------------------------------------------------------------


def test_execute_sync_echo(client: ConformanceClient) -> None:
    response = execute_v2(
        client, demo.ECHO_ID, {"input": {"message": "hi", "n": [1, 2]}}, headers={"X-Run-Id": "desk-sync-echo-1"}
    )
    result = data(response)
    assert result["runId"] == response.headers["x-run-id"] == "desk-sync-echo-1"
    assert (result["status"], result["output"], result["error"]) == ("completed", {"message": "hi", "n": [1, 2]}, None)
    assert isinstance(result["durationMs"], float) and result["durationMs"] == 50  # v2-execute-sync.body: fractional
    limit, remaining, _ = rate_headers(response)
    assert (limit, remaining) == (60, 59)


def test_execute_public_workflow_without_key(make_client: ClientFactory, sb: RunningSandbox) -> None:
    anonymous = make_client(sb, key=None)
    response = execute_v2(anonymous, demo.PUBLIC_ID, {"input": {"x": 1}}, headers={"X-Run-Id": "ignored-without-key"})
    result = data(response)
    assert result["output"] == {"pong": True, "echo": {"x": 1}}
    assert result["runId"] != "ignored-without-key"  # X-Run-Id is for keyed callers only
    queued = execute_v2(anonymous, demo.PUBLIC_ID, {"async": True})
    assert queued.status_code == 401
    bad_key = execute_v2(make_client(sb, key="sk-sim-wrong"), demo.PUBLIC_ID)
    assert (bad_key.status_code, v2_error(bad_key)[1]) == (401, "Invalid API key")


def test_runs_list_and_get(client: ConformanceClient) -> None:
    ids = [data(execute_v2(client, demo.TRIAGE_ID, {"input": {"ticket": f"T-{i}"}}))["runId"] for i in range(3)]
    listed, pages = all_pages(client, f"/api/v2/workflows/{demo.TRIAGE_ID}/runs", {"limit": 1, "order": "asc"})
    assert pages >= 3
    assert [r["runId"] for r in listed][-3:] == ids
    assert all(r["status"] == "completed" and r["trigger"] == "api" for r in listed)
    one = data(client.get(f"/api/v2/workflows/{demo.TRIAGE_ID}/runs/{ids[0]}", params={"includeOutput": "true"}))
    assert one["output"]["priority"] == "high"
    assert one["cost"]["total"] >= 0
    elsewhere = client.get(f"/api/v2/workflows/{demo.ECHO_ID}/runs/{ids[0]}")
    assert (elsewhere.status_code, v2_error(elsewhere)[1]) == (404, "Run not found")
    unknown = client.get(f"/api/v2/workflows/{demo.ECHO_ID}/runs/never-ran")
    assert (unknown.status_code, v2_error(unknown)[1]) == (404, "Run not found")


def test_resume_on_a_run_that_is_not_paused(client: ConformanceClient) -> None:
    run_id = data(execute_v2(client, demo.ECHO_ID))["runId"]
    response = client.post(f"/api/v2/workflows/{demo.ECHO_ID}/runs/{run_id}/resume", json={"contextId": "ctx"})
    assert (response.status_code, v2_error(response)[0]) == (409, "CONFLICT")


# --- logs --------------------------------------------------------------------------------------


def test_logs_with_trace_spans(client: ConformanceClient) -> None:
    run_id = data(execute_v2(client, demo.STORY_ID, {"input": {"words": 10}}))["runId"]
    basic = data(client.get("/api/v2/logs", params={"workspaceId": demo.WS_DEMO, "runId": run_id}))
    assert [i["runId"] for i in basic] == [run_id]
    assert "traceSpans" not in basic[0] and "workflow" not in basic[0]
    full = data(client.get("/api/v2/logs", params={"workspaceId": demo.WS_DEMO, "runId": run_id, "details": "full"}))[0]
    assert full["workflow"]["name"] == "Story Teller"
    # one root "Workflow Execution" span, blocks as its children (tests/fixtures/sim-0.8.9/v2-log-one.body)
    (root,) = full["traceSpans"]
    assert (root["id"], root["name"], root["type"]) == ("workflow-execution", "Workflow Execution", "workflow")
    agent = next(s for s in root["children"] if s["type"] == "agent")
    assert agent["name"] == "Storyteller" and agent["tokens"]["output"] == 10
    detail = data(client.get(f"/api/v2/logs/{run_id}"))
    assert (detail["status"], detail["level"], detail["trigger"]) == ("completed", "info", "api")
    assert detail["finalOutput"]["content"].count(" ") == 9
    first = detail["traceSpans"][0]["children"][0]
    assert (first["blockId"], first["executionOrder"], first["children"]) == ("b-storyteller", 1, [])
    block_id, _, epoch_ms = first["id"].rpartition("-")  # "<blockId>-<epoch ms of its start>"
    assert block_id == "b-storyteller" and abs(int(epoch_ms) - parse_iso(first["startTime"]) * 1000) <= 1
    assert isinstance(first["duration"], float) and "durationMs" not in first
    assert ISO_MS.match(detail["createdAt"])


def test_logs_of_a_completed_run_have_a_span_per_block(make_client: ClientFactory, fresh_sb: RunningSandbox) -> None:
    client = make_client(fresh_sb)  # a fresh clock, so the outcome does not depend on earlier tests
    run_id = data(execute_v2(client, demo.STORY_ID, {"input": {"words": 10}}))["runId"]
    detail = data(client.get(f"/api/v2/logs/{run_id}"))
    assert detail["status"] == "completed"
    assert [s["blockId"] for s in detail["traceSpans"][0]["children"]] == ["b-storyteller", "b-story-stats"]


def test_logs_filters_and_errors(client: ConformanceClient) -> None:
    failed = data(execute_v2(client, demo.FAILING_ID))["runId"]
    errors = data(client.get("/api/v2/logs", params={"workspaceId": demo.WS_DEMO, "level": "error"}))
    assert failed in {i["runId"] for i in errors}
    assert all(i["level"] == "error" for i in errors)
    (root,) = data(client.get(f"/api/v2/logs/{failed}"))["traceSpans"]
    last = root["children"][-1]
    assert (root["status"], last["status"], last["output"]) == (
        "error",
        "error",
        {"error": "HTTP 1: 502 from upstream"},
    )
    missing = client.get("/api/v2/logs")
    assert (missing.status_code, v2_error(missing)[0]) == (400, "BAD_REQUEST")
    not_utc = client.get("/api/v2/logs", params={"workspaceId": demo.WS_DEMO, "startDate": "2026-08-21T10:00:00+02:00"})
    assert not_utc.status_code == 400
    unknown = client.get("/api/v2/logs/never-ran")
    assert unknown.status_code == 404


def test_logs_limit_is_clamped_not_rejected(client: ConformanceClient) -> None:
    execute_v2(client, demo.ECHO_ID)
    big = client.get("/api/v2/logs", params={"workspaceId": demo.WS_DEMO, "limit": "5000"})
    assert big.status_code == 200 and 1 <= len(data(big)) <= 1000
    small = client.get("/api/v2/logs", params={"workspaceId": demo.WS_DEMO, "limit": "0"})
    assert small.status_code == 200 and len(data(small)) == 1


# --- billing -----------------------------------------------------------------------------------


def test_billing_status(client: ConformanceClient, sb: RunningSandbox) -> None:
    status = data(client.get("/api/v2/billing/status"))
    usage = client.get("/api/users/me/usage-limits").json()["usage"]
    assert (status["plan"], status["status"], status["workspaceId"]) == ("free", "active", None)
    assert status["credits"]["used"] == usage["currentPeriodCost"]
    assert status["credits"]["remaining"] == pytest.approx(status["credits"]["limit"] - status["credits"]["used"])
    scoped = data(client.get("/api/v2/billing/status", params={"workspaceId": demo.WS_DEMO}))
    assert scoped["workspaceId"] == demo.WS_DEMO


def test_billing_status_limit_exceeded(make_client: ClientFactory, fresh_sb: RunningSandbox) -> None:
    fresh_sb.state.set_cost(fresh_sb.state.usage_limit)
    status = data(make_client(fresh_sb).get("/api/v2/billing/status"))
    assert status["status"] == "limit_exceeded"
    assert status["credits"]["remaining"] == 0


def test_run_count_counts_only_successful_runs(client: ConformanceClient) -> None:
    def count(workflow_id: str) -> int:
        return int(data(client.get(f"/api/v2/workflows/{workflow_id}"))["runCount"])

    echo, failing = count(demo.ECHO_ID), count(demo.FAILING_ID)
    execute_v2(client, demo.ECHO_ID)
    execute_v2(client, demo.FAILING_ID)
    assert (count(demo.ECHO_ID), count(demo.FAILING_ID)) == (echo + 1, failing)
    assert ISO_MS.match(data(client.get(f"/api/v2/workflows/{demo.ECHO_ID}"))["lastRunAt"])


def test_resume_of_an_async_run_is_queued(client: ConformanceClient, sb: RunningSandbox) -> None:
    run_id = data(execute_v2(client, demo.APPROVAL_ID, {"input": {"amount": 5}, "async": True}))["runId"]
    advance(sb, 5)
    base = f"/api/v2/workflows/{demo.APPROVAL_ID}/runs/{run_id}"
    paused = data(client.get(base))
    assert paused["status"] == "paused"
    resumed = client.post(
        f"{base}/resume", json={"contextId": paused["paused"]["contextId"], "input": {"approved": True}}
    )
    assert resumed.status_code == 202
    new_id = data(resumed)["runId"]
    assert new_id != run_id and resumed.headers["x-run-id"] == new_id
    advance(sb, 5)
    done = data(client.get(f"/api/v2/workflows/{demo.APPROVAL_ID}/runs/{new_id}", params={"includeOutput": "true"}))
    assert (done["status"], done["output"]["approved"]) == ("completed", True)
