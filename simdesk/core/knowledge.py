"""Knowledge bases as the desktop sees them: bases, tag definitions, documents, search, and Sim's
search rules, checked here before anything is sent.

Sim (v0.8.9) searches in three ways, picked by what the request carries: tag filters only (exact
tag matching, no embedding, free), a query only (vector search), or both (tag filters narrow the
documents, then vector search ranks within them). A query is embedded by an embedding model, so
every search with a query counts against the workspace's usage; a tag-only search does not.
``retrieval`` ``"hybrid"`` adds a full-text leg fused with the vector one by reciprocal rank.

The refusals below use Sim's own words (``apps/sim/lib/knowledge/tags/utils.ts`` and the v1 search
handler), so the message the user sees is the same whether the desktop or the server said no.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

FieldType = Literal["text", "number", "date", "boolean"]
SearchMode = Literal["tags", "vector", "combined"]
Retrieval = Literal["vector", "hybrid"]
TagValue = str | float | int | bool

FIELD_TYPES: tuple[FieldType, ...] = ("text", "number", "date", "boolean")
SEARCH_MODES: dict[SearchMode, str] = {
    "tags": "Tags only",
    "vector": "Vector only",
    "combined": "Tags + vector",
}
OPERATORS_BY_TYPE: dict[str, tuple[str, ...]] = {
    "text": ("eq", "neq", "contains", "not_contains", "starts_with", "ends_with"),
    "number": ("eq", "neq", "gt", "gte", "lt", "lte", "between"),
    "date": ("eq", "neq", "gt", "gte", "lt", "lte", "between"),
    "boolean": ("eq", "neq"),
}
OPERATOR_LABELS = {
    "eq": "is",
    "neq": "is not",
    "contains": "contains",
    "not_contains": "does not contain",
    "starts_with": "starts with",
    "ends_with": "ends with",
    "gt": ">",
    "gte": "≥",
    "lt": "<",
    "lte": "≤",
    "between": "between",
}
MAX_TOP_K = 100
MAX_BASES_PER_SEARCH = 20
USAGE_NOTE = "A search with a query is embedded by Sim's embedding model and counts against your usage."

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class TagDefinition:
    """One tag of a base: the name people filter by, the slot Sim stores it in, its type."""

    display_name: str
    slot: str
    field_type: FieldType


@dataclass(frozen=True)
class KnowledgeBase:
    id: str
    name: str
    description: str | None
    doc_count: int
    token_count: int
    embedding_model: str
    embedding_dimension: int | None
    created_at: str | None
    updated_at: str | None


@dataclass(frozen=True)
class KnowledgeDocument:
    """A document of a base. ``tags`` is ``None`` when the server could not say (Sim's v1 list
    carries no tags; v2's does)."""

    id: str
    knowledge_base_id: str
    filename: str
    file_size: int
    mime_type: str
    processing_status: str
    chunk_count: int
    token_count: int
    enabled: bool
    created_at: str | None
    tags: Mapping[str, TagValue] | None = None


@dataclass(frozen=True)
class TagFilter:
    """A filter by display name, as Sim's search takes it."""

    tag_name: str
    value: TagValue
    operator: str = "eq"
    value_to: TagValue | None = None

    def wire(self) -> dict[str, TagValue]:
        out: dict[str, TagValue] = {"tagName": self.tag_name, "operator": self.operator, "value": self.value}
        if self.value_to is not None:
            out["valueTo"] = self.value_to
        return out


@dataclass(frozen=True)
class SearchHit:
    document_id: str
    document_name: str | None
    content: str
    chunk_index: int
    tags: Mapping[str, TagValue]
    similarity: float
    source_url: str | None = None


@dataclass(frozen=True)
class SearchResults:
    hits: tuple[SearchHit, ...]
    query: str
    knowledge_base_ids: tuple[str, ...]
    top_k: int

    @property
    def billed(self) -> bool:
        """Whether the search embedded a query (and so counted against usage)."""
        return bool(self.query.strip())


@dataclass(frozen=True)
class SearchRequest:
    """What the search box sends."""

    knowledge_base_ids: tuple[str, ...]
    mode: SearchMode
    query: str = ""
    filters: tuple[TagFilter, ...] = ()
    top_k: int = 10
    retrieval: Retrieval = "vector"
    tag_definitions: Mapping[str, Sequence[TagDefinition]] = field(default_factory=dict)

    def body(self, workspace_id: str) -> dict[str, object]:
        """The ``POST /api/v1/knowledge/search`` body for this request (after :func:`refusal`)."""
        ids = self.knowledge_base_ids
        body: dict[str, object] = {
            "workspaceId": workspace_id,
            "knowledgeBaseIds": ids[0] if len(ids) == 1 else list(ids),
            "topK": self.top_k,
            "searchMode": self.retrieval,
        }
        if self.mode != "tags":
            body["query"] = self.query.strip()
        if self.mode != "vector" and self.filters:
            body["tagFilters"] = [f.wire() for f in self.filters]
        return body


# --- Sim's rules -------------------------------------------------------------------------------


def undefined_tags_message(names: Iterable[str]) -> str:
    listed = ", ".join(f'"{n}"' for n in names)
    return (
        f"The following tags are not defined in this knowledge base: {listed}. "
        "Please define them at the knowledge base level first."
    )


def tag_value_problem(tag_name: str, value: object, field_type: str) -> str | None:
    """Sim's ``validateTagValue``: ``None`` when ``value`` reads as ``field_type``, else its message."""
    text = _js_text(value)
    if field_type == "number":
        if isinstance(value, bool):
            return f'Tag "{tag_name}" expects a number value, but received "{text}"'
        try:
            float(text.strip() or "0")
        except ValueError:
            return f'Tag "{tag_name}" expects a number value, but received "{text}"'
    elif field_type == "date":
        stripped = text.strip()
        if not _DATE.match(stripped):
            return f'Tag "{tag_name}" expects a date in YYYY-MM-DD format, but received "{text}"'
        try:
            date.fromisoformat(stripped)
        except ValueError:
            return f'Tag "{tag_name}" has an invalid date: "{text}"'
    elif field_type == "boolean" and text.strip().lower() not in ("true", "false"):
        return f'Tag "{tag_name}" expects a boolean value (true/false), but received "{text}"'
    return None


def _js_text(value: object) -> str:
    """``String(value)`` as JavaScript writes it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def refusal(request: SearchRequest) -> str | None:
    """The message Sim would refuse ``request`` with, or ``None`` when it may be sent."""
    ids = request.knowledge_base_ids
    if not ids:
        return "Knowledge base ID is required"
    if len(ids) > MAX_BASES_PER_SEARCH:
        return "Maximum 20 knowledge base IDs allowed"
    if not 1 <= request.top_k <= MAX_TOP_K:
        return f"Top K must be from 1 to {MAX_TOP_K}"
    if request.mode != "tags" and not request.query.strip():
        return "Type a query for a vector search"
    filters = request.filters if request.mode != "vector" else ()
    if request.mode == "tags" and not filters:
        return "Either query or tagFilters must be provided"
    for f in filters:
        if f.operator == "between" and f.value_to is None:
            return 'valueTo is required when operator is "between"'
    if filters and len(ids) > 1:
        return "Tag filters are only supported when searching a single knowledge base"
    if filters:
        definitions = {d.display_name: d for d in request.tag_definitions.get(ids[0], ())}
        undefined = [f.tag_name for f in filters if f.tag_name not in definitions]
        problems = [undefined_tags_message(undefined)] if undefined else []
        for f in filters:
            d = definitions.get(f.tag_name)
            problem = tag_value_problem(f.tag_name, f.value, d.field_type) if d else None
            if problem:
                problems.append(problem)
        if problems:
            return "\n".join(problems)
    return None


def mixed_models_message(models: Iterable[str]) -> str | None:
    """Sim refuses a query across bases embedded by different models."""
    if len(set(models)) > 1:
        return (
            "Selected knowledge bases use different embedding models and cannot be searched together. "
            "Search them separately."
        )
    return None


def highlight_spans(text: str, query: str, filters: Sequence[TagFilter] = ()) -> list[tuple[int, int]]:
    """Where the words of ``query`` (and text filter values) occur in ``text``, case ignored:
    sorted, non-overlapping ``(start, end)`` pairs for the results view."""
    needles = {w.lower() for w in _WORD.findall(query) if len(w) > 1}
    needles |= {str(f.value).lower() for f in filters if isinstance(f.value, str) and len(f.value) > 1}
    spans: list[tuple[int, int]] = []
    lowered = text.lower()
    for needle in needles:
        start = lowered.find(needle)
        while start >= 0:
            spans.append((start, start + len(needle)))
            start = lowered.find(needle, start + len(needle))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def chunk_total(documents: Iterable[KnowledgeDocument]) -> int:
    """A base's chunk count: Sim reports chunks per document only."""
    return sum(d.chunk_count for d in documents)
