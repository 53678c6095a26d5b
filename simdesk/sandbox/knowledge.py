"""Knowledge bases as Sim's API answers them: v1 (ungated) and the v2 tag and document lists.

v1, each through the v1 admission pipeline (key → the shared v1 bucket → parsing → access):

* ``GET /api/v1/knowledge?workspaceId=`` → ``{success, data: {knowledgeBases, totalCount}}``
* ``GET /api/v1/knowledge/{id}?workspaceId=`` → ``{success, data: {knowledgeBase}}``
* ``GET /api/v1/knowledge/{id}/documents?workspaceId=&limit=&offset=&search=&enabledFilter=&sortBy=&sortOrder=``
  → ``{success, data: {documents, pagination: {total, limit, offset, hasMore}}}`` (no tags on v1)
* ``POST /api/v1/knowledge/search`` → ``{success, data: {results, query, knowledgeBaseIds, topK, totalResults}}``

Access is Sim's ``validateWorkspaceAccess``: a workspace key elsewhere or a personal key where the
workspace forbids them is a 403 naming that, a person below the level needed is 403 "Access
denied", and a base of another workspace is 404 "Knowledge base not found". Search follows Sim's
handler step by step: body rules (a query or tag filters, ``topK`` 1–100, at most 20 bases,
``searchMode`` vector | hybrid, ``valueTo`` for ``between``), then the usage check for a query (a
vector search embeds the query, which Sim bills; tag-only search is free), then the bases, then
"tag filters only on one base", undefined tags and wrongly typed values (all reported at once, one
per line), then "different embedding models". Tag filters are all ANDed; text comparisons ignore
case; an operator the field type does not know compares for equality, as Sim's builder does.

v2 (behind the gate): ``GET /api/v2/knowledge/{id}/tags`` (the tag vocabulary) and
``GET /api/v2/knowledge/{id}/documents`` (documents with their tags by display name, ``tagFilters``
as a JSON array in the query, at most 10).

The vector scores come from the sandbox's toy embedding (:mod:`simdesk.sandbox.kb_seed`), not Sim's.
"""

from __future__ import annotations

import json
import math
import operator
from collections.abc import Callable
from datetime import date
from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from simdesk.sandbox import kb_seed
from simdesk.sandbox.clock import iso
from simdesk.sandbox.kb_seed import Doc, KnowledgeBase
from simdesk.sandbox.legacy import scope_denial
from simdesk.sandbox.members import permission_of, satisfies
from simdesk.sandbox.respond import JSON, legacy_error
from simdesk.sandbox.v1 import Ctx, V1Error, _choice, _issue, _number, route
from simdesk.sandbox.v2.admission import Ctx as V2Ctx
from simdesk.sandbox.v2.admission import V2Error, paginate, workspace_for
from simdesk.sandbox.v2.admission import route as v2_route

OPERATORS = ("eq", "neq", "contains", "not_contains", "starts_with", "ends_with", "gt", "gte", "lt", "lte", "between")
SORT_FIELDS = ("filename", "fileSize", "tokenCount", "chunkCount", "uploadedAt", "processingStatus", "enabled")
MAX_SEARCH_BASES = 20
MAX_V2_DOCUMENT_FILTERS = 10
EMBEDDING_COST_USD = 0.0001  # the sandbox's charge for embedding one query
USAGE_EXCEEDED = "Usage limit exceeded. Please upgrade your plan to continue."
BASE_NOT_FOUND = "Knowledge base not found"


class TagFilterError(ValueError):
    """Tag filters Sim refuses, with its message (one problem per line)."""


# --- the world -----------------------------------------------------------------------------------


def base(kb_id: str) -> KnowledgeBase | None:
    return next((kb for kb in kb_seed.KNOWLEDGE_BASES if kb.id == kb_id), None)


def documents_of(kb_id: str) -> list[Doc]:
    return [d for d in kb_seed.DOCUMENTS if d.kb_id == kb_id]


