"""The sandbox's v1 knowledge routes as Sim's handlers answer them (Sim publishes no OpenAPI for
them, so the shapes are checked here by hand): auth, the shared v1 bucket, parsing, access."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from simdesk.sandbox import demo, kb_seed, members
from simdesk.sandbox.server import RunningSandbox

WS = demo.WS_DEMO
KB_FIELDS = {
    "id",
    "name",
    "description",
    "tokenCount",
    "embeddingModel",
    "embeddingDimension",
    "chunkingConfig",
    "docCount",
    "connectorTypes",
    "createdAt",
    "updatedAt",
}
DOC_FIELDS = {
    "id",
    "knowledgeBaseId",
    "filename",
    "fileSize",
    "mimeType",
    "processingStatus",
    "chunkCount",
    "tokenCount",
    "characterCount",
    "enabled",
    "createdAt",
}
HIT_FIELDS = {"documentId", "documentName", "sourceUrl", "content", "chunkIndex", "metadata", "similarity"}


@pytest.fixture
def http(sandbox: RunningSandbox) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox.base_url, headers={"X-API-Key": demo.DEMO_KEY}) as client:
        yield client


def search(http: httpx.Client, **body: Any) -> httpx.Response:
    return http.post("/api/v1/knowledge/search", json={"workspaceId": WS, **body})


def test_list_and_get_shapes(http: httpx.Client) -> None:
    answer = http.get("/api/v1/knowledge", params={"workspaceId": WS})
    body = answer.json()
    assert body["success"] is True
    assert body["data"]["totalCount"] == len(body["data"]["knowledgeBases"]) == 3
    assert all(set(kb) == KB_FIELDS for kb in body["data"]["knowledgeBases"])
    assert answer.headers["x-ratelimit-remaining"]
    one = http.get(f"/api/v1/knowledge/{kb_seed.KB_HANDBOOK}", params={"workspaceId": WS}).json()
    assert one["data"]["knowledgeBase"]["docCount"] == 6


def test_documents_page_sort_and_filter(http: httpx.Client) -> None:
    path = f"/api/v1/knowledge/{kb_seed.KB_HANDBOOK}/documents"
    page = http.get(path, params={"workspaceId": WS, "limit": 2, "offset": 1, "sortBy": "filename", "sortOrder": "asc"})
    data = page.json()["data"]
    assert [d["filename"] for d in data["documents"]] == ["install-guide.md", "old-faq.txt"]
    assert data["pagination"] == {"total": 6, "limit": 2, "offset": 1, "hasMore": True}
    assert all(set(d) == DOC_FIELDS for d in data["documents"])  # v1 documents carry no tags
    disabled = http.get(path, params={"workspaceId": WS, "enabledFilter": "disabled"}).json()["data"]
    assert [d["filename"] for d in disabled["documents"]] == ["old-faq.txt"]
    found = http.get(path, params={"workspaceId": WS, "search": "RUNBOOK"}).json()["data"]
    assert [d["id"] for d in found["documents"]] == ["doc-0004-runbook"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({}, "workspaceId query parameter is required"),
        ({"workspaceId": WS, "limit": "0"}, "Too small: expected number to be >=1"),
        ({"workspaceId": WS, "limit": "101"}, "Too big: expected number to be <=100"),
        ({"workspaceId": WS, "sortBy": "size"}, "Invalid option: expected one of"),
    ],
)
def test_documents_query_errors(http: httpx.Client, params: dict[str, str], message: str) -> None:
    answer = http.get(f"/api/v1/knowledge/{kb_seed.KB_HANDBOOK}/documents", params=params)
    assert answer.status_code == 400
    assert answer.json()["error"].startswith(message)
    assert answer.json()["details"]


def test_auth_scope_and_access(http: httpx.Client, sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    nokey = httpx.get(f"{sandbox.base_url}/api/v1/knowledge", params={"workspaceId": WS})
    assert (nokey.status_code, nokey.json()) == (401, {"error": "API key required"})
    assert "x-ratelimit-limit" not in nokey.headers  # no bucket was consulted
    other = http.get(f"/api/v1/knowledge/{kb_seed.KB_TEAM}", params={"workspaceId": WS})
    assert (other.status_code, other.json()["error"]) == (404, "Knowledge base not found")
    monkeypatch.setitem(members.MEMBERS, WS, ())
    denied = http.get("/api/v1/knowledge", params={"workspaceId": WS})
    assert (denied.status_code, denied.json()) == (403, {"error": "Access denied"})


def test_v1_bucket_is_shared_and_runs_out(http: httpx.Client, sandbox: RunningSandbox) -> None:
    while sandbox.state.take("api-endpoint:v1", f"user:{demo.DEMO_USER_ID}").allowed:
        pass
    answer = search(http, knowledgeBaseIds=kb_seed.KB_HANDBOOK, query="x")
    assert answer.status_code == 429
    assert answer.json()["error"] == "Rate limit exceeded"
    assert int(answer.headers["retry-after"]) > 0


def test_search_shape(http: httpx.Client) -> None:
    answer = search(http, knowledgeBaseIds=[kb_seed.KB_HANDBOOK, kb_seed.KB_SUPPORT], query="rate limit", topK=2)
    data = answer.json()["data"]
    assert (data["query"], data["topK"], data["totalResults"]) == ("rate limit", 2, 2)
    assert data["knowledgeBaseIds"] == [kb_seed.KB_HANDBOOK, kb_seed.KB_SUPPORT]
    assert all(set(h) == HIT_FIELDS and 0 < h["similarity"] <= 1 for h in data["results"])


def test_hybrid_search_keeps_exact_word_hits(http: httpx.Client) -> None:
    hybrid = search(http, knowledgeBaseIds=kb_seed.KB_SUPPORT, query="Retry-After", searchMode="hybrid").json()
    assert hybrid["data"]["results"][0]["documentId"] == "doc-0102-limits"


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"knowledgeBaseIds": kb_seed.KB_HANDBOOK}, 400, "Either query or tagFilters must be provided"),
        ({"knowledgeBaseIds": [], "query": "x"}, 400, "At least one knowledge base ID is required"),
        ({"knowledgeBaseIds": ["k"] * 21, "query": "x"}, 400, "Maximum 20 knowledge base IDs allowed"),
        ({"knowledgeBaseIds": kb_seed.KB_HANDBOOK, "query": "x", "topK": 0}, 400, "Too small"),
        ({"knowledgeBaseIds": kb_seed.KB_HANDBOOK, "query": "x", "searchMode": "bm25"}, 400, "Invalid option"),
        (
            {
                "knowledgeBaseIds": kb_seed.KB_HANDBOOK,
                "tagFilters": [{"tagName": "Version", "operator": "between", "value": 1}],
            },
            400,
            'valueTo is required when operator is "between"',
        ),
        (
            {
                "knowledgeBaseIds": kb_seed.KB_HANDBOOK,
                "tagFilters": [{"tagName": "Version", "operator": "near", "value": 1}],
            },
            400,
            "operator must be one of: eq, neq",
        ),
        (
            {"knowledgeBaseIds": kb_seed.KB_HANDBOOK, "tagFilters": [{"tagName": "Published", "value": "2026-02-30"}]},
            400,
            'Tag "Published" has an invalid date: "2026-02-30"',
        ),
        (
            {"knowledgeBaseIds": kb_seed.KB_HANDBOOK, "tagFilters": [{"tagName": "Internal", "value": "yes"}]},
            400,
            'Tag "Internal" expects a boolean value (true/false), but received "yes"',
        ),
        ({"knowledgeBaseIds": "kb-nope", "query": "x"}, 404, "Knowledge base not found or access denied"),
        ({"knowledgeBaseIds": kb_seed.KB_TEAM, "query": "x"}, 404, "Knowledge base not found or access denied"),
    ],
)
def test_search_refusals(http: httpx.Client, body: dict[str, Any], status: int, message: str) -> None:
    answer = search(http, **body)
    assert answer.status_code == status
    assert answer.json()["error"].startswith(message)


def test_search_needs_json(http: httpx.Client) -> None:
    answer = http.post("/api/v1/knowledge/search", content=b"{nope", headers={"Content-Type": "application/json"})
    assert (answer.status_code, answer.json()) == (400, {"error": "Request body must be valid JSON"})


def test_v2_tagged_documents_filter_and_refuse(http: httpx.Client) -> None:
    path = f"/api/v2/knowledge/{kb_seed.KB_HANDBOOK}/documents"
    filters = [
        {"tagName": "Version", "operator": "gt", "value": 2},
        {"tagName": "Category", "operator": "neq", "value": "BILLING"},
    ]
    found = http.get(path, params={"workspaceId": WS, "tagFilters": json.dumps(filters)}).json()
    assert [d["filename"] for d in found["data"]] == ["release-notes.md"]
    bad = http.get(path, params={"workspaceId": WS, "tagFilters": json.dumps([{"tagName": "Colour", "value": "x"}])})
    assert bad.status_code == 400
    assert "not defined in this knowledge base" in bad.json()["error"]["message"]
    hidden = http.get(f"/api/v2/knowledge/{kb_seed.KB_TEAM}/tags", params={"workspaceId": WS})
    assert hidden.status_code == 404
