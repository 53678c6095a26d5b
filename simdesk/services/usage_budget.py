"""The pool's client factory with one request budget per profile.

Kept apart from :mod:`simdesk.services.usage` so the composition root can name it at start-up
without importing the meter, the client or httpx: all of that loads with the first client.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from simdesk.api import SimClient
    from simdesk.core.profiles import Profile


def budgeted_factory(profile: Profile, key: str | None) -> SimClient:
    """A client for ``profile`` with its own :class:`~simdesk.core.budget.RequestBudget`: every
    panel using the profile's client (runs, job polling, the meter) then shares one budget, and a
    client remade for a new URL, key or http consent starts with a fresh one."""
    from simdesk.api import SimClient
    from simdesk.core.budget import RequestBudget

    return SimClient(profile.base_url, key, budget=RequestBudget(), allow_insecure_http=profile.allow_insecure_http)