def base_item(kb: KnowledgeBase) -> dict[str, Any]:
    docs = documents_of(kb.id)
    return {
        "id": kb.id,
        "name": kb.name,
        "description": kb.description,
        "tokenCount": sum(d.token_count for d in docs),
        "embeddingModel": kb.embedding_model,
        "embeddingDimension": kb.embedding_dimension,
        "chunkingConfig": dict(kb_seed.DEFAULT_CHUNKING),
        "docCount": len(docs),
        "connectorTypes": [],
        "createdAt": iso(kb.created_at),
        "updatedAt": iso(max([kb.created_at, *(d.uploaded_at for d in docs)])),
    }


def document_item(doc: Doc) -> dict[str, Any]:
    return {
        "id": doc.id,
        "knowledgeBaseId": doc.kb_id,
        "filename": doc.filename,
        "fileSize": doc.file_size,
        "mimeType": doc.mime_type,
        "processingStatus": doc.status,
        "chunkCount": len(doc.chunks),
        "tokenCount": doc.token_count,
        "characterCount": doc.character_count,
        "enabled": doc.enabled,
        "createdAt": iso(doc.uploaded_at),
    }


def tags_by_name(kb: KnowledgeBase, doc: Doc) -> dict[str, Any]:
    """A document's tag values keyed by display name (a slot without a definition keeps its slot name)."""
    names = {t.slot: t.display_name for t in kb.tag_defs}
    return {names.get(slot, slot): value for slot, value in doc.tags.items() if value is not None}


# --- tag filters (Sim's lib/knowledge/tags/utils and search/queries) -----------------------------


def _coerce(value: Any, field_type: str) -> tuple[bool, Any, str]:
    """Sim's ``coerceTagFilterValue``: (ok, typed value, failure reason)."""
    if field_type == "number":
        if isinstance(value, bool):
            return False, None, "number"
        if isinstance(value, int | float):
            return True, float(value), ""
        text = str(value).strip()
        try:
            number = float(text) if text else 0.0  # JavaScript's Number("") is 0
        except ValueError:
            return False, None, "number"
        return (True, number, "") if not math.isnan(number) else (False, None, "number")
    if field_type == "date":
        text = str(value).strip()
        if len(text) != 10 or text[4] != "-" or text[7] != "-" or not text.replace("-", "").isdigit():
            return False, None, "date-format"
        try:
            date.fromisoformat(text)
        except ValueError:
            return False, None, "date-calendar"
        return True, text, ""
    if field_type == "boolean":
        if isinstance(value, bool):
            return True, value, ""
        lowered = str(value).strip().lower()
        if lowered in ("true", "false"):
            return True, lowered == "true", ""
        return False, None, "boolean"
    return True, _js_string(value), ""


def _js_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


TYPE_MESSAGES = {
    "boolean": 'Tag "{name}" expects a boolean value (true/false), but received "{value}"',
    "number": 'Tag "{name}" expects a number value, but received "{value}"',
    "date-format": 'Tag "{name}" expects a date in YYYY-MM-DD format, but received "{value}"',
    "date-calendar": 'Tag "{name}" has an invalid date: "{value}"',
}


def structured_filters(kb: KnowledgeBase, filters: list[dict[str, Any]]) -> list[tuple[str, str, str, Any, Any]]:
    """Resolve display names to slots and check each value's type; raise :class:`TagFilterError`
    with every problem (undefined tags first, then one line per wrongly typed value)."""
    defs = {t.display_name: t for t in kb.tag_defs}
    undefined = [f["tagName"] for f in filters if f["tagName"] not in defs]
    problems = []
    if undefined:
        listed = ", ".join(f'"{name}"' for name in undefined)
        problems.append(
            f"The following tags are not defined in this knowledge base: {listed}. "
            "Please define them at the knowledge base level first."
        )
    for f in filters:
        tag = defs.get(f["tagName"])
        if tag is None:
            continue
        ok, _, reason = _coerce(_js_string(f["value"]), tag.field_type)
        if not ok:
            problems.append(TYPE_MESSAGES[reason].format(name=f["tagName"], value=_js_string(f["value"])))
    if problems:
        raise TagFilterError("\n".join(problems))
    return [
        (defs[f["tagName"]].slot, defs[f["tagName"]].field_type, f["operator"], f["value"], f.get("valueTo"))
        for f in filters
    ]


