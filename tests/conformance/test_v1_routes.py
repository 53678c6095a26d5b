"""The ungated v1 routes, ``/api/v1/workflows`` and ``/api/v1/logs`` (CONTRACT §8.3, §3.2).

The OpenAPI files do not describe v1, so the checked client holds each answer to the hand-written
CONTRACT.md schemas in ``differences.py`` (``v1-*``) and to the v1 header rules in
``contract.check_headers``; these tests add what a schema cannot see: paging, filters, access
rules, the shared request bucket, and that v1 answers the same with v2 switched on or off.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest

from simdesk.sandbox import demo
from simdesk.sandbox.clock import parse_iso
from simdesk.sandbox.server import RunningSandbox
from tests.conformance.contract import check_headers
from tests.conformance.openapi import Exchange, OpenAPIValidator
from tests.support.conformance import (
    ClientFactory,
    ConformanceClient,
    SandboxFactory,
    advance,
    execute_legacy,
    execute_v2,
    legacy_error,
    rate_headers,
    seconds_until,
)

WORKFLOWS = "/api/v1/workflows"
LOGS = "/api/v1/logs"
SCOPE_DENIED = "API key is not authorized for this workspace"
PERSONAL_DENIED = "Personal API keys are not allowed for this workspace"


@pytest.fixture(params=["sb", "gated_sb"])
def either_sb(request: pytest.FixtureRequest) -> RunningSandbox:
    """Each test using this runs against a sandbox with v2 on and one with it off."""
    sandbox: RunningSandbox = request.getfixturevalue(request.param)
    return sandbox


def walk(client: ConformanceClient, path: str, params: dict[str, Any]) -> tuple[list[dict[str, Any]], list[str]]:
    """Follow ``nextCursor`` until a page leaves it out; returns (items, cursors seen)."""
    items: list[dict[str, Any]] = []
    cursors: list[str] = []
    while True:
        response = client.get(path, params={**params, **({"cursor": cursors[-1]} if cursors else {})})
        assert response.status_code == 200, response.text
        body = response.json()
        items += body["data"]
        if "nextCursor" not in body:
            return items, cursors
        cursors.append(body["nextCursor"])
        assert len(cursors) < 50, "the cursor walk does not end"


def decoded(cursor: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(base64.b64decode(cursor))
    return data


def folder_id(sb: RunningSandbox, path: str) -> str:
    return next(f.id for f in sb.state.folders if f.workspace_id == demo.WS_DEMO and f.path == path)


# --- workflows ---------------------------------------------------------------------------------


def test_v1_workflows_answer_whether_v2_is_on_or_off(make_client: ClientFactory, either_sb: RunningSandbox) -> None:
    client = make_client(either_sb)
    body = client.get(WORKFLOWS, params={"workspaceId": demo.WS_DEMO}).json()
    expected = sorted(
        (w for w in demo.WORKFLOWS if w.workspace_id == demo.WS_DEMO), key=lambda w: (w.position, w.created_at, w.id)
    )
    assert [w["id"] for w in body["data"]] == [w.id for w in expected]  # sortOrder, createdAt, id
    assert "nextCursor" not in body  # one page: left out, not null
    echo = body["data"][0]
    assert (echo["name"], echo["folderId"], echo["isDeployed"]) == ("Echo", None, True)
    story = next(w for w in body["data"] if w["id"] == demo.STORY_ID)
    assert story["folderId"] == folder_id(either_sb, "/Agents") and "folderPath" not in story
    usage = body["limits"]["usage"]
    assert (usage["plan"], usage["limit"]) == ("free", 20)
    gate = client.get("/api/v2/workflows", params={"workspaceId": demo.WS_DEMO})
    assert gate.status_code == (200 if either_sb.config.v2 else 404)


def test_v1_workflows_pages_are_keysets_that_cover_the_list(client: ConformanceClient) -> None:
    whole = client.get(WORKFLOWS, params={"workspaceId": demo.WS_DEMO}).json()["data"]
    paged, cursors = walk(client, WORKFLOWS, {"workspaceId": demo.WS_DEMO, "limit": 3})
    assert [w["id"] for w in paged] == [w["id"] for w in whole]
    assert len(cursors) == (len(whole) - 1) // 3
    last = paged[2]
    position = next(w.position for w in demo.WORKFLOWS if w.id == last["id"])
    assert decoded(cursors[0]) == {"sortOrder": position, "createdAt": last["createdAt"], "id": last["id"]}


def test_v1_workflows_cursor_is_not_bound_to_filters(client: ConformanceClient) -> None:
    first = client.get(WORKFLOWS, params={"workspaceId": demo.WS_DEMO, "limit": 2}).json()
    # a keyset resumes after its row whatever the filters (v2 would answer 400 here)
    filtered = client.get(
        WORKFLOWS,
        params={"workspaceId": demo.WS_DEMO, "limit": 100, "deployedOnly": "true", "cursor": first["nextCursor"]},
    )
    assert filtered.status_code == 200
    ids = [w["id"] for w in filtered.json()["data"]]
    assert ids and first["data"][0]["id"] not in ids and demo.UNDEPLOYED_ID not in ids
    # a cursor Sim cannot read is ignored: the list starts over
    garbage = client.get(WORKFLOWS, params={"workspaceId": demo.WS_DEMO, "limit": 2, "cursor": "not-a-cursor"})
    assert garbage.json()["data"] == first["data"]


def test_v1_workflows_filters(client: ConformanceClient, sb: RunningSandbox) -> None:
    ops = client.get(WORKFLOWS, params={"workspaceId": demo.WS_DEMO, "folderId": folder_id(sb, "/Ops")}).json()
    expected = {w.id for w in demo.WORKFLOWS if w.workspace_id == demo.WS_DEMO and w.folder_path == "/Ops"}
    assert {w["id"] for w in ops["data"]} == expected and expected
    for flag in ("true", "1", " TRUE "):
        deployed = client.get(WORKFLOWS, params={"workspaceId": demo.WS_DEMO, "deployedOnly": flag}).json()["data"]
        assert demo.UNDEPLOYED_ID not in {w["id"] for w in deployed} and all(w["isDeployed"] for w in deployed)
    every = client.get(WORKFLOWS, params={"workspaceId": demo.WS_DEMO}).json()["data"]
    # blank values filter nothing, and unknown parameters pass (v1's schema is not strict)
    lenient = client.get(
        WORKFLOWS, params={"workspaceId": demo.WS_DEMO, "folderId": "", "deployedOnly": "", "search": "Echo"}
    )
    assert lenient.json()["data"] == every
    nowhere = client.get(WORKFLOWS, params={"workspaceId": demo.WS_DEMO, "folderId": "no-such-folder"})
    assert nowhere.json()["data"] == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "workspaceId"),
        ({"workspaceId": ""}, "workspaceId"),
        ({"workspaceId": "w" * 129}, "workspaceId"),
        ({"workspaceId": demo.WS_DEMO, "limit": "0"}, "limit"),
        ({"workspaceId": demo.WS_DEMO, "limit": "101"}, "limit"),
        ({"workspaceId": demo.WS_DEMO, "limit": "many"}, "limit"),
        ({"workspaceId": demo.WS_DEMO, "deployedOnly": "maybe"}, "deployedOnly"),
    ],
)
def test_v1_workflows_bad_queries_name_the_field(client: ConformanceClient, params: dict[str, str], field: str) -> None:
    response = client.get(WORKFLOWS, params=params)
    body = response.json()
    assert response.status_code == 400
    assert body["details"][0]["path"] == [field] and body["error"] == body["details"][0]["message"]
    assert rate_headers(response)[1] == 59  # parsed after the bucket took its token


# --- auth and workspace access -----------------------------------------------------------------


@pytest.mark.parametrize("path", [WORKFLOWS, LOGS])
def test_v1_auth_errors_are_plain_and_carry_no_quota(
    make_client: ClientFactory, gated_sb: RunningSandbox, path: str
) -> None:
    params = {"workspaceId": demo.WS_DEMO}
    cases = [
        (make_client(gated_sb, key=None), "API key required"),
        (make_client(gated_sb, key="sk-sim-wrong"), "Invalid API key"),
        (make_client(gated_sb, key=None, headers={"Authorization": f"Bearer {demo.DEMO_KEY}"}), "API key required"),
    ]
    for client, message in cases:
        response = client.get(path, params=params)
        assert (response.status_code, legacy_error(response)) == (401, message)
        assert "www-authenticate" not in response.headers  # that is v2's
    # none of them drew on the bucket
    assert rate_headers(make_client(gated_sb).get(path, params=params))[1] == 59


@pytest.mark.parametrize("path", [WORKFLOWS, LOGS])
def test_v1_workspace_access(make_client: ClientFactory, either_sb: RunningSandbox, path: str) -> None:
    personal = make_client(either_sb)
    scoped = make_client(either_sb, key=demo.WORKSPACE_KEY)
    locked = personal.get(path, params={"workspaceId": demo.WS_LOCKED})
    assert (locked.status_code, legacy_error(locked)) == (403, PERSONAL_DENIED)
    assert rate_headers(locked)[1] == 59  # a refusal after the bucket still reports it
    foreign = scoped.get(path, params={"workspaceId": demo.WS_TEAM})
    assert (foreign.status_code, legacy_error(foreign)) == (403, SCOPE_DENIED)
    # an unknown workspace fails the same checks (Sim reads its settings as null): 403, not 404
    unknown = personal.get(path, params={"workspaceId": "6f1c2a9e-0000-4000-8000-0000000000ff"})
    assert (unknown.status_code, legacy_error(unknown)) == (403, PERSONAL_DENIED)
    assert scoped.get(path, params={"workspaceId": demo.WS_DEMO}).status_code == 200
    assert personal.get(path, params={"workspaceId": demo.WS_TEAM}).status_code == 200


# --- the shared request bucket -----------------------------------------------------------------


def test_v1_shares_one_bucket_across_routes(client: ConformanceClient, sb: RunningSandbox) -> None:
    params = {"workspaceId": demo.WS_DEMO}
    first = client.get(WORKFLOWS, params=params)
    limit, remaining, reset = rate_headers(first)
    assert (limit, remaining) == (60, 59)  # free: 30/min, capacity 2× (§3.1)
    assert rate_headers(client.get(LOGS, params=params))[1] == 58  # the same bucket, not one per route
    for expected in range(57, -1, -1):
        path = WORKFLOWS if expected % 2 else LOGS
        assert rate_headers(client.get(path, params=params))[1] == expected
    limited = client.get(LOGS, params=params)
    body = limited.json()
    assert limited.status_code == 429 and rate_headers(limited) == (60, 0, reset)
    assert body["error"] == "Rate limit exceeded" and body["message"].endswith(reset)
    assert int(limited.headers["retry-after"]) == seconds_until(reset, sb.clock.now())
    # v2's buckets are per operation and apart from v1's
    v2 = client.get("/api/v2/workflows", params=params)
    assert (v2.status_code, rate_headers(v2)[1]) == (200, 59)
    advance(sb, 60.5)
    refilled = client.get(WORKFLOWS, params=params)
    assert (refilled.status_code, rate_headers(refilled)[1]) == (200, 29)  # +30 once per window, then −1


def test_v1_bucket_is_per_user_not_per_key(make_client: ClientFactory, gated_sb: RunningSandbox) -> None:
    make_client(gated_sb).get(WORKFLOWS, params={"workspaceId": demo.WS_DEMO})
    # the workspace key's creator is the demo user: Sim keys the v1 bucket on the user
    shared = make_client(gated_sb, key=demo.WORKSPACE_KEY).get(WORKFLOWS, params={"workspaceId": demo.WS_DEMO})
    assert rate_headers(shared)[1] == 58


def test_v1_storm_fault_answers_the_v1_429(client: ConformanceClient, sb: RunningSandbox) -> None:
    sb.faults.update({"storm_429": 1, "path_filter": "/api/v1/"})
    stormed = client.get(WORKFLOWS, params={"workspaceId": demo.WS_DEMO})
    assert stormed.status_code == 429 and stormed.json()["error"] == "Rate limit exceeded"
    assert client.get(WORKFLOWS, params={"workspaceId": demo.WS_DEMO}).status_code == 200


def test_v1_limits_agree_with_usage_limits(client: ConformanceClient) -> None:
    execute_legacy(client, demo.ECHO_ID)
    limits = client.get(WORKFLOWS, params={"workspaceId": demo.WS_DEMO}).json()["limits"]
    usage = client.get("/api/users/me/usage-limits").json()
    for kind in ("sync", "async"):
        reported = {k: v for k, v in usage["rateLimit"][kind].items() if k != "isLimited"}
        assert limits["workflowExecutionRateLimit"][kind] == reported
    spent = usage["usage"]
    assert limits["usage"] == {**spent, "isExceeded": spent["currentPeriodCost"] >= spent["limit"]}


# --- logs --------------------------------------------------------------------------------------


@pytest.fixture
def logged(make_sandbox: SandboxFactory, make_client: ClientFactory) -> ConformanceClient:
    """A client on a v2-off sandbox of its own with four finished runs, a second apart:
    ``v1-echo1``, ``v1-story``, ``v1-failing``, ``v1-echo2``."""
    sb = make_sandbox(v2=False)
    client = make_client(sb)
    for name, workflow_id in (
        ("echo1", demo.ECHO_ID),
        ("story", demo.STORY_ID),
        ("failing", demo.FAILING_ID),
        ("echo2", demo.ECHO_ID),
    ):
        response = execute_legacy(client, workflow_id, {"words": 5}, headers={"X-Execution-Id": f"v1-{name}"})
        assert response.status_code == (500 if name == "failing" else 200)
        advance(sb, 1)  # distinct start times, so the order is the clock's
    return client


def test_v1_logs_shape_and_order(logged: ConformanceClient) -> None:
    client = logged
    body = client.get(LOGS, params={"workspaceId": demo.WS_DEMO}).json()
    assert [i["executionId"] for i in body["data"]] == ["v1-echo2", "v1-failing", "v1-story", "v1-echo1"]  # desc
    first = body["data"][0]
    assert first["id"] != first["executionId"] and "status" not in first and "workflow" not in first
    assert {i["executionId"]: i["level"] for i in body["data"]}["v1-failing"] == "error"
    ascending = client.get(LOGS, params={"workspaceId": demo.WS_DEMO, "order": "asc"}).json()["data"]
    assert [i["executionId"] for i in ascending] == ["v1-echo1", "v1-story", "v1-failing", "v1-echo2"]


def test_v1_logs_details_and_optional_blocks(logged: ConformanceClient) -> None:
    client = logged
    params = {"workspaceId": demo.WS_DEMO, "executionId": "v1-story"}
    # the flags need details=full, unlike v2
    basic = client.get(LOGS, params={**params, "includeFinalOutput": "true", "includeTraceSpans": "true"}).json()
    assert not {"finalOutput", "traceSpans", "workflow"} & set(basic["data"][0])
    full = client.get(LOGS, params={**params, "details": "full"}).json()["data"][0]
    assert full["workflow"] == {
        "id": demo.STORY_ID,
        "name": "Story Teller",
        "description": full["workflow"]["description"],
        "deleted": False,
    }
    assert "finalOutput" not in full and "traceSpans" not in full
    rich = client.get(
        LOGS, params={**params, "details": "full", "includeFinalOutput": "1", "includeTraceSpans": "true"}
    ).json()["data"][0]
    assert rich["finalOutput"]["content"].count(" ") == 4
    # one root span, the blocks as its children (tests/fixtures/sim-0.8.9/v2-log-one.body)
    assert [s["blockId"] for s in rich["traceSpans"][0]["children"]] == ["b-storyteller", "b-story-stats"]
    failed = client.get(
        LOGS,
        params={"workspaceId": demo.WS_DEMO, "executionId": "v1-failing", "details": "full", "includeFinalOutput": "1"},
    ).json()["data"][0]
    assert "finalOutput" not in failed  # a run without a final output gets no block


def test_v1_logs_pages(logged: ConformanceClient) -> None:
    client = logged
    for order in ("desc", "asc"):
        whole = client.get(LOGS, params={"workspaceId": demo.WS_DEMO, "order": order}).json()["data"]
        paged, cursors = walk(client, LOGS, {"workspaceId": demo.WS_DEMO, "order": order, "limit": 1})
        assert paged == whole and len(cursors) == 3
        assert decoded(cursors[0]) == {"startedAt": whole[0]["startedAt"], "id": whole[0]["id"], "order": order}
    clamped = client.get(LOGS, params={"workspaceId": demo.WS_DEMO, "limit": "0"})
    assert clamped.status_code == 200 and len(clamped.json()["data"]) == 1  # clamped into 1–1000, not refused


def test_v1_logs_cursor_errors(logged: ConformanceClient) -> None:
    client = logged
    desc = client.get(LOGS, params={"workspaceId": demo.WS_DEMO, "limit": 1}).json()["nextCursor"]
    flipped = client.get(LOGS, params={"workspaceId": demo.WS_DEMO, "order": "asc", "cursor": desc})
    assert (flipped.status_code, legacy_error(flipped)) == (400, "Invalid cursor")
    garbage = client.get(LOGS, params={"workspaceId": demo.WS_DEMO, "cursor": "not-a-cursor"})
    assert (garbage.status_code, garbage.json()) == (400, {"error": "Invalid cursor"})


def test_v1_logs_filters(logged: ConformanceClient) -> None:
    client = logged

    def ids(**params: str) -> list[str]:
        response = client.get(LOGS, params={"workspaceId": demo.WS_DEMO, "order": "asc", **params})
        assert response.status_code == 200, response.text
        return [i["executionId"] for i in response.json()["data"]]

    assert ids(workflowIds=f"{demo.ECHO_ID},,{demo.FAILING_ID}") == ["v1-echo1", "v1-failing", "v1-echo2"]
    assert ids(level="error") == ["v1-failing"]
    assert ids(executionId="v1-story") == ["v1-story"]
    agents = next(f.id for f in demo.FOLDERS if f.path == "/Agents")
    assert ids(folderIds=agents) == ["v1-story"]
    assert ids(triggers="manual,chat") == [] and len(ids(triggers="all")) == 4 and len(ids(triggers="api")) == 4
    assert ids(minCost="0.004") == ["v1-story", "v1-failing"]  # echo costs 0.001
    assert ids(maxDurationMs="100") == ["v1-echo1", "v1-echo2"]
    story = client.get(LOGS, params={"workspaceId": demo.WS_DEMO, "executionId": "v1-story"}).json()["data"][0]
    assert ids(startDate=story["startedAt"]) == ["v1-story", "v1-failing", "v1-echo2"]
    assert ids(endDate=story["startedAt"]) == ["v1-echo1", "v1-story"]
    for bad in ({"level": "warn"}, {"details": "all"}, {"order": "up"}, {"minCost": "cheap"}, {"startDate": "soon"}):
        response = client.get(LOGS, params={"workspaceId": demo.WS_DEMO, **bad})
        assert response.status_code == 400 and response.json()["details"][0]["path"] == list(bad)


def test_v1_logs_leave_out_queued_runs(make_client: ClientFactory, sb: RunningSandbox) -> None:
    client = make_client(sb)
    run_id = execute_v2(client, demo.ECHO_ID, {"input": {}, "async": True}).json()["data"]["runId"]
    params = {"workspaceId": demo.WS_DEMO, "executionId": run_id}
    assert client.get(LOGS, params=params).json()["data"] == []  # no log row before the run starts
    advance(sb, 5)
    assert [i["executionId"] for i in client.get(LOGS, params=params).json()["data"]] == [run_id]


# --- the checkers bite ----------------------------------------------------------------------------

V1_HEADERS = {
    "content-type": "application/json",
    "x-request-id": "0a1b2c3d",
    # the web server's headers every real Sim answer carries (tests/fixtures/sim-0.8.9/*.headers)
    "content-security-policy": "default-src 'self'",
    "x-frame-options": "SAMEORIGIN",
    "access-control-allow-origin": "*",
    "x-ratelimit-limit": "60",
    "x-ratelimit-remaining": "0",
    "x-ratelimit-reset": "2026-08-21T10:01:00.000Z",
}


def v1_exchange(status: int, body: Any, headers: dict[str, str], path: str = WORKFLOWS) -> Exchange:
    return Exchange("GET", path, status, httpx.Headers(headers), body, request_headers={"x-api-key": "k"})


def test_v1_schemas_reject_v2_shapes(openapi: OpenAPIValidator, make_client: ClientFactory, sb: RunningSandbox) -> None:
    client = make_client(sb)
    v1 = client.get(WORKFLOWS, params={"workspaceId": demo.WS_DEMO}).json()
    assert openapi.validate(v1_exchange(200, v1, V1_HEADERS)) == []
    v2 = client.get("/api/v2/workflows", params={"workspaceId": demo.WS_DEMO}).json()
    as_v1 = {"data": v2["data"], "limits": v1["limits"]}  # folderPath where v1 has folderId
    assert any("folderId" in p for p in openapi.validate(v1_exchange(200, as_v1, V1_HEADERS)))
    null_cursor = {**v1, "nextCursor": None}  # v1 leaves it out; null is v2's way
    assert openapi.validate(v1_exchange(200, null_cursor, V1_HEADERS))
    v2_error = {"error": {"code": "UNAUTHORIZED", "message": "Invalid API key"}}
    assert openapi.validate(v1_exchange(401, v2_error, {"content-type": "application/json"}, LOGS))


def test_v1_header_rules_catch_departures() -> None:
    reset_ms = round(parse_iso(V1_HEADERS["x-ratelimit-reset"]) * 1000)
    limited = {"error": "Rate limit exceeded", "message": "m", "retryAfter": reset_ms}
    assert check_headers(v1_exchange(429, limited, {**V1_HEADERS, "retry-after": "30"})) == []
    assert any("Retry-After" in p for p in check_headers(v1_exchange(429, limited, V1_HEADERS)))
    stale = {**limited, "retryAfter": reset_ms - 1000}
    assert any("epoch ms" in p for p in check_headers(v1_exchange(429, stale, {**V1_HEADERS, "retry-after": "30"})))
    bare = {k: v for k, v in V1_HEADERS.items() if not k.startswith("x-ratelimit")}
    assert any("without X-RateLimit" in p for p in check_headers(v1_exchange(200, {}, bare)))
    assert any("401 carries" in p for p in check_headers(v1_exchange(401, {"error": "x"}, V1_HEADERS)))
