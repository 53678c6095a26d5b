"""The workflows browser's service: workspaces, folders and workflows of the current profile.

On a profile switch the cached catalogue is shown at once (marked cached), then refreshed from
the server; a failed refresh keeps the cached tree and says why. The workspace shown is the one
the user last chose on that profile (:class:`~simdesk.services.workspace_memory.WorkspaceMemory`)
if it is still listed, else the profile's default workspace, else the first; a remembered
workspace the server no longer lists is forgotten without a word. Every page of workflows is
loaded (cursor pagination is the client's). On a server with the v2 API switched off no
workspace can be listed: the profile's remembered or default workspace is still listed, flat,
through the ungated v1 route (sim-api.md §8.3), :attr:`CatalogueService.unavailable` says what is
missing, and workflow ids typed by the user are checked with the legacy ``status`` route and
remembered.

Signals:
    snapshot_changed(CatalogueSnapshot): the tree's data changed.
    loading_changed(bool): a refresh started or ended.
    failed(str): a refresh failed (a sentence for the user); the shown data stays.
    unavailable(str): why workflows cannot be listed ("" when they can).
    workflow_loaded(LoadedWorkflow): a workflow's inputs and deployment, for the run console.
    workflow_failed(str, str): workflow id, why it could not be loaded.
    favourites_changed(): a workflow was pinned or unpinned.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import re
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Signal

from simdesk.api import SimClient
from simdesk.api.errors import FeatureUnavailableError, NotFoundError, SimError
from simdesk.api.messages import user_message
from simdesk.core.budget import Priority, working_at
from simdesk.core.catalogue import Folder, WorkflowDetail, WorkflowStatus, WorkflowSummary, Workspace
from simdesk.core.catalogue_cache import CatalogueCache, CatalogueSnapshot, KnownWorkflow, WorkspaceContents
from simdesk.core.favourites import FavouriteStore
from simdesk.services.tasks import TaskSet
from simdesk.services.workspace_memory import WorkspaceMemory

log = logging.getLogger("simdesk.services.catalogue")

ClientGetter = Callable[[], Awaitable[SimClient]]
LEGACY_REASON = (
    "This server has Sim's v2 API switched off (self-hosted without V2_API), so workspaces cannot be "
    "listed. Set the profile's default workspace to list its workflows, or paste a workflow id (from "
    "its URL in Sim) to run it."
)
V1_REASON = (
    "This server has Sim's v2 API switched off (self-hosted without V2_API): only the profile's "
    "workspace is listed, without folders. Paste a workflow id (from its URL in Sim) to run another."
)
STATUS_CHECKS = 100  # deployed workflows whose "needs redeploy" state is checked after a refresh
_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


@dataclass(frozen=True)
class LoadedWorkflow:
    """A workflow ready for the run console. ``status`` is its deployment state if known;
    ``legacy`` is True when the server has no v2 catalogue (no declared inputs: raw JSON only);
    ``cached`` when the server could not be reached and the inputs come from the cache."""

    detail: WorkflowDetail
    status: WorkflowStatus | None = None
    legacy: bool = False
    cached: bool = False

    @property
    def id(self) -> str:
        """The workflow id."""
        return self.detail.id

    @property
    def name(self) -> str:
        """The workflow name."""
        return self.detail.name


class CatalogueService(QObject):
    """Loads and caches the catalogue of one profile at a time."""

    snapshot_changed = Signal(object)
    loading_changed = Signal(bool)
    failed = Signal(str)
    unavailable = Signal(str)
    workflow_loaded = Signal(object)
    workflow_failed = Signal(str, str)
    favourites_changed = Signal()

    def __init__(
        self,
        cache: CatalogueCache,
        favourites: FavouriteStore,
        memory: WorkspaceMemory | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.cache = cache
        self.favourite_store = favourites
        self.memory = memory if memory is not None else WorkspaceMemory()
        self.snapshot = CatalogueSnapshot()
        self.workspace_id: str | None = None
        self.unavailable_reason = ""
        self._profile = ""
        self._default_workspace: str | None = None
        self._client_getter: ClientGetter | None = None
        self._refreshing: asyncio.Future[None] | None = None
        self._tasks = TaskSet()

    # --- profile -------------------------------------------------------------------------

    @property
    def profile(self) -> str:
        """The profile whose catalogue is shown."""
        return self._profile

    def set_profile(
        self,
        name: str,
        client: ClientGetter,
        *,
        default_workspace: str | None = None,
        refresh: bool = True,
    ) -> asyncio.Future[None] | None:
        """Show ``name``'s cached catalogue now and (by default) refresh it; returns the refresh task.

        ``default_workspace`` is the profile's own choice, shown when the user has not picked
        another one (or it is gone).
        """
        if self._refreshing is not None:
            self._refreshing.cancel()
            self._refreshing = None  # cancelling is not done yet: refresh() below must start a new one
        self._profile = name
        self._client_getter = client
        self._default_workspace = default_workspace
        cached = self.cache.load(name)
        self.snapshot = cached or CatalogueSnapshot()
        # chosen before the first emit, so the cached tree opens on the restored workspace
        self.workspace_id = self._pick_workspace(self.snapshot.workspaces, fresh=False)
        self._set_unavailable("")
        self.snapshot_changed.emit(self.snapshot)
        self.favourites_changed.emit()
        return self.refresh() if refresh else None

    async def _client(self) -> SimClient:
        if self._client_getter is None:
            raise RuntimeError("no profile is set")
        return await self._client_getter()

    # --- refreshing ----------------------------------------------------------------------

    def refresh(self) -> asyncio.Future[None]:
        """Reload workspaces and the current workspace's folders and workflows."""
        if self._refreshing is not None and not self._refreshing.done():
            return self._refreshing
        self._refreshing = self._spawn(self._refresh())
        return self._refreshing

    def refresh_counts(self) -> asyncio.Future[None] | None:
        """A quiet refresh after a run (run counts, last run) at background priority, without
        the per-workflow deployment checks; skipped while another refresh runs."""
        if self._client_getter is None or (self._refreshing is not None and not self._refreshing.done()):
            return None

        async def quietly() -> None:
            with working_at(Priority.BACKGROUND):
                await self._refresh(check_deployments=False)

        self._refreshing = self._spawn(quietly())
        return self._refreshing

    def select_workspace(self, workspace_id: str) -> asyncio.Future[None]:
        """Show a workspace the user chose (its cached contents at once, then fresh ones); the
        profile opens on it next time."""
        self.workspace_id = workspace_id
        self.memory.remember(self._profile, workspace_id)
        self.snapshot_changed.emit(self.snapshot)
        if self._refreshing is not None and not self._refreshing.done():
            self._refreshing.cancel()
        self._refreshing = self._spawn(self._refresh())
        return self._refreshing

    async def _refresh(self, *, check_deployments: bool = True) -> None:
        self.loading_changed.emit(True)
        try:
            client = await self._client()
            try:
                workspaces = await client.list_workspaces()
            except FeatureUnavailableError:
                await self._refresh_without_v2(client)
                return
            self._set_unavailable("")
            self.workspace_id = self._pick_workspace(workspaces, fresh=True)
            snapshot = dataclasses.replace(
                self.snapshot, workspaces=tuple(workspaces), fetched_at=time.time(), cached=False
            )
            if self.workspace_id is not None:
                snapshot = snapshot.with_contents(await self._contents(client, self.workspace_id))
            self._publish(snapshot)
            if self.workspace_id is not None and check_deployments:
                await self._check_deployments(client, self.workspace_id)
        except SimError as exc:
            log.info("catalogue refresh failed: %r", exc)
            self.failed.emit(user_message(exc))
        except Exception as exc:  # the keyring, a bad profile: say so, keep the cached tree
            log.warning("catalogue refresh failed", exc_info=exc)
            self.failed.emit(str(exc) or type(exc).__name__)
        finally:
            self.loading_changed.emit(False)

    async def _refresh_without_v2(self, client: SimClient) -> None:
        """No workspace list: the remembered or default workspace is still listed through the
        ungated v1 route (sim-api.md §8.3), flat, when the profile names one."""
        workspace_id = self.memory.get(self._profile) or self._default_workspace
        if workspace_id is None:
            self._set_unavailable(LEGACY_REASON)
        else:
            self._set_unavailable(V1_REASON)
            self.workspace_id = workspace_id
            known = {w.id: w for w in self.snapshot.workspaces}
            snapshot = dataclasses.replace(
                self.snapshot,
                workspaces=(known.get(workspace_id) or Workspace(workspace_id, workspace_id),),
                fetched_at=time.time(),
                cached=False,
            )
            self._publish(snapshot.with_contents(await self._contents(client, workspace_id)))
        await self._recheck_known(client)

    def _pick_workspace(self, workspaces: Sequence[Workspace], *, fresh: bool) -> str | None:
        """The user's last choice if listed, else the profile's default if listed, else the first.

        Only a ``fresh`` listing (from the server, not the cache) can tell that the remembered
        workspace is gone (deleted, or no longer visible to this key); then it is forgotten.
        """
        ids = [w.id for w in workspaces]
        remembered = self.memory.get(self._profile)
        if fresh and remembered is not None and remembered not in ids:
            log.info("workspace %s is no longer listed; forgetting it", remembered)
            self.memory.forget(self._profile)
        for wanted in (remembered, self._default_workspace):
            if wanted is not None and wanted in ids:
                return wanted
        return ids[0] if ids else None

    async def _contents(self, client: SimClient, workspace_id: str) -> WorkspaceContents:
        try:
            folders: Sequence[Folder] = await client.list_folders(workspace_id)
        except FeatureUnavailableError:  # v1 knows no folders: a flat list
            folders = ()
        workflows = [wf async for wf in client.list_workflows(workspace_id)]
        old = self.snapshot.contents.get(workspace_id)
        statuses = {k: v for k, v in (old.statuses if old else {}).items() if any(w.id == k for w in workflows)}
        return WorkspaceContents(workspace_id, tuple(folders), tuple(workflows), time.time(), statuses)

    async def _check_deployments(self, client: SimClient, workspace_id: str) -> None:
        """Which deployed workflows need a redeploy (one status call each, at background priority)."""
        contents = self.snapshot.contents.get(workspace_id)
        if contents is None:
            return
        deployed = [w.id for w in contents.workflows if w.is_deployed][:STATUS_CHECKS]
        gate = asyncio.Semaphore(4)

        async def check(workflow_id: str) -> tuple[str, WorkflowStatus | None]:
            async with gate:
                try:
                    with working_at(Priority.BACKGROUND):
                        return workflow_id, await client.get_workflow_status(workflow_id)
                except SimError:
                    return workflow_id, None

        results = await asyncio.gather(*(check(w) for w in deployed))
        statuses = {**contents.statuses, **{k: v for k, v in results if v is not None}}
        self._publish(self.snapshot.with_contents(dataclasses.replace(contents, statuses=statuses)))

    def _publish(self, snapshot: CatalogueSnapshot) -> None:
        self.snapshot = snapshot
        try:
            self.cache.save(self._profile, snapshot)
        except OSError as exc:
            log.warning("could not write the catalogue cache: %s", exc)
        self.snapshot_changed.emit(snapshot)

    def _set_unavailable(self, reason: str) -> None:
        if reason != self.unavailable_reason:
            self.unavailable_reason = reason
            self.unavailable.emit(reason)

    # --- workflows typed by id (no v2 catalogue) -----------------------------------------

    def add_workflow_id(self, text: str) -> asyncio.Future[None] | None:
        """Check a typed or pasted workflow id (a Sim URL works too) and remember it."""
        workflow_id = _id_from(text)
        if workflow_id is None:
            self.workflow_failed.emit(text.strip(), "That is not a workflow id. Copy it from the workflow's URL.")
            return None
        return self._spawn(self._add_known(workflow_id))

    async def _add_known(self, workflow_id: str) -> None:
        try:
            client = await self._client()
            status = await client.get_workflow_status(workflow_id)
        except NotFoundError:
            self.workflow_failed.emit(workflow_id, "Sim has no workflow with this id (or this key cannot see it).")
            return
        except SimError as exc:
            self.workflow_failed.emit(workflow_id, user_message(exc))
            return
        known = [k for k in self.snapshot.known if k.workflow_id != workflow_id]
        name = next((k.name for k in self.snapshot.known if k.workflow_id == workflow_id), workflow_id)
        known.insert(0, KnownWorkflow(workflow_id, name, status, time.time()))
        self._publish(dataclasses.replace(self.snapshot, known=tuple(known)))
        await self._load(workflow_id)

    async def _recheck_known(self, client: SimClient) -> None:
        known = []
        for item in self.snapshot.known:
            try:
                status = await client.get_workflow_status(item.workflow_id)
                known.append(dataclasses.replace(item, status=status, checked_at=time.time()))
            except SimError:
                known.append(item)
        self._publish(dataclasses.replace(self.snapshot, known=tuple(known), cached=False, fetched_at=time.time()))

    # --- one workflow --------------------------------------------------------------------

    def load_workflow(self, workflow_id: str) -> asyncio.Future[None]:
        """Fetch a workflow's inputs and deployment state for the run console."""
        return self._spawn(self._load(workflow_id))

    async def _load(self, workflow_id: str) -> None:
        summary = self.find(workflow_id)
        try:
            client = await self._client()
            try:
                detail = await client.get_workflow(workflow_id)
                legacy = False
            except FeatureUnavailableError:
                detail, legacy = WorkflowDetail(summary or _bare_summary(workflow_id, self.snapshot)), True
            status = await client.get_workflow_status(workflow_id)
        except SimError as exc:
            cached_inputs = self.snapshot.inputs.get(workflow_id)
            if summary is not None and cached_inputs is not None:  # offline: run form from the cache
                self.workflow_loaded.emit(LoadedWorkflow(WorkflowDetail(summary, cached_inputs), cached=True))
                self.failed.emit(user_message(exc))
                return
            self.workflow_failed.emit(workflow_id, user_message(exc))
            return
        except Exception as exc:
            self.workflow_failed.emit(workflow_id, str(exc) or type(exc).__name__)
            return
        if legacy:
            deployed = dataclasses.replace(
                detail.summary, is_deployed=status.is_deployed, deployed_at=status.deployed_at
            )
            detail = dataclasses.replace(detail, summary=deployed)
        self._remember(detail, status)
        self.workflow_loaded.emit(LoadedWorkflow(detail, status, legacy))

    def _remember(self, detail: WorkflowDetail, status: WorkflowStatus) -> None:
        inputs = {**self.snapshot.inputs, detail.id: detail.inputs}
        snapshot = dataclasses.replace(self.snapshot, inputs=inputs)
        contents = snapshot.contents.get(detail.summary.workspace_id)
        if contents is not None:
            snapshot = snapshot.with_contents(
                dataclasses.replace(contents, statuses={**contents.statuses, detail.id: status})
            )
        self._publish(snapshot)

    def find(self, workflow_id: str) -> WorkflowSummary | None:
        """A workflow of the shown catalogue by id."""
        for contents in self.snapshot.contents.values():
            for wf in contents.workflows:
                if wf.id == workflow_id:
                    return wf
        return None

    # --- favourites ----------------------------------------------------------------------

    def favourites(self) -> list[str]:
        """Pinned workflow ids of the current profile."""
        return self.favourite_store.ids(self._profile)

    def toggle_favourite(self, workflow_id: str) -> bool:
        """Pin or unpin a workflow; returns the new state."""
        state = self.favourite_store.toggle(self._profile, workflow_id)
        self.favourites_changed.emit()
        return state

    # --- tasks ---------------------------------------------------------------------------

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Future[None]:
        return self._tasks.spawn(coro)

    @property
    def busy(self) -> bool:
        """True while something is loading."""
        return bool(self._tasks)

    async def aclose(self) -> None:
        """Cancel what is loading (app shutdown)."""
        await self._tasks.cancel_all()


def _id_from(text: str) -> str | None:
    """A workflow id from what was pasted: the id itself, or a Sim URL ending in ``/w/<id>``."""
    text = text.strip().rstrip("/")
    if "/" in text:
        text = text.rsplit("/", 1)[-1]
    return text if _ID.match(text) else None


def _bare_summary(workflow_id: str, snapshot: CatalogueSnapshot) -> WorkflowSummary:
    name = next((k.name for k in snapshot.known if k.workflow_id == workflow_id), workflow_id)
    return WorkflowSummary(workflow_id, name, "")
