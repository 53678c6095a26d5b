"""The knowledge, member, MCP and key-kind calls of SimClient against the sandbox over loopback."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from simdesk.api import SimClient
from simdesk.api.errors import (
    FeatureUnavailableError,
    NotFoundError,
    PermissionDeniedError,
    ServerError,
    UsageLimitError,
    ValidationError,
)
from simdesk.core.knowledge import SearchRequest, TagDefinition, TagFilter
from simdesk.sandbox import demo, kb_seed
from simdesk.sandbox.server import RunningSandbox
from tests.api.helpers import run

Connect = Callable[..., SimClient]
WS = demo.WS_DEMO


def call(connect: Connect, sb: RunningSandbox, method: str, *args: Any, key: str = demo.DEMO_KEY, **kw: Any) -> Any:
    async def go() -> Any:
        async with connect(sb, key) as client:
            return await getattr(client, method)(*args, **kw)

    return run(go())


def handbook_tags(connect: Connect, sb: RunningSandbox) -> list[TagDefinition]:
    return list(call(connect, sb, "list_tag_definitions", WS, kb_seed.KB_HANDBOOK))


def test_bases_list_on_either_surface(any_sandbox: RunningSandbox, connect: Connect) -> None:
    bases = call(connect, any_sandbox, "list_knowledge_bases", WS)
    assert [b.name for b in bases] == ["Product handbook", "Support FAQ", "Legal archive"]
    handbook = bases[0]
    assert (handbook.doc_count, handbook.embedding_model, handbook.embedding_dimension) == (
        6,
        "text-embedding-3-small",
        1536,
    )
    one = call(connect, any_sandbox, "get_knowledge_base", WS, kb_seed.KB_SUPPORT)
    assert one.name == "Support FAQ"


def test_base_of_another_workspace_is_not_found(sandbox: RunningSandbox, connect: Connect) -> None:
    with pytest.raises(NotFoundError) as caught:
        call(connect, sandbox, "get_knowledge_base", WS, kb_seed.KB_TEAM)
    assert caught.value.message == "Knowledge base not found"


def test_tag_definitions_and_tagged_documents(sandbox: RunningSandbox, connect: Connect) -> None:
    tags = handbook_tags(connect, sandbox)
    assert [(t.display_name, t.slot, t.field_type) for t in tags] == [
        ("Category", "tag1", "text"),
        ("Version", "number1", "number"),
        ("Published", "date1", "date"),
        ("Internal", "boolean1", "boolean"),
    ]
    docs = call(connect, sandbox, "list_documents", WS, kb_seed.KB_HANDBOOK)
    assert len(docs) == 6
    runbook = next(d for d in docs if d.filename == "oncall-runbook.md")
    assert runbook.tags == {"Category": "ops", "Version": 1, "Published": "2026-03-10", "Internal": True}
    assert next(d for d in docs if d.filename == "draft-roadmap.docx").processing_status == "processing"
    internal = call(
        connect, sandbox, "list_documents", WS, kb_seed.KB_HANDBOOK, tag_filters=(TagFilter("Internal", True),)
    )
    assert [d.filename for d in internal] == ["oncall-runbook.md"]
    newer = call(
        connect,
        sandbox,
        "list_documents",
        WS,
        kb_seed.KB_HANDBOOK,
        tag_filters=(TagFilter("Published", "2026-05-01", "between", "2026-06-30"),),
    )
    assert sorted(d.filename for d in newer) == ["install-guide.md", "pricing.pdf"]


def test_without_v2_documents_come_untagged_and_tags_are_unavailable(
    sandbox_no_v2: RunningSandbox, connect: Connect
) -> None:
    docs = call(connect, sandbox_no_v2, "list_documents", WS, kb_seed.KB_HANDBOOK)
    assert len(docs) == 6
    assert all(d.tags is None for d in docs)
    with pytest.raises(FeatureUnavailableError):
        call(connect, sandbox_no_v2, "list_tag_definitions", WS, kb_seed.KB_HANDBOOK)


def request(tags: list[TagDefinition], **kw: Any) -> SearchRequest:
    kw.setdefault("knowledge_base_ids", (kb_seed.KB_HANDBOOK,))
    return SearchRequest(tag_definitions={kb_seed.KB_HANDBOOK: tags}, **kw)


def test_tag_only_search_is_exact_and_free(sandbox: RunningSandbox, connect: Connect) -> None:
    tags = handbook_tags(connect, sandbox)
    before = sandbox.state.current_cost()
    found = call(
        connect,
        sandbox,
        "search_knowledge",
        WS,
        request(tags, mode="tags", filters=(TagFilter("Category", "GUIDE"), TagFilter("Version", 2, "gte"))),
    )
    # the disabled old-faq.txt is a "guide" too, but Sim searches enabled, processed documents only
    assert {h.document_name for h in found.hits} == {"install-guide.md"}
    assert all(h.similarity == 1 for h in found.hits)
    assert not found.billed
    assert sandbox.state.current_cost() == before


def test_vector_search_is_ranked_stable_and_billed(sandbox: RunningSandbox, connect: Connect) -> None:
    before = sandbox.state.current_cost()
    ask = request([], mode="vector", query="rotate the api key", top_k=3)
    first = call(connect, sandbox, "search_knowledge", WS, ask)
    again = call(connect, sandbox, "search_knowledge", WS, ask)
    assert first.hits == again.hits
    assert first.hits[0].document_name == "oncall-runbook.md"
    assert len(first.hits) <= 3
    assert [h.similarity for h in first.hits] == sorted((h.similarity for h in first.hits), reverse=True)
    assert first.billed
    assert sandbox.state.current_cost() > before


def test_combined_search_narrows_by_tags_first(sandbox: RunningSandbox, connect: Connect) -> None:
    tags = handbook_tags(connect, sandbox)
    found = call(
        connect,
        sandbox,
        "search_knowledge",
        WS,
        request(tags, mode="combined", query="api key", filters=(TagFilter("Internal", False),)),
    )
    assert found.hits
    assert "oncall-runbook.md" not in {h.document_name for h in found.hits}


def test_undefined_tag_and_wrong_type_are_refused_before_sending(sandbox: RunningSandbox, connect: Connect) -> None:
    tags = handbook_tags(connect, sandbox)
    sent_before = sandbox.state.peek("api-endpoint:v1", f"user:{demo.DEMO_USER_ID}").remaining
    bad = request(tags, mode="tags", filters=(TagFilter("Colour", "red"), TagFilter("Version", "two")))
    with pytest.raises(ValidationError) as caught:
        call(connect, sandbox, "search_knowledge", WS, bad)
    assert caught.value.message == (
        'The following tags are not defined in this knowledge base: "Colour". '
        "Please define them at the knowledge base level first.\n"
        'Tag "Version" expects a number value, but received "two"'
    )
    assert sandbox.state.peek("api-endpoint:v1", f"user:{demo.DEMO_USER_ID}").remaining == sent_before


def test_server_refuses_the_same_way(sandbox: RunningSandbox, connect: Connect) -> None:
    """Without the definitions the client cannot check, and Sim's own 400 says the same."""
    bad = SearchRequest(knowledge_base_ids=(kb_seed.KB_HANDBOOK,), mode="tags", filters=(TagFilter("Colour", "red"),))
    bad_no_defs = SearchRequest(
        knowledge_base_ids=bad.knowledge_base_ids,
        mode="tags",
        filters=bad.filters,
        tag_definitions={kb_seed.KB_HANDBOOK: [TagDefinition("Colour", "tag2", "text")]},
    )
    with pytest.raises(ValidationError) as caught:
        call(connect, sandbox, "search_knowledge", WS, bad_no_defs)
    assert caught.value.status == 400
    assert caught.value.message.startswith('The following tags are not defined in this knowledge base: "Colour"')