_TEXT: dict[str, Callable[[str, str], bool]] = {
    "eq": lambda a, b: a == b,
    "neq": lambda a, b: a != b,
    "contains": lambda a, b: b in a,
    "not_contains": lambda a, b: b not in a,
    "starts_with": str.startswith,
    "ends_with": str.endswith,
}


def _text_test(op: str, a: str, b: str) -> bool:
    return _TEXT[op if op in _TEXT else "eq"](a, b)  # Sim's builder: any other operator is equality


_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "eq": operator.eq,
    "neq": operator.ne,
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
}


def _ordered_test(op: str, a: Any, b: Any, to: Any) -> bool:
    if op == "between" and to is not None:
        return bool(b <= a <= to)
    return bool(_COMPARE[op if op in _COMPARE else "eq"](a, b))


def matches(doc: Doc, filters: list[tuple[str, str, str, Any, Any]]) -> bool:
    """Every filter holds (SQL semantics: a document without the tag matches no condition on it)."""
    for slot, field_type, op, value, value_to in filters:
        stored = doc.tags.get(slot)
        if stored is None:
            return False
        _, typed, _ = _coerce(value, field_type)
        if field_type == "text":
            if not _text_test(op, str(stored).lower(), str(typed).lower()):
                return False
        elif field_type == "boolean":
            if (stored == typed) != (op != "neq"):
                return False
        else:
            ok_to, typed_to, _ = _coerce(value_to, field_type) if value_to is not None else (False, None, "")
            if op == "between" and not ok_to:
                op = "eq"  # Sim's builder: a between without a readable upper bound compares for equality
            stored_typed = float(stored) if field_type == "number" else str(stored)
            if not _ordered_test(op, stored_typed, typed, typed_to):
                return False
    return True


# --- v1 ------------------------------------------------------------------------------------------


def _access(ctx: Ctx, workspace_id: str, level: str = "read") -> Response | None:
    """Sim's ``validateWorkspaceAccess``: key scope, then the person's level."""
    if denial := scope_denial(ctx.state, ctx.key, workspace_id):
        return denial
    if not satisfies(permission_of(ctx.key.user_id, workspace_id), level):
        return legacy_error(403, "Access denied")
    return None


def _required_workspace(q: dict[str, str]) -> str:
    value = q.get("workspaceId", "")
    if not value:
        raise _issue("workspaceId", "workspaceId query parameter is required", "invalid_type")
    return value


def _ok(data: dict[str, Any]) -> Response:
    return JSON({"success": True, "data": data})


def _resolve(ctx: Ctx) -> KnowledgeBase | Response:
    """Sim's ``resolveKnowledgeBase``: access to the workspace first, then the base in it."""
    workspace_id = _required_workspace(ctx.query)
    if denial := _access(ctx, workspace_id):
        return denial
    kb = base(ctx.request.path_params["id"])
    if kb is None or kb.workspace_id != workspace_id:
        return legacy_error(404, BASE_NOT_FOUND)
    return kb


@route
async def list_bases(ctx: Ctx) -> Response:
    workspace_id = _required_workspace(ctx.query)
    if denial := _access(ctx, workspace_id):
        return denial
    bases = [base_item(kb) for kb in kb_seed.KNOWLEDGE_BASES if kb.workspace_id == workspace_id]
    return _ok({"knowledgeBases": bases, "totalCount": len(bases)})


@route
async def get_base(ctx: Ctx) -> Response:
    kb = _resolve(ctx)
    return kb if isinstance(kb, Response) else _ok({"knowledgeBase": base_item(kb)})


def _whole(q: dict[str, str], name: str, default: int, lo: int, hi: float) -> int:
    value = _number(q, name)
    if value is None:
        return default
    if not value.is_integer():
        raise _issue(name, "Invalid input: expected int, received number", "invalid_type")
    if value < lo:
        raise _issue(name, f"Too small: expected number to be >={lo}", "too_small")
    if value > hi:
        raise _issue(name, f"Too big: expected number to be <={int(hi)}", "too_big")
    return int(value)


