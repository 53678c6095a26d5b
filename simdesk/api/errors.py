"""The client's error tree: every failure leaves :mod:`simdesk.api` as a :class:`SimError`.

Three families, as in anthropic-sdk-python's ``_exceptions.py``:

* :class:`APIStatusError` and its subclasses: the server answered with an error status.
* :class:`APIConnectionError` / :class:`APITimeoutError`: no (complete) answer arrived.
* :class:`ProtocolError`: the server answered something that is not Sim's contract (an HTML
  page, bad JSON, a stream that stops before its terminal frame).

Every error carries ``status_code`` (the HTTP status; ``status`` is the same), the server's
``code`` (v2 ``error.code`` or the legacy ``code``), ``detail_code`` (v2 ``details.code``),
``message``, ``request_id`` (``x-request-id``), ``body`` (the first :data:`MAX_ERROR_BODY` bytes
of the answer, for diagnostics) and, when a run was involved, the ``run_id`` this client sent, so
the run can be found again. None of them ever contains the API key: messages are built from the
server's error text and our own words, and ``body`` is what the server sent (``str()`` and
``repr()`` leave it out).
Turn them into sentences for people with :func:`simdesk.api.messages.user_message`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from simdesk.core.rates import RateLimitState

if TYPE_CHECKING:
    from simdesk.core.stream_events import TerminalEvent

MAX_ERROR_BODY = 64 * 1024  # bytes of an error answer kept on the error (a proxy's page can be huge)


class SimError(Exception):
    """Root of every error the client raises."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        status: int | None = None,
        code: str | None = None,
        detail_code: str | None = None,
        request_id: str | None = None,
        run_id: str | None = None,
        details: object = None,
        body: bytes | None = None,
    ) -> None:
        """``status`` is the older name of ``status_code`` (either may be given)."""
        super().__init__(message)
        self.message = message
        self.status_code = status_code if status_code is not None else status
        self.body = body[:MAX_ERROR_BODY] if body else None
        self.code = code
        self.detail_code = detail_code
        self.request_id = request_id
        self.run_id = run_id
        self.details = details

    @property
    def status(self) -> int | None:
        """The HTTP status (the same as :attr:`status_code`)."""
        return self.status_code

    def __str__(self) -> str:
        facts = []
        if self.status is not None:
            facts.append(f"HTTP {self.status}")
        facts.extend(c for c in (self.code, self.detail_code) if c)
        if self.run_id:
            facts.append(f"run {self.run_id}")
        if self.request_id:
            facts.append(f"request {self.request_id}")
        return f"{self.message} ({', '.join(facts)})" if facts else self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, status_code={self.status_code!r}, code={self.code!r})"


class ConfigurationError(SimError, ValueError):
    """The client was set up wrongly (a malformed base URL, clear-text HTTP to a remote host)."""


class FeatureUnavailableError(SimError):
    """This server cannot do that: the call needs the v2 API, which is switched off here."""


class APIStatusError(SimError):
    """The server answered with an error status."""


class RedirectError(APIStatusError):
    """The server redirected an API call. Redirects are never followed (a 301 turns a POST into
    a body-less GET); ``location`` says where the server pointed, e.g. ``https://www.sim.ai``."""

    def __init__(self, message: str, *, location: str | None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.location = location


class ValidationError(APIStatusError):
    """The request was rejected as malformed (400, 413, 415), or refused before sending."""


class RequestTooLargeError(ValidationError):
    """The request body exceeds Sim's 10 MiB cap (checked before sending, or a 413)."""


class AuthenticationError(APIStatusError):
    """The API key is missing, unknown, expired or was sent the wrong way (401)."""


class UsageLimitError(APIStatusError):
    """The account is out of usage or credit (402). Never retried: it needs a plan change."""


class PermissionDeniedError(APIStatusError):
    """The key may not do this: workspace scope, undeployed workflow, locked resource (403, 423)."""


class NotFoundError(APIStatusError):
    """The workflow, run, job or log does not exist, or is hidden from this key (404)."""


class ConflictError(APIStatusError):
    """The request conflicts with the server's state, e.g. a run id already used (409)."""


class RateLimitError(APIStatusError):
    """A bucket is empty or the server is at capacity (429).

    ``retry_after`` is the server's wait in seconds (``None`` when it gave none, as on most legacy
    429s); ``limit`` is the bucket state reported with the refusal, if any.
    """

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        limit: RateLimitState | None = None,
        **kw: Any,
    ) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after
        self.limit = limit


class ServerError(APIStatusError):
    """The server failed (5xx). ``retry_after`` is set when it said when to come back (503)."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class AmbiguousEnqueueError(ServerError):
    """Sim could not confirm it queued an async run (``ASYNC_ENQUEUE_AMBIGUOUS``) and the run
    could not be found by its id either. Never retried blindly: the run may still appear."""


class APIConnectionError(SimError):
    """No answer: the connection failed or dropped. ``request_sent`` is False when the request
    certainly never reached the server (so repeating it is always safe)."""

    def __init__(self, message: str, *, request_sent: bool = True, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.request_sent = request_sent


class APITimeoutError(APIConnectionError):
    """The server did not answer within the client's deadline."""


class NoOutputError(APITimeoutError):
    """A streamed run gave no output (so Sim sent no response headers) within the run deadline;
    the connection was closed, which cancels the run on Sim."""


class ProtocolError(SimError):
    """The server answered something that is not Sim's contract: an HTML page (a proxy, a
    website at the base URL), malformed JSON, a missing envelope, or a stream that ended before
    its terminal frame (``run_id`` says which run to look up)."""


class RunFailedError(SimError):
    """A run asked for its answer alone (:meth:`~simdesk.api.streaming.RunStream.text`) ended
    without one: it failed, timed out, was aborted or paused. ``terminal`` is its terminal event,
    with the answer text that had arrived (``terminal.texts``)."""

    def __init__(self, message: str, *, terminal: TerminalEvent, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.terminal = terminal
