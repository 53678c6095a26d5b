"""Async Sim HTTP client (on httpx). Knows nothing of Qt.

Start with :class:`SimClient`; every failure is a :class:`SimError` subclass, and
:func:`user_message` turns one into a sentence for people. Results are the plain dataclasses of
:mod:`simdesk.core`, re-exported here.
"""

from simdesk.api.account import LogFilters
from simdesk.api.client import SimClient
from simdesk.api.errors import (
    AmbiguousEnqueueError,
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    ConfigurationError,
    ConflictError,
    FeatureUnavailableError,
    NoOutputError,
    NotFoundError,
    PermissionDeniedError,
    ProtocolError,
    RateLimitError,
    RedirectError,
    RequestTooLargeError,
    RunFailedError,
    ServerError,
    SimError,
    UsageLimitError,
    ValidationError,
)
from simdesk.api.files import MAX_REQUEST_BYTES, FileInput
from simdesk.api.messages import user_message
from simdesk.api.pages import AsyncPager
from simdesk.api.retry import RetryPolicy
from simdesk.api.run_options import RunCall, StreamOptions
from simdesk.api.streaming import RunStream
from simdesk.core.base_url import DEFAULT_BASE_URL
from simdesk.core.catalogue import (
    Deployment,
    Folder,
    WorkflowDetail,
    WorkflowInput,
    WorkflowStatus,
    WorkflowSummary,
    Workspace,
)
from simdesk.core.rates import RateLimits, RateLimitState
from simdesk.core.runs import (
    AsyncReceipt,
    CancelResult,
    Job,
    PauseInfo,
    ResponseBlockReply,
    Run,
    RunError,
    RunResult,
    RunStatus,
    is_large_value_ref,
)
from simdesk.core.stream_events import (
    Chunk,
    ChunkReset,
    Final,
    RunFailed,
    StreamError,
    StreamEvent,
    Thinking,
    ToolCall,
)
from simdesk.core.usage import BillingStatus, ConnectionCheck, ExecutionLimit, Health, LogEntry, UsageLimits

__all__ = [
    "DEFAULT_BASE_URL",
    "MAX_REQUEST_BYTES",
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AmbiguousEnqueueError",
    "AsyncPager",
    "AsyncReceipt",
    "AuthenticationError",
    "BillingStatus",
    "CancelResult",
    "Chunk",
    "ChunkReset",
    "ConfigurationError",
    "ConflictError",
    "ConnectionCheck",
    "Deployment",
    "ExecutionLimit",
    "FeatureUnavailableError",
    "FileInput",
    "Final",
    "Folder",
    "Health",
    "Job",
    "LogEntry",
    "LogFilters",
    "NoOutputError",
    "NotFoundError",
    "PauseInfo",
    "PermissionDeniedError",
    "ProtocolError",
    "RateLimitError",
    "RateLimitState",
    "RateLimits",
    "RedirectError",
    "RequestTooLargeError",
    "ResponseBlockReply",
    "RetryPolicy",
    "Run",
    "RunCall",
    "RunError",
    "RunFailed",
    "RunFailedError",
    "RunResult",
    "RunStatus",
    "RunStream",
    "ServerError",
    "SimClient",
    "SimError",
    "StreamError",
    "StreamEvent",
    "StreamOptions",
    "Thinking",
    "ToolCall",
    "UsageLimitError",
    "UsageLimits",
    "ValidationError",
    "WorkflowDetail",
    "WorkflowInput",
    "WorkflowStatus",
    "WorkflowSummary",
    "Workspace",
    "is_large_value_ref",
    "user_message",
]
