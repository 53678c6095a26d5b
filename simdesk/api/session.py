"""The request pipeline under :class:`simdesk.api.SimClient`: one ``httpx.AsyncClient``, the
retry loop, rate-limit bookkeeping and v2 detection.

* Redirects are never followed (so the key never goes to another host); every attempt of an
  ordinary call has a total deadline (``timeout``, reading the body included), so no call can
  hang (the official SDK's GETs have none). A stream's headers get the caller's run deadline
  instead (Sim sends them only with the run's first frame, which may be minutes away), and there
  is no read timeout after that. Connecting always has a short deadline.
* Every socket has TCP keepalive on (:mod:`simdesk.api.keepalive`): that is what notices a dead
  peer during a long silence; the run deadline only bounds a live server that never answers.
* A body is read with a cap on its decompressed size (:mod:`simdesk.api.bounded`): a gzip bomb
  is a :class:`ProtocolError`, not an out-of-memory.
* httpx errors are turned into :class:`APIConnectionError` / :class:`APITimeoutError`, telling
  apart the failures where the request certainly never left (safe to repeat).
* Each answer's ``X-RateLimit-*`` goes into :attr:`Session.rate_limits` under the call's bucket.
* v2 is detected once (CONTRACT §0): the first v2 answer that is not the gate's 404 proves v2
  is on; a gate 404 switches this session to the legacy routes for good.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from dataclasses import replace
from typing import Any, TypeVar

import httpx

from simdesk import __version__
from simdesk.api import retry as retry_rules
from simdesk.api.bounded import MAX_BODY_BYTES, read_body
from simdesk.api.errors import (
    APIConnectionError,
    APITimeoutError,
    FeatureUnavailableError,
    NoOutputError,
    NotFoundError,
    ProtocolError,
    RateLimitError,
    ServerError,
    SimError,
)
from simdesk.api.files import encode_body
from simdesk.api.keepalive import keepalive_options
from simdesk.api.ratelimit import state_from_headers
from simdesk.api.responses import Reply, data_of, error_from_reply, is_gate_closed
from simdesk.api.retry import Action, RetryPolicy
from simdesk.api.sse_text import MAX_EVENT_CHARS
from simdesk.core.budget import UNMETERED, RequestBudget
from simdesk.core.rates import RateLimits, RateLimitState
from simdesk.core.runs import Surface

log = logging.getLogger("simdesk.api")

T = TypeVar("T")
USER_AGENT = f"simdesk/{__version__}"
_V2_PREFIX = "/api/v2/"
_NOT_PROOF_OF_V2 = frozenset({401, 429, 503})  # answered before the gate is checked
_EXECUTION_BUCKET_EMPTY = "RATE_LIMIT_EXCEEDED"  # v2 details.code of an empty execution bucket
_LEGACY_BUCKET_MESSAGE = "Rate limit exceeded"  # legacy's (header-less) execution-bucket 429


_NO_BUDGET: AbstractAsyncContextManager[None] = nullcontext()


class GateClosed(NotFoundError):
    """A v2 route said "v2 is switched off here"; callers fall back to legacy routes."""


class Session:
    """Sends requests for one profile (base URL + key). Owned by :class:`SimClient`."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        *,
        timeout: float,
        policy: RetryPolicy,
        transport: httpx.AsyncBaseTransport | None,
        surface: Surface | None,
        budget: RequestBudget | None = None,
        max_body: int = MAX_BODY_BYTES,
        max_event: int = MAX_EVENT_CHARS,
    ) -> None:
        self.base_url = base_url
        self.timeout = timeout
        self.max_body = max_body  # bytes of a decompressed body
        self.max_event = max_event  # characters of one event (so of one line) of a stream
        self.policy = policy
        self.rate_limits = RateLimits()
        self.budget = budget
        if budget is not None:  # the budget learns from every answer and usage-limits report
            self.rate_limits.subscribe(budget.observe)
        self.surface: Surface | None = surface
        self._surface_fixed = surface is not None
        self._has_key = bool(api_key)
        self._timeouts: dict[float | None, httpx.Timeout] = {}
        # only the encodings decompressed step by step under the cap (see simdesk.api.bounded)
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json", "Accept-Encoding": "gzip, deflate"}
        if api_key:
            headers["X-API-Key"] = api_key
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=50)
        if transport is None:  # socket options can only be given to a transport
            transport = httpx.AsyncHTTPTransport(limits=limits, socket_options=keepalive_options())
        self.http = httpx.AsyncClient(
            headers=headers,
            transport=transport,
            follow_redirects=False,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            limits=limits,  # for the transports httpx makes itself (proxies from the environment)
        )

    @property
    def has_key(self) -> bool:
        """True when requests carry an API key (needed to look runs up again)."""
        return self._has_key

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self.http.aclose()

    # --- one attempt ---------------------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None,
        body: Mapping[str, Any] | bytes | None,
        headers: Mapping[str, str] | None,
        read_timeout: float | None,
    ) -> httpx.Request:
        content = encode_body(body) if isinstance(body, Mapping) else body
        all_headers = dict(headers or {})
        if content is not None:
            all_headers["Content-Type"] = "application/json"
        timeout = self._timeouts.get(read_timeout)
        if timeout is None:
            timeout = self._timeouts[read_timeout] = httpx.Timeout(
                self.timeout, connect=min(self.timeout, 10.0), read=read_timeout
            )
        # an absolute URL: httpx's merging of a relative one with base_url costs more than the rest
        return self.http.build_request(
            method, self.base_url + path, params=params, content=content, headers=all_headers, timeout=timeout
        )

    async def send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Mapping[str, Any] | bytes | None = None,
        headers: Mapping[str, str] | None = None,
        bucket: str | None = None,
        deadline: float | None = None,
        run_id: str | None = None,
        accept: Callable[[Reply], bool] | None = None,
        also: Sequence[str] = (),
    ) -> Reply:
        """One attempt: send, read the whole answer within ``deadline`` (default ``timeout``)
        and raise the typed error for a non-2xx answer (unless ``accept(reply)`` says it is a
        regular answer, like a legacy failed run's HTTP 500). With a budget, the attempt first
        waits its turn on ``bucket`` and the ``also`` buckets (an execute's execution bucket)."""
        limit = deadline if deadline is not None else self.timeout
        request = self._request(method, path, params, body, headers, limit)
        async with self._budgeted(bucket, also):
            if self.budget is not None:
                self._skip_closed_gate(path, bucket, also)
            try:  # inline rather than _mapped_errors: this runs for every request
                async with asyncio.timeout(limit):  # the deadline covers reading the body too
                    response = await self.http.send(request, stream=True)
                    try:
                        body = await read_body(response, self.max_body)
                    finally:
                        await response.aclose()
            except SimError as error:  # the body was too large or not decompressible
                error.run_id = error.run_id or run_id
                raise
            except Exception as exc:
                mapped = translate_error(exc, run_id)
                if mapped is None:
                    raise
                if self.budget is not None and isinstance(mapped, APIConnectionError) and not mapped.request_sent:
                    self.budget.refund(bucket or UNMETERED, *also)  # it never left: nothing was spent
                raise mapped from exc
            reply = Reply.of(response, body)
            state = self._observe(path, reply, bucket)
            if self.budget is not None and not reply.ok:
                self._refund_unmetered(path, reply, bucket, also)
        if not reply.ok and not (accept is not None and accept(reply)):
            raise self._error(path, reply, state, run_id)
        return reply

    @asynccontextmanager
    async def open_stream(
        self,
        path: str,
        *,
        body: bytes,
        headers: Mapping[str, str],
        bucket: str,
        run_id: str,
        deadline: float,
        also: Sequence[str] = (),
    ) -> AsyncIterator[httpx.Response]:
        """POST and yield the open streaming response once its headers are in; an answer that is
        not ``text/event-stream`` is read (within ``timeout``) and raised as an error.

        The headers may take as long as ``deadline`` (the run deadline), not ``timeout``: Sim
        sends them together with the run's first frame, so a workflow that thinks for a minute
        before its first output answers after a minute. What catches what while waiting:

        * no connection within ``min(timeout, 10 s)``: httpx's connect timeout, never sent;
        * a peer that dies or vanishes: TCP keepalive fails the read in about a minute;
        * a live server that never produces output: ``deadline`` ends the wait with a
          :class:`NoOutputError` (an :class:`APITimeoutError`); closing the connection cancels
          the run on Sim.
        """
        request = self._request("POST", path, None, body, {**headers, "Accept": "text/event-stream"}, None)
        # a stream spends its tokens up front; it stops counting as in flight at its headers, or
        # after the call deadline if they are slow: a refusal (429, 401 …) comes at once, so a
        # later answer is a run under way, which must not hold other requests on its buckets
        async with self._budgeted(bucket, also, release_after=self.timeout):
            async with self._mapped_errors(run_id):
                try:
                    async with asyncio.timeout(deadline):
                        response = await self.http.send(request, stream=True)
                except TimeoutError as exc:  # asyncio's deadline; httpx's own timeouts are mapped as usual
                    raise NoOutputError(
                        f"The run gave no output within the run deadline ({deadline:g} s); "
                        "the connection was closed, which cancels the run on Sim",
                        run_id=run_id,
                    ) from exc
        try:
            content_type = response.headers.get("content-type", "")
            if not content_type.startswith("text/event-stream"):
                async with self._mapped_errors(run_id), asyncio.timeout(self.timeout):
                    body = await read_body(response, self.max_body)
                reply = Reply.of(response, body)
                state = self._observe(path, reply, bucket)
                if reply.ok:
                    raise ProtocolError(
                        "Expected an event stream, got another kind of answer",
                        status=reply.status,
                        request_id=reply.request_id,
                        run_id=run_id,
                    )
                raise self._error(path, reply, state, run_id)
            self._observe(path, Reply.of(response, b""), bucket)
            yield response
        finally:
            await response.aclose()

    @asynccontextmanager
    async def _mapped_errors(self, run_id: str | None) -> AsyncIterator[None]:
        """httpx's and asyncio's failures as :class:`SimError` (chained, never leaked)."""
        try:
            yield
        except SimError:
            raise
        except Exception as exc:
            mapped = translate_error(exc, run_id)
            if mapped is None:
                raise
            raise mapped from exc

    def note_refusal(self, error: SimError, execution_bucket: str) -> None:
        """Record an empty execution bucket (a 429 that says so) in :attr:`rate_limits`."""
        if not isinstance(error, RateLimitError):
            return
        if error.detail_code == _EXECUTION_BUCKET_EMPTY or (
            error.code is None and error.message.startswith(_LEGACY_BUCKET_MESSAGE)
        ):
            self.rate_limits.update(
                RateLimitState(
                    bucket=execution_bucket,
                    limit=None,
                    remaining=0,
                    reset_at=None,
                    observed_at=time.time(),
                    retry_after=self._capped(error.retry_after),
                )
            )

    def _observe(self, path: str, reply: Reply, bucket: str | None) -> RateLimitState | None:
        """Log the answer, record its bucket state (returned) and learn the surface from it."""
        log.debug("%s → %s (request %s)", path, reply.status, reply.request_id)
        state = state_from_headers(reply.headers, bucket, time.time()) if bucket else None
        if state is not None and state.retry_after != (capped := self._capped(state.retry_after)):
            state = replace(state, retry_after=capped)  # the budget counts on it as a refill time
        if state is not None:
            self.rate_limits.update(state)
        if path.startswith(_V2_PREFIX) and not self._surface_fixed:
            if is_gate_closed(reply):
                if self.surface != "legacy":
                    log.info("v2 API is switched off at %s; using the legacy routes", self.base_url)
                self.surface = "legacy"
            elif reply.status not in _NOT_PROOF_OF_V2 and self.surface is None:
                self.surface = "v2"
        return state

    def _error(self, path: str, reply: Reply, state: RateLimitState | None, run_id: str | None) -> SimError:
        if path.startswith(_V2_PREFIX) and is_gate_closed(reply):
            return GateClosed("The v2 API is switched off on this server", status=404, request_id=reply.request_id)
        error = error_from_reply(reply, run_id=run_id, limit=state)
        key = self.http.headers.get("x-api-key", "").encode()
        if key and error.body and key in error.body:  # a server (or proxy) that echoes the request
            error.body = error.body.replace(key, b"<api key>")
        self._pause_on(error)
        return error

    # --- the request budget (issue 7) ----------------------------------------------------

    def _budgeted(
        self, bucket: str | None, also: Sequence[str], release_after: float | None = None
    ) -> AbstractAsyncContextManager[None]:
        """Wait until the budget admits the request (at the task's priority); settle it after,
        or after ``release_after`` seconds if that comes first."""
        if self.budget is None:
            return _NO_BUDGET  # no generator-based context manager per request when there is no budget
        return self._admitted(bucket, also, release_after)

    @asynccontextmanager
    async def _admitted(
        self, bucket: str | None, also: Sequence[str], release_after: float | None
    ) -> AsyncIterator[None]:
        budget = self.budget
        assert budget is not None
        names = (bucket or UNMETERED, *also)
        await budget.admit(names[0], also=names[1:])
        settled = False

        def settle() -> None:
            nonlocal settled
            if not settled:  # once: the budget counts requests in flight, not calls to settle
                settled = True
                budget.settle(*names)

        timer = None if release_after is None else asyncio.get_running_loop().call_later(release_after, settle)
        try:
            yield
        finally:
            if timer is not None:
                timer.cancel()
            settle()

    def _skip_closed_gate(self, path: str, bucket: str | None, also: Sequence[str]) -> None:
        """While this request waited its turn, the session may have learned that v2 is off:
        then it is not sent (its tokens go back) and the caller falls back to legacy."""
        if self.surface == "legacy" and not self._surface_fixed and path.startswith(_V2_PREFIX):
            assert self.budget is not None
            self.budget.refund(bucket or UNMETERED, *also)
            raise GateClosed("The v2 API is switched off on this server", status=404)

    def _refund_unmetered(self, path: str, reply: Reply, bucket: str | None, also: Sequence[str]) -> None:
        """Give back what the server did not take (CONTRACT §3.3 order: auth → gate → request
        bucket → usage → execution bucket): all of it for a 401 or v2's gate 404, the execution
        token for any other refusal before the quota checks (4xx but 429)."""
        assert self.budget is not None
        if reply.status == 401 or (path.startswith(_V2_PREFIX) and is_gate_closed(reply)):
            self.budget.refund(bucket or UNMETERED, *also)
        elif also and 400 <= reply.status < 500 and reply.status != 429:
            self.budget.refund(*also)

    def _pause_on(self, error: SimError) -> None:
        """A 429 or 503 that says when to come back pauses the whole profile, not one call, for
        at most the policy's ``max_wait``: a server asking for 10^12 s (or a date in 2999) must
        not stop the profile until the app restarts."""
        retry_after = getattr(error, "retry_after", None)
        if self.budget is None or retry_after is None or not isinstance(error, RateLimitError | ServerError):
            return
        text = error.message.lower()
        if isinstance(error, ServerError) or "capacity" in text:
            reason = "server busy"
        elif "concurrent" in text:
            reason = "too many runs at once"
        else:
            reason = "rate limited"
        self.budget.pause_for(min(retry_after, self.policy.max_wait), reason)

    def _capped(self, seconds: float | None) -> float | None:
        """A server's wait as the budget may hold on to it: at most the policy's ``max_wait``."""
        return None if seconds is None else min(seconds, self.policy.max_wait)

    # --- retries ---------------------------------------------------------------------------

    async def retrying(
        self,
        attempt: Callable[[int], Awaitable[T]],
        *,
        idempotent: bool,
        reconcile: Callable[[SimError], Awaitable[T | None]] | None = None,
    ) -> T:
        """Run ``attempt(n)`` until it succeeds or the policy says stop.

        ``reconcile(error)`` is asked after an ambiguous failure of a run-starting call: it
        returns the outcome if it found the run, ``None`` if the run does not exist (then a retry
        is safe), or raises.
        """
        policy = self.policy
        number = 0
        while True:
            try:
                return await attempt(number)
            except GateClosed:
                raise
            except SimError as error:
                decision = retry_rules.decide(policy, error, number, idempotent=idempotent, rand=policy.random())
                if decision.action is Action.RECONCILE:
                    if reconcile is None or not self._has_key or not error.run_id:
                        raise
                    found = await reconcile(error)
                    if found is not None:
                        return found
                    decision = retry_rules.after_reconcile(policy, error, number, rand=policy.random())
                if decision.action is not Action.RETRY:
                    log.debug("giving up (%s): %r", decision.reason, error)
                    raise
                log.info("retrying in %.2fs (%s): %r", decision.delay, decision.reason, error)
                await policy.sleep(decision.delay)
                number += 1

    async def call(
        self,
        method: str,
        path: str,
        *,
        bucket: str | None,
        params: Mapping[str, str] | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> Reply:
        """An idempotent call with retries."""

        async def attempt(_: int) -> Reply:
            return await self.send(method, path, params=params, body=body, bucket=bucket)

        return await self.retrying(attempt, idempotent=True)

    # --- surfaces --------------------------------------------------------------------------

    async def either(
        self,
        v2: Callable[[], Awaitable[T]],
        legacy: Callable[[], Awaitable[T]] | None,
        *,
        feature: str,
    ) -> T:
        """Use v2 unless it is known to be off; on the gate's 404 fall back to ``legacy``."""
        if self.surface != "legacy":
            try:
                return await v2()
            except GateClosed:
                pass
        if legacy is None:
            raise FeatureUnavailableError(f"{feature} needs Sim's v2 API, which is switched off on this server")
        return await legacy()

    async def v2_data(self, path: str, *, bucket: str, feature: str, params: Mapping[str, str] | None = None) -> Any:
        """GET a v2-only resource and return its ``data``."""

        async def fetch() -> Any:
            return data_of(await self.call("GET", path, params=params, bucket=bucket))

        return await self.either(fetch, None, feature=feature)


def translate_error(exc: BaseException, run_id: str | None) -> SimError | None:
    """The :class:`SimError` for an httpx (or deadline) failure; ``None`` for anything else."""
    if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
        return APITimeoutError("Could not connect to the server in time", request_sent=False, run_id=run_id)
    if isinstance(exc, httpx.ConnectError):
        return APIConnectionError(f"Could not connect to the server: {_reason(exc)}", request_sent=False, run_id=run_id)
    if isinstance(exc, httpx.TimeoutException | TimeoutError):
        return APITimeoutError("The server did not answer in time", run_id=run_id)
    if isinstance(exc, httpx.TransportError | httpx.StreamError):
        return APIConnectionError(f"The connection failed: {_reason(exc)}", run_id=run_id)
    if isinstance(exc, httpx.HTTPError):
        return ProtocolError(f"The server's answer could not be read: {_reason(exc)}", run_id=run_id)
    return None


def _reason(exc: BaseException) -> str:
    text = str(exc).strip()
    return text or type(exc).__name__
