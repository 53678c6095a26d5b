"""Browsing what the key can see: workspaces, folders, workflows, inputs, deployments (§8).

All of it is v2 except ``get_workflow_status``, whose legacy route works on every deployment, and
``list_workflows``, which reads the ungated ``/api/v1/workflows`` when v2 is switched off (§8.3).
On such a server the rest raise :class:`FeatureUnavailableError`.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from simdesk.api import parse_catalogue, routes
from simdesk.api.errors import FeatureUnavailableError
from simdesk.api.pages import AsyncPager, fetcher, gated, pages, walk
from simdesk.api.responses import object_of
from simdesk.api.session import Session
from simdesk.core.catalogue import (
    Deployment,
    Folder,
    WorkflowDetail,
    WorkflowStatus,
    WorkflowSummary,
    Workspace,
)

V1_BUCKET = "v1"  # every v1 route draws on one request bucket (CONTRACT §3.1)
_LISTING = "Listing workflows"


class Catalogue:
    """The catalogue operations of :class:`simdesk.api.SimClient` (see its methods for docs)."""

    def __init__(self, session: Session) -> None:
        self.s = session

    async def list_workspaces(self) -> list[Workspace]:
        found: list[Workspace] = []
        async for page in pages(
            self.s,
            "/api/v2/workspaces",
            {"limit": "100"},
            "v2 workspaces.list",
            feature="Listing workspaces",
        ):
            found.extend(parse_catalogue.workspace(item) for item in page)
        return found

    def list_workflows(
        self,
        workspace_id: str,
        *,
        folder_path: str | None,
        search: str | None,
        deployed_only: bool,
        page_size: int,
    ) -> AsyncPager[WorkflowSummary]:
        params = {"workspaceId": workspace_id, "limit": str(page_size)}
        if deployed_only:
            params["deployedOnly"] = "true"
        v2_params = dict(params)
        if folder_path:
            v2_params["folderPath"] = folder_path
        if search:
            v2_params["search"] = search
        v2 = fetcher(self.s, "/api/v2/workflows", v2_params, "v2 workflows.list")
        v1 = fetcher(self.s, "/api/v1/workflows", params, V1_BUCKET)

        async def first_v2() -> tuple[bool, Any]:
            return True, await v2(None)

        async def first_v1() -> tuple[bool, Any]:
            if folder_path not in (None, "", "/"):
                raise FeatureUnavailableError(
                    "Listing a folder's workflows needs Sim's v2 API, which is switched off on this server "
                    "(its v1 list names folders by id only)"
                )
            return False, await v1(None)

        async def generate() -> AsyncGenerator[WorkflowSummary, None]:
            # the surface is settled by the first page; a cursor only makes sense on the route that made it
            on_v2, first = await self.s.either(first_v2, first_v1, feature=_LISTING)
            if on_v2:
                async for page in walk(gated(self.s, v2, _LISTING), first, "/api/v2/workflows"):
                    for item in page:
                        yield parse_catalogue.workflow_summary(item)
                return
            needle = search.casefold() if search else None
            async for page in walk(v1, first, "/api/v1/workflows"):
                for item in page:
                    summary = parse_catalogue.v1_workflow_summary(item)
                    # what v1 cannot filter: Sim's v2 matches `search` in the name, ignoring case, and
                    # folderPath "/" is the root folder itself
                    if needle is not None and needle not in summary.name.casefold():
                        continue
                    if folder_path == "/" and summary.folder_path != "/":
                        continue
                    yield summary

        return generate()

    async def list_folders(self, workspace_id: str) -> list[Folder]:
        found: list[Folder] = []
        async for page in pages(
            self.s,
            "/api/v2/workflows/folders",
            {"workspaceId": workspace_id},
            "v2 folders.list",
            feature="Listing folders",
        ):
            found.extend(parse_catalogue.folder(item) for item in page)
        return found

    async def get_workflow(self, workflow_id: str) -> WorkflowDetail:
        data = await self._v2(routes.v2_workflow(workflow_id), "v2 workflows.get", "Workflow details")
        return parse_catalogue.workflow_detail(data)

    async def get_deployment(self, workflow_id: str) -> Deployment:
        data = await self._v2(
            f"{routes.v2_workflow(workflow_id)}/deployment",
            "v2 workflows.deployment",
            "Deployment details",
        )
        return parse_catalogue.deployment(data, workflow_id=workflow_id)

    async def get_workflow_status(self, workflow_id: str) -> WorkflowStatus:
        reply = await self.s.call("GET", routes.legacy_status(workflow_id), bucket=None)
        return parse_catalogue.workflow_status(object_of(reply))

    async def _v2(self, path: str, bucket: str, feature: str) -> Any:
        return await self.s.v2_data(path, bucket=bucket, feature=feature)
