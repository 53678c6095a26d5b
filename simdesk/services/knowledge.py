"""The knowledge panel's service: a workspace's knowledge bases, a base's tags and documents, and
searches; async work in, Qt signals out.

Every request runs on the profile's one client (``client_getter``), as a task this service holds.
A newer request of the same kind supersedes the older one's answer (a slow list for the previous
workspace never overwrites the current one). Failures arrive as one sentence per area:
a 403 names the permission the action needed (:func:`simdesk.core.workspace_access.forbidden_message`),
a search Sim would refuse is refused here with Sim's own message before anything is sent.

Signals:
    bases_changed(list[KnowledgeBase])
    base_opened(str, list[TagDefinition] | None, list[KnowledgeDocument]): a base's tags (None
        when the server cannot say: v2 off) and its documents, filtered as asked
    results_changed(SearchResults)
    failed(str, str): area ("bases", "documents", "search") and the sentence for the user
    busy_changed(bool)
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from simdesk.core.knowledge import SearchRequest, TagDefinition, TagFilter
from simdesk.services.answers import Answers

if TYPE_CHECKING:
    from simdesk.api import SimClient

ClientGetter = Callable[[], Awaitable["SimClient"]]


def describe(exc: BaseException, action_id: str) -> str:
    """The sentence for a failed ``action_id`` (see the module docstring)."""
    from simdesk.api.errors import FeatureUnavailableError, PermissionDeniedError, ServerError, ValidationError
    from simdesk.api.messages import user_message
    from simdesk.core.workspace_access import forbidden_message

    if isinstance(exc, PermissionDeniedError):
        return forbidden_message(action_id, exc.message, exc.detail_code)
    if isinstance(exc, ValidationError | FeatureUnavailableError):
        return exc.message  # Sim's own words (a refusal made here uses the same ones)
    if isinstance(exc, ServerError) and exc.status == 503 and action_id == "mcp.tools":
        # Sim itself is fine: the registered MCP server did not answer (Sim's words say which way)
        return f"{exc.message.rstrip('.')}. Try again later, or check the server's address in Sim."
    return user_message(exc)


class KnowledgeService(QObject):
    """Loads and searches the knowledge bases of one workspace at a time."""

    bases_changed = Signal(list)
    base_opened = Signal(str, object, list)
    results_changed = Signal(object)
    failed = Signal(str, str)
    busy_changed = Signal(bool)

    def __init__(self, client_getter: ClientGetter, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._client = client_getter
        self.workspace_id: str | None = None
        self.tags: dict[str, list[TagDefinition]] = {}
        self._answers = Answers(self.failed.emit, describe, self.busy_changed.emit)
        self._run = self._answers.run

    # --- requests ------------------------------------------------------------------------

    def use_client(self, client_getter: ClientGetter) -> None:
        """Another profile's client: answers still on their way are dropped; call
        :meth:`set_workspace` next."""
        self._client = client_getter
        self._answers.forget()
        self.tags.clear()

    def set_workspace(self, workspace_id: str | None) -> None:
        """Show ``workspace_id``'s bases (``None`` clears)."""
        self.workspace_id = workspace_id
        self.tags.clear()
        self._answers.forget()
        if workspace_id is None:
            self.bases_changed.emit([])
            return
        self.refresh()

    def refresh(self) -> None:
        workspace = self.workspace_id
        if workspace is not None:
            self._run("bases", "knowledge.browse", self._load_bases(workspace))

    def open_base(self, knowledge_base_id: str, filters: tuple[TagFilter, ...] = ()) -> None:
        """Load the base's tag definitions (once) and its documents, filtered by ``filters``."""
        workspace = self.workspace_id
        if workspace is not None:
            self._run("documents", "knowledge.browse", self._open(workspace, knowledge_base_id, filters))

    def search(self, request: SearchRequest) -> None:
        workspace = self.workspace_id
        if workspace is None:
            self.failed.emit("search", "Pick a workspace first.")
            return
        if not request.tag_definitions:
            request = SearchRequest(
                knowledge_base_ids=request.knowledge_base_ids,
                mode=request.mode,
                query=request.query,
                filters=request.filters,
                top_k=request.top_k,
                retrieval=request.retrieval,
                tag_definitions=dict(self.tags),
            )
        self._run("search", "knowledge.search", self._search(workspace, request))

    async def aclose(self) -> None:
        await self._answers.aclose()

    # --- work ----------------------------------------------------------------------------

    async def _load_bases(self, workspace: str) -> Callable[[], None]:
        client = await self._client()
        bases = await client.list_knowledge_bases(workspace)
        return lambda: self.bases_changed.emit(bases)

    async def _open(self, workspace: str, knowledge_base_id: str, filters: tuple[TagFilter, ...]) -> Callable[[], None]:
        from simdesk.api.errors import FeatureUnavailableError

        client = await self._client()
        tags: list[TagDefinition] | None = self.tags.get(knowledge_base_id)
        if tags is None:
            try:
                tags = await client.list_tag_definitions(workspace, knowledge_base_id)
                self.tags[knowledge_base_id] = tags
            except FeatureUnavailableError:
                tags = None
        documents = await client.list_documents(workspace, knowledge_base_id, tag_filters=filters)
        return lambda: self.base_opened.emit(knowledge_base_id, tags, documents)

    async def _search(self, workspace: str, request: SearchRequest) -> Callable[[], None]:
        client = await self._client()
        results = await client.search_knowledge(workspace, request)
        return lambda: self.results_changed.emit(results)
