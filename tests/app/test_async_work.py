"""One way to start async work: services spawn it on their TaskSet; widgets call plain methods."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import simdesk
from simdesk.services.tasks import TaskSet

ROOT = Path(simdesk.__file__).parent
STARTS_TASKS = re.compile(r"\b(asyncSlot|ensure_future|create_task)\b")


def _lines(folder: str, pattern: re.Pattern[str]) -> list[str]:
    return [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted((ROOT / folder).rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]


def test_widgets_start_no_task_of_their_own() -> None:
    assert _lines("ui", STARTS_TASKS) + _lines("models", STARTS_TASKS) == []


def test_services_start_work_from_plain_methods_not_async_slots() -> None:
    # (a service holds every task it starts: in its TaskSet, or as the one task of a kind it cancels)
    assert _lines("services", re.compile(r"\basyncSlot\b|from qasync import")) == []


def test_a_task_that_fails_is_reported_once_to_the_loop(qloop: Any, arun: Callable[..., Any]) -> None:
    reported: list[dict[str, Any]] = []
    qloop.set_exception_handler(lambda _loop, context: reported.append(context))
    tasks = TaskSet()

    async def fail() -> None:
        raise LookupError("lost")

    task = tasks.spawn(fail())
    arun(asyncio.wait([task]))
    arun(asyncio.sleep(0))  # the done callbacks have run
    assert not tasks
    assert [type(c["exception"]) for c in reported] == [LookupError]
    assert reported[0]["future"] is task
