"""What the ways of starting a run are given, declared once.

:class:`RunCall` is what :meth:`~simdesk.api.SimClient.execute`, ``stream`` and ``execute_async``
all take (the workflow, its input, the run id of the first attempt), checked when it is made;
:class:`StreamOptions` is what only a streamed run takes beside it. The client's methods keep
their keyword arguments and build these, so the run code below them passes one value along.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from simdesk.api.urls import attempt_run_id, check_run_id


@dataclass(frozen=True, slots=True)
class RunCall:
    """A run to start: ``workflow_id``, its ``input`` (a mapping; paths and file objects in it are
    sent as files) and ``run_id``, the id of the first attempt (retries derive new ones; ``None``:
    a new id each attempt). A ``run_id`` Sim would refuse raises :class:`ValidationError` here."""

    workflow_id: str
    input: object = None
    run_id: str | None = None

    def __post_init__(self) -> None:
        if self.run_id is not None:
            check_run_id(self.run_id)

    def attempt_id(self, attempt: int) -> str:
        """The run id sent with attempt ``attempt`` (from 0)."""
        return attempt_run_id(self.run_id, attempt)


@dataclass(frozen=True, slots=True)
class StreamOptions:
    """What a streamed run sends and keeps beside its :class:`RunCall` (see
    :meth:`simdesk.api.SimClient.stream` for each)."""

    selected_outputs: Sequence[str] = ()
    include_thinking: bool = False
    include_tool_calls: bool = False
    keep_text: bool = True
    on_raw: Callable[[str], object] | None = None
