"""Browsing what the key can see: workspaces, folders, workflows, inputs, deployments (§8).

All of it is v2 except ``get_workflow_status``, whose legacy route works on every deployment.
On a server with v2 switched off the rest raise :class:`FeatureUnavailableError`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from simdesk.api import parse_catalogue, routes
from simdesk.api.pages import pages
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
    ) -> AsyncIterator[WorkflowSummary]:
        params = {"workspaceId": workspace_id, "limit": str(page_size)}
        if folder_path:
            params["folderPath"] = folder_path
        if search:
            params["search"] = search
        if deployed_only:
            params["deployedOnly"] = "true"

        async def generate() -> AsyncIterator[WorkflowSummary]:
            async for page in pages(
                self.s, "/api/v2/workflows", params, "v2 workflows.list", feature="Listing workflows"
            ):
                for item in page:
                    yield parse_catalogue.workflow_summary(item)

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