def _listed_documents(docs: list[Doc], q: dict[str, str]) -> list[Doc]:
    """The v1/v2 document list's filters and order: ``search`` (filename, ignoring case),
    ``enabledFilter``, ``sortBy``/``sortOrder`` (newest upload first by default)."""
    enabled = _choice(q, "enabledFilter", ("all", "enabled", "disabled")) or "all"
    sort_by = _choice(q, "sortBy", SORT_FIELDS) or "uploadedAt"
    order = _choice(q, "sortOrder", ("asc", "desc")) or "desc"
    needle = q.get("search", "").casefold()
    picked = [
        d for d in docs if needle in d.filename.casefold() and (enabled == "all" or d.enabled == (enabled == "enabled"))
    ]
    item_key = "createdAt" if sort_by == "uploadedAt" else sort_by
    return sorted(picked, key=lambda d: (document_item(d)[item_key], d.id), reverse=order == "desc")


@route
async def list_documents(ctx: Ctx) -> Response:
    q = ctx.query
    _required_workspace(q)  # Sim's schema reports the first field's problem first
    limit = _whole(q, "limit", 50, 1, 100)
    offset = _whole(q, "offset", 0, 0, math.inf)
    docs = _listed_documents(documents_of(ctx.request.path_params["id"]), q)
    kb = _resolve(ctx)
    if isinstance(kb, Response):
        return kb
    page = docs[offset : offset + limit]
    pagination = {"total": len(docs), "limit": limit, "offset": offset, "hasMore": offset + limit < len(docs)}
    return _ok({"documents": [document_item(d) for d in page], "pagination": pagination})


def _search_body(raw: Any) -> dict[str, Any]:
    """Sim's v1 search body schema, first failing rule first."""
    if not isinstance(raw, dict):
        raise _issue("", "Invalid input: expected object, received " + type(raw).__name__, "invalid_type")
    workspace_id = raw.get("workspaceId")
    if not isinstance(workspace_id, str) or not workspace_id:
        raise _issue("workspaceId", "Workspace ID is required", "invalid_type")
    ids = raw.get("knowledgeBaseIds")
    if isinstance(ids, list):
        if not ids:
            raise _issue("knowledgeBaseIds", "At least one knowledge base ID is required", "too_small")
        if len(ids) > MAX_SEARCH_BASES:
            raise _issue("knowledgeBaseIds", "Maximum 20 knowledge base IDs allowed", "too_big")
        if not all(isinstance(i, str) and i for i in ids):
            raise _issue("knowledgeBaseIds", "Invalid input", "invalid_union")
    elif not isinstance(ids, str) or not ids:
        raise _issue("knowledgeBaseIds", "Knowledge base ID is required", "invalid_union")
    query = raw.get("query")
    if query is not None and not isinstance(query, str):
        raise _issue("query", "Invalid input: expected string", "invalid_type")
    top_k = raw.get("topK", 10)
    if isinstance(top_k, bool) or not isinstance(top_k, int | float):
        raise _issue("topK", "Invalid input: expected number", "invalid_type")
    if top_k < 1:
        raise _issue("topK", "Too small: expected number to be >=1", "too_small")
    if top_k > 100:
        raise _issue("topK", "Too big: expected number to be <=100", "too_big")
    mode = raw.get("searchMode") or "vector"
    if mode not in ("vector", "hybrid"):
        raise _issue("searchMode", 'Invalid option: expected one of "vector"|"hybrid"')
    filters = _tag_filters(raw.get("tagFilters"))
    if not (query and query.strip()) and not filters:
        raise _issue("", "Either query or tagFilters must be provided", "custom")
    return {
        "workspaceId": workspace_id,
        "ids": ids if isinstance(ids, list) else [ids],
        "query": query,
        "topK": top_k,
        "mode": mode,
        "filters": filters,
    }


