"""The v2 surface: ``/api/v2/...`` behind the ``v2-api`` gate, one module per resource family
as Sim's own OpenAPI documents are split (``tests/fixtures/openapi/openapi-v2-*.json``).

:mod:`~simdesk.sandbox.v2.admission` is the pipeline every route goes through; this module
lists the routes.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from simdesk.sandbox.respond import v2_error
from simdesk.sandbox.v2.billing import billing_status
from simdesk.sandbox.v2.logs import LogFilter, get_log, list_logs, log_item
from simdesk.sandbox.v2.resources import get_workspace, list_workspaces
from simdesk.sandbox.v2.runs import cancel, execute, get_run, list_runs, resume
from simdesk.sandbox.v2.workflows import get_deployment, get_workflow, list_folders, list_workflows, workflow_item

__all__ = ["ROUTES", "LogFilter", "log_item", "workflow_item"]


async def not_found(request: Request) -> Response:
    return v2_error(404, "Not found")


ROUTES = [
    Route("/api/v2/workspaces", list_workspaces, methods=["GET"]),
    Route("/api/v2/workspaces/{workspaceId}", get_workspace, methods=["GET"]),
    Route("/api/v2/workflows", list_workflows, methods=["GET"]),
    Route("/api/v2/workflows/folders", list_folders, methods=["GET"]),
    Route("/api/v2/workflows/{id}", get_workflow, methods=["GET"]),
    Route("/api/v2/workflows/{id}/deployment", get_deployment, methods=["GET"]),
    Route("/api/v2/workflows/{id}/execute", execute, methods=["POST"]),
    Route("/api/v2/workflows/{id}/runs", list_runs, methods=["GET"]),
    Route("/api/v2/workflows/{id}/runs/{runId}", get_run, methods=["GET"]),
    Route("/api/v2/workflows/{id}/runs/{runId}/cancel", cancel, methods=["POST"]),
    Route("/api/v2/workflows/{id}/runs/{runId}/resume", resume, methods=["POST"]),
    Route("/api/v2/logs", list_logs, methods=["GET"]),
    Route("/api/v2/logs/{runId}", get_log, methods=["GET"]),
    Route("/api/v2/billing/status", billing_status, methods=["GET"]),
    # Sim's catch-all v2 route: any other path or method gets the v2 JSON 404
    # (tests/fixtures/sim-0.8.9/v2-unknown-path.body), never a plain-text 404 or 405
    Route("/api/v2/{rest:path}", not_found, methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]),
    Route("/api/v2", not_found, methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]),
]
