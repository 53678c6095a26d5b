"""Sim's knowledge and permission rules as the desktop applies them before sending."""

from __future__ import annotations

import pytest

from simdesk.core.knowledge import SearchRequest, TagDefinition, TagFilter, highlight_spans, refusal, tag_value_problem
from simdesk.core.workspace_access import denial, forbidden_message, key_kind_from_refusal

DEFS = {"kb": [TagDefinition("Version", "number1", "number"), TagDefinition("Internal", "boolean1", "boolean")]}


@pytest.mark.parametrize(
    ("value", "field_type", "problem"),
    [
        ("12.5", "number", None),
        ("", "number", None),  # JavaScript's Number("") is 0, so Sim accepts it
        ("twelve", "number", 'Tag "T" expects a number value, but received "twelve"'),
        (" TRUE ", "boolean", None),
        ("yes", "boolean", 'Tag "T" expects a boolean value (true/false), but received "yes"'),
        ("2026-02-28", "date", None),
        ("2026-2-28", "date", 'Tag "T" expects a date in YYYY-MM-DD format, but received "2026-2-28"'),
        ("2026-02-30", "date", 'Tag "T" has an invalid date: "2026-02-30"'),
        ("anything", "text", None),
    ],
)
def test_tag_values_as_sim_reads_them(value: str, field_type: str, problem: str | None) -> None:
    assert tag_value_problem("T", value, field_type) == problem


def test_refusals_collect_undefined_tags_then_type_errors() -> None:
    request = SearchRequest(
        ("kb",),
        "tags",
        filters=(TagFilter("Colour", "red"), TagFilter("Size", 1), TagFilter("Internal", "maybe")),
        tag_definitions=DEFS,
    )
    assert refusal(request) == (
        'The following tags are not defined in this knowledge base: "Colour", "Size". '
        "Please define them at the knowledge base level first.\n"
        'Tag "Internal" expects a boolean value (true/false), but received "maybe"'
    )


def test_vector_mode_ignores_filters_and_needs_a_query() -> None:
    assert refusal(SearchRequest(("kb",), "vector", query="  ")) == "Type a query for a vector search"
    request = SearchRequest(("kb",), "vector", query="q", filters=(TagFilter("Colour", "red"),))
    assert refusal(request) is None
    assert "tagFilters" not in request.body("ws")
    assert request.body("ws")["knowledgeBaseIds"] == "kb"


def test_highlights_merge_and_ignore_case() -> None:
    assert highlight_spans("API key, api-key", "api key") == [(0, 3), (4, 7), (9, 12), (13, 16)]
    assert highlight_spans("apikey", "api pik") == [(0, 4)]  # overlapping matches merge
    assert highlight_spans("no match", "zebra") == []


def test_permissions() -> None:
    assert denial("members.invite", "write", "personal") == (
        "Invite people needs admin permission in this workspace; you have write."
    )
    assert denial("members.invite", None, "personal") is None  # unknown level: the server decides
    assert denial("mcp.tools", "admin", "workspace") is not None
    assert forbidden_message("knowledge.upload", "Access denied") == (
        "Upload a document needs write permission in this workspace (Sim said: Access denied)."
    )
    assert key_kind_from_refusal("API key is not authorized for this workspace") == "workspace"
    assert key_kind_from_refusal("Personal API keys are not allowed for this workspace") == "personal"
    assert key_kind_from_refusal("Access denied") == "unknown"