def _tag_filters(raw: Any) -> list[dict[str, Any]]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise _issue("tagFilters", "Invalid input: expected array", "invalid_type")
    out = []
    for i, f in enumerate(raw):
        where = f"tagFilters.{i}"
        if not isinstance(f, dict) or not isinstance(f.get("tagName"), str):
            raise _issue(where, "Invalid input: expected string", "invalid_type")
        operator = f.get("operator", "eq")
        if operator not in OPERATORS:
            raise _issue(where, f"operator must be one of: {', '.join(OPERATORS)}")
        value = f.get("value")
        if not isinstance(value, str | int | float):
            raise _issue(where, "Invalid input", "invalid_union")
        value_to = f.get("valueTo")
        if operator == "between" and value_to is None:
            raise _issue(where, 'valueTo is required when operator is "between"', "custom")
        out.append({"tagName": f["tagName"], "operator": operator, "value": value, "valueTo": value_to})
    return out


def _hits(
    kbs: list[KnowledgeBase], body: dict[str, Any], filters: list[tuple[str, str, str, Any, Any]]
) -> list[tuple[float, Doc, int]]:
    """(distance, document, chunk index), best first, at most ``topK``."""
    query = (body["query"] or "").strip()
    chunks = [
        (doc, i, text)
        for kb in kbs
        for doc in documents_of(kb.id)
        if doc.searchable and (not filters or matches(doc, filters))
        for i, text in enumerate(doc.chunks)
    ]
    top_k = int(body["topK"])
    if not query:  # tag-only: no ranking to speak of, Sim returns the matching chunks as stored
        return [(0.0, doc, i) for doc, i, _ in chunks][:top_k]
    target = kb_seed.embed(query)
    threshold = 0.8 if len(kbs) > 3 else 1.0  # Sim's cut-off for a vector match
    scored = [(kb_seed.cosine_distance(target, kb_seed.embed(text)), doc, i, text) for doc, i, text in chunks]
    vector = sorted((s for s in scored if s[0] < threshold), key=lambda s: (s[0], s[1].id, s[2]))
    if body["mode"] != "hybrid":
        return [(d, doc, i) for d, doc, i, _ in vector[:top_k]]
    # hybrid: reciprocal-rank fusion (k = 60) of the vector leg and a full-text leg
    wanted = set(kb_seed.words(query))
    lexical = sorted(
        (s for s in scored if wanted & set(kb_seed.words(s[3]))),
        key=lambda s: (-len(wanted & set(kb_seed.words(s[3]))), s[1].id, s[2]),
    )
    fused: dict[tuple[str, int], float] = {}
    rows = {}
    for ranking in (vector, lexical):
        for rank, (d, doc, i, _) in enumerate(ranking):
            fused[(doc.id, i)] = fused.get((doc.id, i), 0.0) + 1 / (60 + rank + 1)
            rows[(doc.id, i)] = (d, doc, i)
    order = sorted(fused, key=lambda k: (-fused[k], k))
    return [rows[k] for k in order[:top_k]]


@route
async def search(ctx: Ctx) -> Response:
    try:
        raw = await ctx.request.json()
    except ValueError:
        return legacy_error(400, "Request body must be valid JSON")
    body = _search_body(raw)
    state = ctx.state
    if denial := _access(ctx, body["workspaceId"]):
        return denial
    billable = bool((body["query"] or "").strip())
    if billable and state.usage_exceeded():
        return legacy_error(402, USAGE_EXCEEDED)
    found = [base(i) for i in body["ids"]]
    reachable = [kb for kb in found if kb is not None and kb.workspace_id == body["workspaceId"]]
    if not reachable:
        return legacy_error(404, "Knowledge base not found or access denied")
    missing = [i for i in body["ids"] if i not in {kb.id for kb in reachable}]
    if missing:
        return legacy_error(404, f"Knowledge bases not found or access denied: {', '.join(missing)}")
    filters: list[tuple[str, str, str, Any, Any]] = []
    if body["filters"]:
        if len(reachable) > 1:
            return legacy_error(400, "Tag filters are only supported when searching a single knowledge base")
        try:
            filters = structured_filters(reachable[0], body["filters"])
        except TagFilterError as err:
            return legacy_error(400, str(err))
    if billable and len({kb.embedding_model for kb in reachable}) > 1:
        return legacy_error(
            400,
            "Selected knowledge bases use different embedding models and cannot be searched together. "
            "Search them separately.",
        )
    hits = _hits(reachable, body, filters)
    if billable:
        state.set_cost(state.current_cost() + EMBEDDING_COST_USD)
    by_id = {kb.id: kb for kb in reachable}
    results = [
        {
            "documentId": doc.id,
            "documentName": doc.filename,
            "sourceUrl": None,
            "content": doc.chunks[i],
            "chunkIndex": i,
            "metadata": tags_by_name(by_id[doc.kb_id], doc),
            "similarity": round(1 - distance, 6) if billable else 1,
        }
        for distance, doc, i in hits
    ]
    data = {
        "results": results,
        "query": body["query"] or "",
        "knowledgeBaseIds": [kb.id for kb in reachable],
        "topK": body["topK"],
        "totalResults": len(results),
    }
    return _ok(data)


