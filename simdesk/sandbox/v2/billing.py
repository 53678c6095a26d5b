"""Billing status: plan, period, credits and storage (``/api/v2/billing/status``)."""

from __future__ import annotations

from starlette.responses import Response

from simdesk.sandbox.clock import iso
from simdesk.sandbox.runs import storage_block
from simdesk.sandbox.state import SELF_HOSTED_CREDITS
from simdesk.sandbox.v2.admission import Ctx, route, workspace_for


@route("billing.status", allowed={"workspaceId"})
async def billing_status(ctx: Ctx) -> Response:
    state = ctx.state
    ws = workspace_for(ctx, ctx.query["workspaceId"]) if "workspaceId" in ctx.query else None
    used = state.current_cost()
    limit = state.usage_limit
    if state.plan == "free":
        # without a Stripe subscription the period is the open interval (openapi-v2-billing.json)
        period = {"start": "1970-01-01T00:00:00.000Z", "end": "9999-12-31T00:00:00.000Z"}
    else:
        start = state.clock.now() - state.clock.now() % (30 * 86400)
        period = {"start": iso(start), "end": iso(start + 30 * 86400)}
    assert ctx.key is not None
    credits = None
    if state.config.self_hosted:
        limit = SELF_HOSTED_CREDITS
    if ctx.key.workspace_id is None:  # always null for a workspace API key
        credits = {"used": used, "limit": limit, "remaining": round(max(0.0, limit - used), 6)}
    return ctx.ok(
        {
            "workspaceId": ws,
            "period": period,
            "plan": state.plan,
            "status": "limit_exceeded" if state.usage_exceeded() else "active",
            "credits": credits,
            "storage": storage_block(state),
        }
    )
