"""The logs service: a workspace's runs from every trigger, cached, paged, live; one run's trace.

* :meth:`LogsService.open` shows the cached rows of a :class:`~simdesk.core.logs_query.LogQuery`
  at once (``rows_reset``, also offline), then asks the server for the first page and keeps the
  walk: :meth:`fetch_more` reads the next page on demand (``rows_added``).
* Live mode (:meth:`set_live`) adds the view to its profile's :class:`LiveHub`: one
  :class:`~simdesk.core.logs_live.LivePoller` per profile, at background priority, shared by
  every logs view of the profile (five workspaces watched cost what one does, per minute). Each
  poll is one request for the runs started since the newest seen (or since the oldest row still
  running, so those rows change too), never more than one page. ``updated`` carries the time of
  every answer.
* :meth:`open_run` fetches one run's log (user priority) and reads its spans into a
  :class:`~simdesk.core.trace.Trace` (``detail_ready``); a run the server has forgotten or a
  workspace the key cannot read ends in ``detail_failed`` with a sentence for the user.

Every answer is stored in the :class:`~simdesk.core.logs_cache.LogsCache` (in a worker thread).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from PySide6.QtCore import QObject, Signal

from simdesk.api import AsyncPager, SimClient
from simdesk.api.errors import FeatureUnavailableError, NotFoundError, SimError
from simdesk.api.messages import user_message
from simdesk.core.budget import Priority, working_at
from simdesk.core.logs_cache import LogsCache
from simdesk.core.logs_live import LIVE_REQUESTS_PER_MIN, LivePoller
from simdesk.core.logs_query import LogQuery, is_live
from simdesk.core.trace import span_tree
from simdesk.core.usage import LogEntry
from simdesk.services.executors import run_blocking
from simdesk.services.tasks import TaskSet

log = logging.getLogger("simdesk.services.logs")

ClientGetter = Callable[[], Awaitable[SimClient]]
PAGE_SIZE = 100
LIVE_LOOKBACK = timedelta(hours=1)  # running rows older than this are not re-asked for in live mode
FORGOTTEN = (
    "Sim no longer has this run's log. Runs age out of the logs (after 30 days on the free plan), "
    "and a run still queued has no log yet."
)


class LogsService(QObject):
    """The logs of one profile's workspace at a time.

    Signals:
        rows_reset(object list[LogEntry], bool cached): replace the rows (cached: from disk).
        rows_added(object list[LogEntry]): new or changed rows (a page, or live news).
        more_available(bool): whether :meth:`fetch_more` has another page to read.
        loading(bool): a request for rows started (True) or ended (False).
        updated(float): the server answered for the open view (epoch seconds).
        failed(str): a sentence for the user; the rows shown stay.
        detail_ready(object LogEntry, object Trace): a run opened by :meth:`open_run`.
        detail_failed(str run_id, str message).
    """

    rows_reset = Signal(object, bool)
    rows_added = Signal(object)
    more_available = Signal(bool)
    loading = Signal(bool)
    updated = Signal(float)
    failed = Signal(str)
    detail_ready = Signal(object, object)
    detail_failed = Signal(str, str)

    def __init__(
        self,
        cache: LogsCache | None = None,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        hub: LiveHub | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.cache = cache
        self._clock = clock
        self._profile = ""
        self._client_getter: ClientGetter | None = None
        self.query: LogQuery | None = None
        self.rows: dict[str, LogEntry] = {}  # what the view holds, by run id
        self.last_updated: float | None = None
        self._walk: AsyncPager[LogEntry] | None = None
        self._walk_done = True
        self._tasks = TaskSet()
        self._fetching: asyncio.Future[Any] | None = None
        self._own_hub = hub is None
        self.hub = hub if hub is not None else LiveHub(sleep=sleep)
        self.generation = 0  # bumped by open(): answers for an older view are dropped

    # --- profile and view ----------------------------------------------------------------

    def set_profile(self, name: str, client: ClientGetter) -> None:
        self._profile = name
        self._client_getter = client
        self._drop_walk()

    async def _client(self) -> SimClient:
        if self._client_getter is None:
            raise RuntimeError("no profile is set")
        return await self._client_getter()

    def open(self, query: LogQuery) -> asyncio.Future[Any]:
        """Show ``query``'s cached rows now, then the first page from the server."""
        same_server_view = self.query is not None and self.query.server_key == query.server_key
        previous = self.query
        self.query = query
        if same_server_view and previous is not None and previous.workspace_id == query.workspace_id:
            # only the text changed: the view filters what it holds, nothing to ask for
            done: asyncio.Future[Any] = asyncio.get_event_loop().create_future()
            done.set_result(None)
            return done
        self.generation += 1
        self._drop_walk()
        self.rows = {}
        self.last_updated = self.cache.synced_at(self._profile, query.workspace_id) if self.cache else None
        cached = self.cache.load(self._profile, query) if self.cache is not None else []
        self.rows = {e.run_id: e for e in cached}
        self.rows_reset.emit(cached, True)
        return self.fetch_more(first=True)

    def fetch_more(self, *, first: bool = False) -> asyncio.Future[Any]:
        """Read the next page of the open view (the first page after :meth:`open`)."""
        if self._fetching is not None and not self._fetching.done():
            return self._fetching
        self._fetching = self._spawn(self._fetch(first, self.generation))
        return self._fetching

    async def _fetch(self, first: bool, generation: int) -> None:
        query = self.query
        if query is None or (not first and self._walk_done):
            return
        self.loading.emit(True)
        try:
            client = await self._client()
            if first or self._walk is None:
                self._walk = client.list_logs(query.workspace_id, page_size=PAGE_SIZE, **query.server_filters())
                self._walk_done = False
            page = await _one_page(self._walk)  # the next page is read only when asked for
            self._walk_done = len(page) < PAGE_SIZE
            if generation != self.generation:
                return
            if first:
                self.rows = {e.run_id: e for e in page}
                self.rows_reset.emit(page, False)
            else:
                self._merge(page)
            self._answered(query, page)
            self.more_available.emit(not self._walk_done)
        except SimError as exc:
            if generation == self.generation:
                self._walk_done = True
                self.more_available.emit(False)
                self.failed.emit(_list_message(exc))
        except Exception as exc:  # the keyring, a bad profile: say so, keep the rows shown
            log.warning("logs fetch failed", exc_info=exc)
            if generation == self.generation:
                self.failed.emit(str(exc) or type(exc).__name__)
        finally:
            self.loading.emit(False)

    def _merge(self, entries: list[LogEntry]) -> list[LogEntry]:
        changed = [e for e in entries if self.rows.get(e.run_id) != e]
        for entry in changed:
            self.rows[entry.run_id] = entry
        if changed:
            self.rows_added.emit(changed)
        return changed

    def _answered(self, query: LogQuery, entries: list[LogEntry]) -> None:
        now = self._clock()
        self.last_updated = now
        self.updated.emit(now)
        if self.cache is not None:
            cache, profile = self.cache, self._profile
            self._spawn(run_blocking(lambda: cache.store(profile, query.workspace_id, entries, synced_at=now)))

    def _drop_walk(self) -> None:
        if self._fetching is not None and not self._fetching.done():
            self._fetching.cancel()  # the walk it reads ends with it
        elif self._walk is not None:
            self._spawn(self._walk.aclose())  # closed on the loop, not by the garbage collector
        self._walk = None
        self._walk_done = True

    # --- live mode -----------------------------------------------------------------------

    @property
    def live(self) -> bool:
        return self.hub.watching(self)

    def set_live(self, on: bool) -> None:
        """Start or stop watching the open view for new runs."""
        if on:
            self.hub.watch(self)
        else:
            self.hub.unwatch(self)

    def live_since(self) -> datetime | None:
        """Where a live poll starts: the oldest recent row still running, else the newest row."""
        starts = [e.started_at for e in self.rows.values() if e.started_at is not None]
        if not starts:
            return None
        newest = max(starts)
        running = [e.started_at for e in self.rows.values() if is_live(e) and e.started_at is not None]
        recent = [s for s in running if s >= newest - LIVE_LOOKBACK]
        return min(recent) if recent else newest

    async def poll_once(self) -> bool:
        """One live request for the open view's news; ``True`` when the server answered."""
        query = self.query
        if query is None:
            return True
        workspace_id = query.workspace_id
        generation = self.generation
        filters = query.server_filters()
        since = self.live_since()
        if since is not None and (query.since is None or since > query.since):
            filters["start_date"] = since
        try:
            client = await self._client()
            walk = client.list_logs(workspace_id, page_size=PAGE_SIZE, **filters)
            try:
                fresh = await _one_page(walk)  # one request per poll, whatever the backlog
            finally:
                await walk.aclose()
        except SimError as exc:
            if generation == self.generation:
                self.failed.emit(_list_message(exc))
            return False
        except Exception as exc:
            log.warning("live poll failed", exc_info=exc)
            return False
        if generation == self.generation:
            self._merge(fresh)
            self._answered(query, fresh)
        return True

    # --- one run -------------------------------------------------------------------------

    def open_run(self, run_id: str) -> asyncio.Future[Any]:
        """Fetch ``run_id``'s log with its trace (``detail_ready`` or ``detail_failed``)."""
        return self._spawn(self._open_run(run_id, self.query.workspace_id if self.query else None))

    async def _open_run(self, run_id: str, workspace_id: str | None) -> None:
        try:
            client = await self._client()
            entry = await client.get_log(run_id, workspace_id)
        except NotFoundError:
            self.detail_failed.emit(run_id, FORGOTTEN)
            return
        except SimError as exc:
            self.detail_failed.emit(run_id, user_message(exc))
            return
        except Exception as exc:
            log.warning("opening a run's log failed", exc_info=exc)
            self.detail_failed.emit(run_id, str(exc) or type(exc).__name__)
            return
        raw_spans = entry.raw.get("traceSpans") if isinstance(entry.raw, dict) else None
        self.detail_ready.emit(entry, span_tree(raw_spans, started_at=entry.started_at))

    # --- lifetime ------------------------------------------------------------------------

    def _spawn(self, work: Awaitable[Any]) -> asyncio.Future[Any]:
        return self._tasks.spawn(work)

    async def aclose(self) -> None:
        """Stop live mode and every request in flight."""
        self.set_live(False)
        self._drop_walk()
        if self._own_hub:
            await self.hub.aclose()
        await self._tasks.cancel_all()


