"""Knowledge bases through Sim's API: bases, documents, tag definitions and search.

The bases and search use Sim's ungated v1 routes (``/api/v1/knowledge…``), which answer whether
or not v2 is switched on and share the one v1 request bucket. Tag definitions and documents with
their tags exist only on v2 (``/api/v2/knowledge/{id}/tags`` and ``…/documents``); with v2 off the
documents come from v1 without tags (``tags`` is ``None``) and the tag definitions raise
:class:`FeatureUnavailableError`.

Search is checked against Sim's rules first (:func:`simdesk.core.knowledge.refusal`): a request
Sim would refuse raises :class:`ValidationError` with Sim's message and sends nothing. A search
is not retried after it may have reached the server, since a query is billed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from simdesk.api import wire
from simdesk.api.errors import FeatureUnavailableError, ProtocolError, ValidationError
from simdesk.api.pages import fetcher, walk
from simdesk.api.responses import data_of
from simdesk.api.session import Session
from simdesk.core.knowledge import (
    FIELD_TYPES,
    FieldType,
    KnowledgeBase,
    KnowledgeDocument,
    SearchHit,
    SearchRequest,
    SearchResults,
    TagDefinition,
    TagFilter,
    TagValue,
    refusal,
)

V1_BUCKET = "v1"  # every v1 route draws on one request bucket
MAX_V1_PAGES = 1000  # 100 000 documents at v1's page size of 100


class Knowledge:
    """The knowledge operations of :class:`simdesk.api.SimClient` (see its methods for docs)."""

    def __init__(self, session: Session) -> None:
        self.s = session

    async def list_bases(self, workspace_id: str) -> list[KnowledgeBase]:
        reply = await self.s.call("GET", "/api/v1/knowledge", params={"workspaceId": workspace_id}, bucket=V1_BUCKET)
        data = wire.obj(data_of(reply))
        return [knowledge_base(item) for item in wire.items(data.get("knowledgeBases"), "knowledge base list")]

    async def get_base(self, workspace_id: str, knowledge_base_id: str) -> KnowledgeBase:
        reply = await self.s.call(
            "GET", _base_path(knowledge_base_id), params={"workspaceId": workspace_id}, bucket=V1_BUCKET
        )
        return knowledge_base(wire.obj(data_of(reply)).get("knowledgeBase"))

    async def tag_definitions(self, workspace_id: str, knowledge_base_id: str) -> list[TagDefinition]:
        found: list[TagDefinition] = []
        path = f"{_base_path(knowledge_base_id, 2)}/tags"
        data = await self.s.v2_data(
            path, bucket="v2 knowledge.tags", feature="Tag definitions", params={"workspaceId": workspace_id}
        )
        for item in wire.items(data, "tag definition list"):
            definition = tag_definition(item)
            if definition is not None:
                found.append(definition)
        return found

    async def list_documents(
        self,
        workspace_id: str,
        knowledge_base_id: str,
        *,
        tag_filters: tuple[TagFilter, ...] = (),
        search: str | None = None,
    ) -> list[KnowledgeDocument]:
        params = {"workspaceId": workspace_id, "limit": "100"}
        if search:
            params["search"] = search
        v2_params = dict(params)
        if tag_filters:
            v2_params["tagFilters"] = json.dumps([f.wire() for f in tag_filters], separators=(",", ":"))
        path = f"{_base_path(knowledge_base_id, 2)}/documents"
        fetch = fetcher(self.s, path, v2_params, "v2 knowledge.documents")

        async def on_v2() -> list[KnowledgeDocument]:
            found: list[KnowledgeDocument] = []
            async for page in walk(fetch, await fetch(None), path):
                found.extend(document(item, knowledge_base_id) for item in page)
            return found

        async def on_v1() -> list[KnowledgeDocument]:
            if tag_filters:
                raise FeatureUnavailableError(
                    "Filtering documents by tag needs Sim's v2 API, which is switched off on this server"
                )
            return await self._v1_documents(knowledge_base_id, params)

        return await self.s.either(on_v2, on_v1, feature="Documents with tags")

    async def _v1_documents(self, knowledge_base_id: str, params: Mapping[str, str]) -> list[KnowledgeDocument]:
        found: list[KnowledgeDocument] = []
        offset = 0
        for _ in range(MAX_V1_PAGES):
            reply = await self.s.call(
                "GET",
                f"{_base_path(knowledge_base_id)}/documents",
                params={**params, "offset": str(offset)},
                bucket=V1_BUCKET,
            )
            data = wire.obj(data_of(reply))
            page = wire.items(data.get("documents"), "document list")
            found.extend(document(item, knowledge_base_id, tagged=False) for item in page)
            pagination = wire.obj(data.get("pagination"))
            if not wire.flag(pagination.get("hasMore")) or not page:
                return found
            offset += len(page)
        raise ProtocolError(f"The server's document list of {knowledge_base_id} goes on past {MAX_V1_PAGES} pages")

    async def search(self, workspace_id: str, request: SearchRequest) -> SearchResults:
        problem = refusal(request)
        if problem is not None:
            raise ValidationError(problem, status=None)
        body = request.body(workspace_id)

        async def attempt(_: int) -> Any:
            return await self.s.send("POST", "/api/v1/knowledge/search", body=body, bucket=V1_BUCKET)

        reply = await self.s.retrying(attempt, idempotent=False)
        data = wire.obj(data_of(reply))
        hits = tuple(hit(item) for item in wire.items(data.get("results"), "search results"))
        ids = data.get("knowledgeBaseIds")
        return SearchResults(
            hits=hits,
            query=wire.text(data.get("query")) or "",
            knowledge_base_ids=tuple(i for i in ids if isinstance(i, str)) if isinstance(ids, list) else (),
            top_k=wire.integer(data.get("topK")) or request.top_k,
        )


def _base_path(knowledge_base_id: str, version: int = 1) -> str:
    return f"/api/v{version}/knowledge/{quote(knowledge_base_id, safe='')}"


# --- parsing -----------------------------------------------------------------------------------


def knowledge_base(data: Any) -> KnowledgeBase:
    body = wire.obj(data)
    return KnowledgeBase(
        id=wire.required(body, "id", "knowledge base"),
        name=wire.text(body.get("name")) or "",
        description=wire.text(body.get("description")),
        doc_count=wire.integer(body.get("docCount")) or 0,
        token_count=wire.integer(body.get("tokenCount")) or 0,
        embedding_model=wire.text(body.get("embeddingModel")) or "",
        embedding_dimension=wire.integer(body.get("embeddingDimension")),
        created_at=wire.text(body.get("createdAt")),
        updated_at=wire.text(body.get("updatedAt")),
    )


def tag_definition(data: Any) -> TagDefinition | None:
    body = wire.obj(data)
    name, slot, kind = (wire.text(body.get(k)) for k in ("displayName", "tagSlot", "fieldType"))
    if not name or not slot:
        return None
    field_type: FieldType = next((t for t in FIELD_TYPES if t == kind), "text")
    return TagDefinition(name, slot, field_type)


def _tags(value: Any) -> dict[str, TagValue]:
    return {str(k): v for k, v in wire.obj(value).items() if isinstance(v, str | int | float | bool)}


def document(data: Any, knowledge_base_id: str, *, tagged: bool = True) -> KnowledgeDocument:
    body = wire.obj(data)
    return KnowledgeDocument(
        id=wire.required(body, "id", "document"),
        knowledge_base_id=wire.text(body.get("knowledgeBaseId")) or knowledge_base_id,
        filename=wire.text(body.get("filename")) or "",
        file_size=wire.integer(body.get("fileSize")) or 0,
        mime_type=wire.text(body.get("mimeType")) or "",
        processing_status=wire.text(body.get("processingStatus")) or "pending",
        chunk_count=wire.integer(body.get("chunkCount")) or 0,
        token_count=wire.integer(body.get("tokenCount")) or 0,
        enabled=wire.flag(body.get("enabled")),
        created_at=wire.text(body.get("createdAt")),
        tags=_tags(body.get("tags")) if tagged else None,
    )


def hit(data: Any) -> SearchHit:
    body = wire.obj(data)
    return SearchHit(
        document_id=wire.required(body, "documentId", "search result"),
        document_name=wire.text(body.get("documentName")),
        content=wire.text(body.get("content")) or "",
        chunk_index=wire.integer(body.get("chunkIndex")) or 0,
        tags=_tags(body.get("metadata")),
        similarity=wire.number(body.get("similarity")) or 0.0,
        source_url=wire.text(body.get("sourceUrl")),
    )
