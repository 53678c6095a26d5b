"""One :class:`simdesk.api.SimClient` per profile, made on first use and closed on shutdown.

Each client owns one ``httpx.AsyncClient`` (a connection pool), so panels that share a profile
share its connections and its rate-limit state. A client is rebuilt when its profile's URL, key or
consent to plain http changes. The key is read from the keyring in a worker thread: keyring calls
may block (D-Bus, an unlock prompt) and must not freeze the window.

``simdesk.api`` (and with it httpx) is imported on the first client, not at start-up.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from simdesk.core.profiles import Profile
from simdesk.core.secrets import Secrets
from simdesk.services.executors import run_blocking

if TYPE_CHECKING:
    from simdesk.api import SimClient
    from simdesk.core.rates import RateLimitState

log = logging.getLogger("simdesk.services.clients")

ClientFactory = Callable[[Profile, str | None], "SimClient"]
RateListener = Callable[[str, "RateLimitState"], None]


def default_factory(profile: Profile, key: str | None) -> SimClient:
    """A real client for ``profile``; loopback servers may use plain http (the sandbox), other
    hosts only when the user ticked "Allow unencrypted HTTP" for the profile."""
    from simdesk.api import SimClient

    return SimClient(profile.base_url, key, allow_insecure_http=profile.allow_insecure_http)


def _same_transport(old: Profile, new: Profile) -> bool:
    """Whether a client made for ``old`` may serve ``new``: same server, same consent to plain http
    (a revoked consent must not keep using a client that was allowed to send the key in clear)."""
    return old.base_url == new.base_url and old.allow_insecure_http == new.allow_insecure_http


@dataclass(slots=True)
class _Entry:
    profile: Profile
    key: str | None
    client: SimClient
    unsubscribe: Callable[[], None]


class ClientPool:
    """Clients by profile name. Use from the event loop thread only."""

    def __init__(self, secrets: Secrets, factory: ClientFactory | None = None) -> None:
        self._secrets = secrets
        self._factory = factory or default_factory
        self._entries: dict[str, _Entry] = {}
        self._lock = asyncio.Lock()
        self._listeners: list[RateListener] = []
        self._closed = False

    def on_rate_limit(self, listener: RateListener) -> None:
        """Call ``listener(profile_name, state)`` on every rate-limit update of any client."""
        self._listeners.append(listener)

    def _notify(self, name: str, state: RateLimitState) -> None:
        for listener in list(self._listeners):
            try:
                listener(name, state)
            except Exception:
                log.exception("rate-limit listener failed")

    def make_client(self, profile: Profile, key: str | None) -> SimClient:
        """A new client, not pooled (the caller closes it): "Test connection" on a draft."""
        return self._factory(profile, key)

    async def key_for(self, profile: Profile) -> str | None:
        """``profile``'s key, read off the GUI thread. Raises SecretStoreUnavailable."""
        return await run_blocking(self._secrets.get, profile.name)

    async def client(self, profile: Profile) -> SimClient:
        """The client for ``profile`` (made now if needed, or remade if URL, key or consent changed)."""
        if self._closed:
            raise RuntimeError("the client pool is closed")
        key = await self.key_for(profile)
        async with self._lock:
            entry = self._entries.get(profile.name)
            if entry is not None and _same_transport(entry.profile, profile) and entry.key == key:
                return entry.client
            if entry is not None:
                await self._close(self._entries.pop(profile.name))
            client = self._factory(profile, key)
            await client.__aenter__()
            name = profile.name
            unsubscribe = client.rate_limits.subscribe(lambda state: self._notify(name, state))
            self._entries[name] = _Entry(profile, key, client, unsubscribe)
            log.info("client opened for profile %s (%s)", name, profile.base_url)
            return client

    def cached(self, name: str) -> SimClient | None:
        """The open client for ``name``, if one was made."""
        entry = self._entries.get(name)
        return entry.client if entry is not None else None

    async def discard(self, name: str) -> None:
        """Close and forget the client of ``name`` (its profile changed or was removed)."""
        async with self._lock:
            entry = self._entries.pop(name, None)
            if entry is not None:
                await self._close(entry)

    async def _close(self, entry: _Entry) -> None:
        entry.unsubscribe()
        try:
            await entry.client.__aexit__(None, None, None)
        except Exception:
            log.exception("closing the client of %s failed", entry.profile.name)

    async def aclose(self) -> None:
        """Close every client (app shutdown). Safe to call twice."""
        self._closed = True
        async with self._lock:
            entries, self._entries = list(self._entries.values()), {}
            for entry in entries:
                await self._close(entry)
        if entries:
            log.info("closed %d client(s)", len(entries))

    def __len__(self) -> int:
        return len(self._entries)