class LiveHub:
    """The live mode of one profile: every watching logs view polled in turn by one
    :class:`~simdesk.core.logs_live.LivePoller`, at background priority."""

    def __init__(
        self,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        requests_per_min: float = LIVE_REQUESTS_PER_MIN,
    ) -> None:
        self._views: dict[str, LogsService] = {}
        self.poller = LivePoller(self._poll, sleep=sleep, requests_per_min=requests_per_min)
        self._tasks = TaskSet()
        self._loop: asyncio.Future[None] | None = None

    @staticmethod
    def _key(view: LogsService) -> str:
        return f"view-{id(view):x}"

    def watching(self, view: LogsService) -> bool:
        return self._key(view) in self._views

    def watch(self, view: LogsService) -> None:
        key = self._key(view)
        self._views[key] = view
        self.poller.watch(key)
        if self._loop is None or self._loop.done():

            async def loop() -> None:
                with working_at(Priority.BACKGROUND):
                    await self.poller.run()

            self._loop = self._tasks.spawn(loop())

    def unwatch(self, view: LogsService) -> None:
        key = self._key(view)
        self._views.pop(key, None)
        self.poller.unwatch(key)
        if not self._views and self._loop is not None:
            self._loop.cancel()
            self._loop = None

    async def _poll(self, key: str) -> bool:
        view = self._views.get(key)
        return True if view is None else await view.poll_once()

    async def aclose(self) -> None:
        self._views.clear()
        await self._tasks.cancel_all()


async def _one_page(walk: AsyncIterator[LogEntry]) -> list[LogEntry]:
    """The next :data:`PAGE_SIZE` entries of a walk (fewer at its end), asking for no more."""
    page: list[LogEntry] = []
    async for entry in walk:
        page.append(entry)
        if len(page) >= PAGE_SIZE:
            break
    return page


def _list_message(exc: SimError) -> str:
    if isinstance(exc, FeatureUnavailableError):
        return "This server has the v2 API switched off, so its logs cannot be listed."
    return user_message(exc)