# --- v2 ------------------------------------------------------------------------------------------


def _v2_base(ctx: V2Ctx) -> KnowledgeBase:
    """A base the caller may read; anything else is concealed as a 404."""
    assert ctx.key is not None
    workspace_id = ctx.query["workspaceId"]
    kb = base(ctx.request.path_params["id"])
    if kb is None or kb.workspace_id != workspace_id:
        raise V2Error(404, BASE_NOT_FOUND)
    try:
        workspace_for(ctx, workspace_id)
    except V2Error as err:
        raise V2Error(404, BASE_NOT_FOUND) if err.status == 404 else err from None
    if permission_of(ctx.key.user_id, workspace_id) is None:
        raise V2Error(404, BASE_NOT_FOUND)
    return kb


@v2_route("knowledge.tags", allowed={"workspaceId"}, required={"workspaceId"})
async def v2_tags(ctx: V2Ctx) -> Response:
    kb = _v2_base(ctx)
    tags = [{"displayName": t.display_name, "tagSlot": t.slot, "fieldType": t.field_type} for t in kb.tag_defs]
    return ctx.ok(tags, nextCursor=None)


def _v2_filters(kb: KnowledgeBase, text: str | None) -> list[tuple[str, str, str, Any, Any]]:
    if text is None:
        return []
    try:
        raw = json.loads(text)
    except ValueError:
        raise V2Error(400, "tagFilters must be a JSON array of tag filters") from None
    if not isinstance(raw, list) or len(raw) > MAX_V2_DOCUMENT_FILTERS:
        raise V2Error(400, f"tagFilters must be a JSON array of at most {MAX_V2_DOCUMENT_FILTERS} tag filters")
    try:
        return structured_filters(kb, _tag_filters(raw))
    except V1Error as err:
        raise V2Error(400, err.message) from None
    except TagFilterError as err:
        raise V2Error(400, str(err)) from None


@v2_route(
    "knowledge.documents",
    allowed={"workspaceId", "limit", "cursor", "search", "enabledFilter", "sortBy", "sortOrder", "tagFilters"},
    required={"workspaceId"},
)
async def v2_documents(ctx: V2Ctx) -> Response:
    kb = _v2_base(ctx)
    q = ctx.query
    filters = _v2_filters(kb, q.get("tagFilters"))
    try:
        docs = _listed_documents(documents_of(kb.id), q)
    except V1Error as err:
        raise V2Error(400, "Invalid query parameters", err.details) from None
    items = [{**document_item(d), "tags": tags_by_name(kb, d)} for d in docs if not filters or matches(d, filters)]
    page, nxt = paginate(items, q, {k: q.get(k) for k in sorted(ctx.query) if k not in ("limit", "cursor")})
    return ctx.ok(page, nextCursor=nxt)


V1_ROUTES = [
    Route("/api/v1/knowledge", list_bases, methods=["GET"]),
    Route("/api/v1/knowledge/search", search, methods=["POST"]),
    Route("/api/v1/knowledge/{id}", get_base, methods=["GET"]),
    Route("/api/v1/knowledge/{id}/documents", list_documents, methods=["GET"]),
]
V2_ROUTES = [
    Route("/api/v2/knowledge/{id}/tags", v2_tags, methods=["GET"]),
    Route("/api/v2/knowledge/{id}/documents", v2_documents, methods=["GET"]),
]
ROUTES = V1_ROUTES + V2_ROUTES