def test_tag_filters_only_on_one_base(sandbox: RunningSandbox, connect: Connect) -> None:
    two = SearchRequest(
        knowledge_base_ids=(kb_seed.KB_HANDBOOK, kb_seed.KB_SUPPORT), mode="tags", filters=(TagFilter("Topic", "x"),)
    )
    with pytest.raises(ValidationError, match="only supported when searching a single knowledge base"):
        call(connect, sandbox, "search_knowledge", WS, two)


def test_mixed_embedding_models_and_unknown_bases(sandbox: RunningSandbox, connect: Connect) -> None:
    mixed = SearchRequest(knowledge_base_ids=(kb_seed.KB_HANDBOOK, kb_seed.KB_LEGAL), mode="vector", query="terms")
    with pytest.raises(ValidationError, match="different embedding models"):
        call(connect, sandbox, "search_knowledge", WS, mixed)
    unknown = SearchRequest(knowledge_base_ids=(kb_seed.KB_HANDBOOK, "kb-nope"), mode="vector", query="terms")
    with pytest.raises(NotFoundError, match="Knowledge bases not found or access denied: kb-nope"):
        call(connect, sandbox, "search_knowledge", WS, unknown)


def test_vector_search_over_the_usage_limit_is_402(sandbox: RunningSandbox, connect: Connect) -> None:
    sandbox.state.set_cost(sandbox.state.usage_limit + 1)
    with pytest.raises(UsageLimitError):
        call(connect, sandbox, "search_knowledge", WS, request([], mode="vector", query="pricing"))
    tags = handbook_tags(connect, sandbox)
    free = call(
        connect, sandbox, "search_knowledge", WS, request(tags, mode="tags", filters=(TagFilter("Category", "ops"),))
    )
    assert free.hits  # tag-only search costs nothing, so the limit does not stop it


