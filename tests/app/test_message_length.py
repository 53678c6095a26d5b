"""A huge message reaches people cut to a readable length, and the log whole."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from simdesk.core.text import NOTICE_CHARS
from simdesk.services.messages import MessageBus


def test_a_huge_error_is_cut_for_people_and_logged_whole(qtbot: Any, caplog: pytest.LogCaptureFixture) -> None:
    bus = MessageBus()
    text = "Sim said: " + "x" * 1_000_000
    with caplog.at_level(logging.ERROR, logger="simdesk.messages"), qtbot.waitSignal(bus.error) as shown:
        bus.send_error(text)
    assert (
        len(shown.args[0]) == NOTICE_CHARS and shown.args[0].endswith("…") and shown.args[0].startswith("Sim said: x")
    )
    assert bus.recent[-1] == ("error", shown.args[0])
    assert caplog.records[-1].getMessage() == text


def test_a_short_message_is_shown_as_it_is(qtbot: Any) -> None:
    bus = MessageBus()
    with qtbot.waitSignal(bus.info) as shown:
        bus.send_info("Key stored.")
    assert shown.args == ["Key stored."]
