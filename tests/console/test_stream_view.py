"""The transcript view on its own: following the end, floods, long paragraphs, many blocks."""

from __future__ import annotations

from typing import Any

from simdesk.core.outline import outline_from_spans
from simdesk.core.spans import Span
from simdesk.core.stream_events import Chunk, StreamError
from simdesk.core.transcript import Outcome, Transcript
from simdesk.ui.stream_view import PARAGRAPH, RESYNC_TEXT, TranscriptView, _display


def _view(qtbot: Any) -> tuple[TranscriptView, Transcript]:
    view = TranscriptView()
    qtbot.addWidget(view)
    view.resize(500, 300)
    view.show()
    transcript = Transcript()
    view.reset(transcript)
    return view, transcript


def test_auto_scroll_stops_when_scrolled_up_and_resumes_at_the_bottom(qtbot: Any) -> None:
    view, transcript = _view(qtbot)
    bar = view.verticalScrollBar()
    view.apply(transcript.apply([(0.0, Chunk("a", "line\n" * 200))]))
    qtbot.waitUntil(lambda: bar.maximum() > 0 and bar.value() == bar.maximum())

    def following() -> bool:  # read afresh: scrolling changes it, which a type checker cannot see
        return view.following

    assert following()
    with qtbot.waitSignal(view.following_changed) as changed:
        bar.setValue(0)  # the user scrolls up to read
    assert changed.args == [False] and not following()
    view.apply(transcript.apply([(0.1, Chunk("a", "more\n" * 200))]))
    qtbot.waitUntil(lambda: bar.maximum() > 0)
    assert bar.value() == 0  # left where the user is reading
    bar.setValue(bar.maximum())  # back at the bottom: following again
    assert following()
    view.apply(transcript.apply([(0.2, Chunk("a", "end\n" * 200))]))
    qtbot.waitUntil(lambda: bar.value() == bar.maximum())


def test_a_flood_shows_the_newest_text_then_a_contiguous_tail(qtbot: Any) -> None:
    view, transcript = _view(qtbot)
    words = " ".join(f"w{i}" for i in range(60_000))  # ~400 000 characters in one paint
    view.apply(transcript.apply([(0.0, Chunk("a", words))]))
    shown = view.card_text("a")
    assert len(shown) < 4000 and shown.replace("\n", " ").split()[-1] == "w59999"
    assert "streaming faster than it can be read" in view.lanes_text("a")
    view.apply(transcript.finish(Outcome("completed"), 1.0))
    tail = view.card_text("a").replace("\n", " ")
    assert RESYNC_TEXT - 10 <= len(tail) <= RESYNC_TEXT + RESYNC_TEXT // PARAGRAPH + 10
    assert words.endswith(tail.split(" ", 1)[1])  # contiguous, up to the last word
    assert f"all {len(words):,} are in the saved transcript" in view.lanes_text("a")


def test_long_paragraphs_are_broken_for_display_only() -> None:
    text = "Sentence one is here. " * 200
    shown, last = _display(text, 0)
    assert shown.replace("\n", " ").split() == text.split()
    assert all(len(p) <= PARAGRAPH + 600 for p in shown.split("\n"))
    assert last == len(shown.split("\n")[-1])


def test_only_max_blocks_stay_on_screen(qtbot: Any) -> None:
    view = TranscriptView(max_blocks=3)
    qtbot.addWidget(view)
    transcript = Transcript()
    view.reset(transcript)
    notices: list[str] = []
    view.notices_changed.connect(notices.append)
    view.apply(transcript.apply([(0.0, Chunk(f"b{i}", f"text {i}")) for i in range(5)]))
    assert view.card_count == 3 and view.card_text("b4") == "text 4" and view.card_text("b0") == ""
    assert "2 earlier block(s)" in notices[-1]


def test_block_less_stream_errors_become_notices(qtbot: Any) -> None:
    view, transcript = _view(qtbot)
    with qtbot.waitSignal(view.notices_changed) as notice:
        view.apply(transcript.apply([(0.0, StreamError("upstream hiccup", None))]))
    assert notice.args == ["⚠ Stream error: upstream hiccup"]


def test_block_names_from_trace_spans(qtbot: Any) -> None:
    view, transcript = _view(qtbot)
    view.apply(transcript.apply([(0.0, Chunk("b-1", "hi"))]))
    assert view.lanes_text("b-1").startswith("b-1")
    outline = outline_from_spans([Span("b-1-1", "Writer", "agent", block_id="b-1", output={"content": ""})])
    view.apply(transcript.set_names(outline.names()))
    assert view.lanes_text("b-1").startswith("Writer  b-1")
    assert outline.default_selectors() == ["Writer.content"]