def test_read_level_may_search_but_v1_denies_other_workspaces(sandbox: RunningSandbox, connect: Connect) -> None:
    team = call(connect, sandbox, "list_knowledge_bases", demo.WS_TEAM)
    assert [b.id for b in team] == [kb_seed.KB_TEAM]
    with pytest.raises(PermissionDeniedError, match="not authorized for this workspace"):
        call(connect, sandbox, "list_knowledge_bases", demo.WS_TEAM, key=demo.WORKSPACE_KEY)
    with pytest.raises(PermissionDeniedError, match="Personal API keys are not allowed"):
        call(connect, sandbox, "list_knowledge_bases", demo.WS_LOCKED)


def test_key_kind(sandbox: RunningSandbox, connect: Connect) -> None:
    assert call(connect, sandbox, "key_kind") == "personal"
    assert call(connect, sandbox, "key_kind", key=demo.WORKSPACE_KEY) == "workspace"


def test_members_with_levels(sandbox: RunningSandbox, connect: Connect) -> None:
    members = call(connect, sandbox, "list_members", WS)
    assert [(m.email, m.role, m.is_external) for m in members] == [
        ("ana@simdesk.dev", "write", False),
        ("bo@partner.example", "read", True),
        ("demo@simdesk.dev", "admin", False),
    ]
    team = call(connect, sandbox, "list_members", demo.WS_TEAM)
    assert len(team) == 8
    assert next(m.role for m in team if m.email == "demo@simdesk.dev") == "read"


def test_mcp_servers_and_tools(sandbox: RunningSandbox, connect: Connect) -> None:
    servers = call(connect, sandbox, "list_mcp_servers", WS)
    assert [(s.name, s.status_text) for s in servers] == [
        ("Broken CRM", "error"),
        ("Docs server", "connected"),
        ("Paused billing tools", "disabled"),
        ("Weather", "connected"),
    ]
    broken = servers[0]
    assert broken.last_error and "connection refused" in broken.last_error
    assert servers[1].header_names == ("Authorization",)
    tools = call(connect, sandbox, "list_mcp_tools", WS, servers[1].id, refresh=True)
    assert [t.name for t in tools] == ["search_docs", "get_page"]
    assert tools[0].arguments()[0] == ("query", "string", True, "Search terms")


def test_mcp_tool_refusals(sandbox: RunningSandbox, connect: Connect) -> None:
    with pytest.raises(ServerError, match="could not be reached"):
        call(connect, sandbox, "list_mcp_tools", WS, "mcp-c0ffee00")
    with pytest.raises(PermissionDeniedError) as caught:
        call(connect, sandbox, "list_mcp_tools", WS, "mcp-3f7a9c21", key=demo.WORKSPACE_KEY)
    assert caught.value.detail_code == "WORKSPACE_KEY_OPERATION_NOT_PERMITTED"
    with pytest.raises(NotFoundError, match="MCP server not found"):
        call(connect, sandbox, "list_mcp_tools", WS, "mcp-missing")


def test_members_and_mcp_need_v2(sandbox_no_v2: RunningSandbox, connect: Connect) -> None:
    with pytest.raises(FeatureUnavailableError):
        call(connect, sandbox_no_v2, "list_members", WS)
    with pytest.raises(FeatureUnavailableError):
        call(connect, sandbox_no_v2, "list_mcp_servers", WS)
