"""The live transcript of a run: one card per block, its text, its thinking and tool lanes.

:class:`TranscriptView` is a :class:`QTextBrowser` whose document holds one frame per block
(header, lanes, text). It applies the :data:`~simdesk.core.transcript.Change` lists the run
service emits once per paint, so the cost of a paint does not depend on how many chunks arrived:

* text is appended at the end of its block's frame; ``chunk_reset`` clears that frame only;
* very long unbroken text is shown in paragraphs of about :data:`PARAGRAPH` characters (broken
  at a sentence or word end), because Qt lays a paragraph out whole on every append;
* a block shows at most ``view_cap`` characters (its tail); the rest is in the run history, and
  only ``max_blocks`` blocks stay on screen;
* laying text out costs Qt about 0.3 µs a character, so one paint lays out at most
  :data:`TICK_TEXT` characters of a block: when more arrive at once (a flood far faster than
  anyone reads) the block shows the newest text, and when the run ends it is redrawn from the
  transcript's tail (:data:`RESYNC_TEXT`), so what stays on screen is contiguous;
* thinking and tool lanes are collapsible (click their line), with durations;
* auto-scroll follows the end until the user scrolls up, and resumes at the bottom.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QUrl, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QPalette,
    QTextBlockFormat,
    QTextCharFormat,
    QTextCursor,
    QTextFrame,
    QTextFrameFormat,
)
from PySide6.QtWidgets import QTextBrowser, QWidget

from simdesk.core.transcript import (
    BlockAdded,
    BlockState,
    Change,
    ErrorAdded,
    LanesChanged,
    Settled,
    TextAdded,
    TextCleared,
    Transcript,
)
from simdesk.ui.theme import Role, role_color

PARAGRAPH = 1500  # characters before a long paragraph is broken for display
VIEW_CAP = 120_000  # characters of one block's text kept on screen
TICK_TEXT = 3_000  # characters of one block laid out per paint (~1 ms); more is a flood
RESYNC_TEXT = 12_000  # characters redrawn from the transcript after a flood (a few screens; ~6 ms, once)
MAX_BLOCKS = 32
THINKING_SHOWN = 6000


@dataclass
class _Card:
    """One block's card: a frame holding a header line, lane lines, then the text.

    The text is always last in the frame, so it starts ``text_len`` positions before the frame's
    end; header and lanes are everything before it (rewritten whole when they change).
    """

    index: int
    block_id: str
    frame: QTextFrame
    text_len: int = 0  # document positions the text takes (characters and paragraph breaks)
    paragraph: int = 0  # characters in the last displayed paragraph
    hidden: int = 0  # characters trimmed off the front of the shown text
    flooded: bool = False  # text arrived faster than it is laid out: redraw from the transcript at the end

    @property
    def text_start(self) -> int:
        """Document position where the text begins."""
        return self.frame.lastPosition() - self.text_len


def _seconds(value: float | None) -> str:
    if value is None:
        return "…"
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def _display(text: str, paragraph: int) -> tuple[str, int]:
    """``text`` with breaks added to paragraphs longer than :data:`PARAGRAPH`; returns the new
    length of the last paragraph too."""
    out: list[str] = []
    lines = text.split("\n")
    for number, line in enumerate(lines):
        if number:
            out.append("\n")
            paragraph = 0
        while paragraph + len(line) > PARAGRAPH:
            start = max(0, PARAGRAPH - paragraph)
            cut = line.find(". ", start, start + 600)
            cut = cut + 1 if cut >= 0 else line.find(" ", start)
            if cut < 0:
                break
            out.append(line[:cut])
            out.append("\n")
            line = line[cut:].lstrip(" ")
            paragraph = 0
        out.append(line)
        paragraph += len(line)
    return "".join(out), paragraph


class TranscriptView(QTextBrowser):
    """Shows a :class:`Transcript` and keeps up with its changes.

    Signals:
        following_changed(bool): auto-scroll switched on (at the bottom) or off (scrolled up).
        notices_changed(str): lines about the whole run (stream errors without a block, dropped blocks).
    """

    following_changed = Signal(bool)
    notices_changed = Signal(str)

    def __init__(
        self, parent: QWidget | None = None, *, view_cap: int = VIEW_CAP, max_blocks: int = MAX_BLOCKS
    ) -> None:
        super().__init__(parent)
        self.setObjectName("transcriptView")
        self.setOpenLinks(False)
        self.setReadOnly(True)
        self.setUndoRedoEnabled(False)
        self.document().setUndoRedoEnabled(False)
        self.document().setDocumentMargin(10)
        self.anchorClicked.connect(self._toggle)
        self._view_cap = view_cap
        self._max_blocks = max_blocks
        self._cards: dict[str, _Card] = {}
        self._open: set[tuple[str, str]] = set()  # (lane, block id) expanded; tools open by default
        self._closed_tools: set[str] = set()
        self._transcript = Transcript()
        self.notices = ""
        self._dropped_blocks = 0
        self._stick = True
        self._adjusting = False
        bar = self.verticalScrollBar()
        bar.valueChanged.connect(self._scrolled)
        bar.rangeChanged.connect(self._grew)
        self._formats()
        self.reset(self._transcript)

    # --- formats -------------------------------------------------------------------------

    def _formats(self) -> None:
        palette = self.palette()
        self._muted = palette.color(QPalette.ColorRole.PlaceholderText)
        self._error_color = role_color(Role.RUN_ERROR_TEXT, palette)
        self._ok_color = role_color(Role.RUN_OK_TEXT, palette)
        self._card_bg = palette.color(QPalette.ColorRole.AlternateBase)
        self._border = palette.color(QPalette.ColorRole.Mid)
        self._plain = QTextCharFormat()
        self._plain.setForeground(palette.color(QPalette.ColorRole.Text))

    def _fmt(
        self,
        *,
        bold: bool = False,
        muted: bool = False,
        italic: bool = False,
        color: QColor | None = None,
        href: str | None = None,
        size: float | None = None,
    ) -> QTextCharFormat:
        fmt = QTextCharFormat()
        if bold:
            fmt.setFontWeight(QFont.Weight.Bold)
        if italic:
            fmt.setFontItalic(True)
        if muted:
            fmt.setForeground(self._muted)
        if color is not None:
            fmt.setForeground(color)
        if size is not None:
            fmt.setFontPointSize(size)
        if href is not None:
            fmt.setAnchor(True)
            fmt.setAnchorHref(href)
        return fmt

    # --- whole document ------------------------------------------------------------------

    def reset(self, transcript: Transcript) -> None:
        """Show ``transcript`` from scratch (a new run, or one reopened from the history)."""
        self._transcript = transcript
        self._cards.clear()
        self._dropped_blocks = 0
        self._adjusting = True  # clearing scrolls to the top: that is not the user scrolling up
        try:
            self.document().clear()
            self._formats()
            for block in transcript.blocks.values():
                if not block.evicted:
                    self._add_card(block)
                    self._redraw(self._cards[block.block_id], block)
            self._render_notices()
        finally:
            self._adjusting = False
        self.follow()

    def apply(self, changes: list[Change]) -> None:
        """Apply one paint's worth of changes (from the transcript given to :meth:`reset`)."""
        transcript = self._transcript
        lanes: set[str] = set()
        for change in changes:
            if type(change) is TextAdded:
                card = self._cards.get(change.block_id)
                if card is not None:
                    self._append(card, change.text, TICK_TEXT)
            elif type(change) is BlockAdded:
                self._add_card(transcript.blocks[change.block_id])
            elif type(change) is TextCleared:
                card = self._cards.get(change.block_id)
                if card is not None:
                    self._clear_text(card)
                    lanes.add(change.block_id)
            elif type(change) is LanesChanged:
                lanes.add(change.block_id)
            elif type(change) is ErrorAdded:
                if change.block_id is None:
                    self._render_notices()
                else:
                    lanes.add(change.block_id)
            elif type(change) is Settled:
                self.settle()
        for block_id in lanes:
            card = self._cards.get(block_id)
            if card is not None:
                self._render_lanes(card)

    # --- cards ---------------------------------------------------------------------------

    def _add_card(self, block: BlockState) -> None:
        if block.block_id in self._cards:
            return
        cursor = QTextCursor(self.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        card_fmt = QTextFrameFormat()
        card_fmt.setBorder(1)
        card_fmt.setBorderBrush(self._border)
        card_fmt.setBorderStyle(QTextFrameFormat.BorderStyle.BorderStyle_Solid)
        card_fmt.setBackground(self._card_bg)
        card_fmt.setPadding(8)
        card_fmt.setTopMargin(4)
        card_fmt.setBottomMargin(4)
        frame = cursor.insertFrame(card_fmt)
        cursor.insertText(" ", self._fmt(bold=True))  # the header line, rewritten below
        gap = QTextBlockFormat()
        gap.setTopMargin(6)
        cursor.insertBlock(gap, self._plain)  # the text's first paragraph (empty until text arrives)
        self._shrink_gap_after(frame)
        card = _Card(block.index, block.block_id, frame)
        self._cards[block.block_id] = card
        self._render_lanes(card)
        self._limit_blocks()

    def _shrink_gap_after(self, frame: QTextFrame) -> None:
        """Qt keeps an empty paragraph after every frame: make it tiny, so cards sit close."""
        after = QTextCursor(self.document())
        after.setPosition(frame.lastPosition() + 1)
        tiny = QTextCharFormat()
        tiny.setFontPointSize(2)
        after.setBlockCharFormat(tiny)
        after.setCharFormat(tiny)

    def _limit_blocks(self) -> None:
        while len(self._cards) > self._max_blocks:
            oldest = next(iter(self._cards))
            card = self._cards.pop(oldest)
            cursor = QTextCursor(self.document())
            cursor.setPosition(card.frame.firstPosition() - 1)
            cursor.setPosition(card.frame.lastPosition() + 1, QTextCursor.MoveMode.KeepAnchor)
            cursor.removeSelectedText()
            self._dropped_blocks += 1
            self._render_notices()

    def _head_cursor(self, card: _Card) -> QTextCursor:
        """A cursor at the card's start, its header and lanes removed (to write them anew)."""
        cursor = card.frame.firstCursorPosition()
        cursor.setPosition(card.text_start - 1, QTextCursor.MoveMode.KeepAnchor)
        cursor.removeSelectedText()
        return cursor

    def _render_header(self, card: _Card) -> None:
        """Header and lanes are one region: rewriting one rewrites both."""
        self._render_lanes(card)

    def _write_header(self, cursor: QTextCursor, card: _Card, block: BlockState | None) -> None:
        cursor.insertText(block.title if block else card.block_id, self._fmt(bold=True))
        if block is not None and block.name and block.name != block.block_id:
            cursor.insertText(f"  {block.block_id}", self._fmt(muted=True, size=8))
        if card.hidden and block is not None:
            what = (
                "streaming faster than it can be read: showing the newest text"
                if card.flooded
                else (f"showing the last {block.text.total - card.hidden:,} characters")
            )
            cursor.insertText(
                f"  · {what}; all {block.text.total:,} are in the saved transcript", self._fmt(muted=True, italic=True)
            )

    def _render_lanes(self, card: _Card) -> None:
        block = self._transcript.blocks.get(card.block_id)
        cursor = self._head_cursor(card)
        self._write_header(cursor, card, block)
        if block is None:
            return

        def line() -> None:
            cursor.insertBlock()

        if block.thinking is not None and block.thinking.pieces:
            lane = block.thinking
            opened = ("t", card.block_id) in self._open
            words = len(lane.text.text.split())
            state = "" if lane.ended is not None else " · thinking…"
            line()
            cursor.insertText(
                f"{'▾' if opened else '▸'} Thinking · {_seconds(lane.duration)} · {words} words{state}",
                self._fmt(muted=True, href=f"lane:t:{card.index}"),
            )
            if opened:
                text = lane.text.text
                if len(text) > THINKING_SHOWN:
                    text = "…" + text[-THINKING_SHOWN:]
                line()
                cursor.insertText(text, self._fmt(muted=True, italic=True))
        if block.tools:
            self._write_tools(cursor, card, block, line)
        if block.resets:
            line()
            times = f" ×{block.resets}" if block.resets > 1 else ""
            cursor.insertText(f"↺ Draft retracted{times} (chunk_reset)", self._fmt(muted=True, italic=True))
        for message in block.errors[-5:]:
            line()
            cursor.insertText(f"⚠ Stream error: {message}", self._fmt(color=self._error_color))

    def _write_tools(self, cursor: QTextCursor, card: _Card, block: BlockState, line: Callable[[], None]) -> None:
        opened = card.block_id not in self._closed_tools
        running = len(block.open_tools())
        total = sum(t.duration or 0.0 for t in block.tools)
        state = f" · {running} running" if running else f" · {_seconds(total)}"
        line()
        cursor.insertText(
            f"{'▾' if opened else '▸'} Tool calls · {len(block.tools)}{state}",
            self._fmt(muted=True, href=f"lane:k:{card.index}"),
        )
        if not opened:
            return
        for tool in block.tools[-50:]:
            line()
            cursor.insertText("   ⚙ ", self._fmt(muted=True))
            cursor.insertText(tool.name or "tool", self._fmt(bold=True))
            if tool.ended is None:
                cursor.insertText("  running…", self._fmt(muted=True, italic=True))
                continue
            ok = tool.status in (None, "success", "ok", "completed")
            cursor.insertText(f"  {_seconds(tool.duration)}  ", self._fmt(muted=True))
            mark = self._fmt(color=self._ok_color if ok else self._error_color)
            cursor.insertText(f"{'✓' if ok else '✗'} {tool.status or 'done'}", mark)

    def _render_notices(self) -> None:
        lines = []
        if self._dropped_blocks:
            lines.append(f"{self._dropped_blocks} earlier block(s) are only in the saved transcript")
        lines += [f"⚠ Stream error: {m}" for b, m in self._transcript.errors[-5:] if b is None]
        self.notices = "\n".join(lines)
        self.notices_changed.emit(self.notices)

    # --- text ----------------------------------------------------------------------------

    def _append(self, card: _Card, text: str, budget: int | None = None) -> None:
        """Add ``text`` at the end of the card; past ``budget`` characters only its tail."""
        if not text:
            return
        limit = min(self._view_cap, budget) if budget else self._view_cap
        if len(text) > limit:  # more arrived than is worth laying out: show only its tail
            card.hidden += card.text_len + len(text) - limit
            self._clear_text(card, keep_hidden=True)
            text = text[-limit:]
            if not card.flooded:  # the header says so once; it is redrawn when the run ends
                card.flooded = limit < self._view_cap
                self._render_lanes(card)
        shown, card.paragraph = _display(text, card.paragraph)
        cursor = card.frame.lastCursorPosition()
        cursor.insertText(shown, self._plain)
        card.text_len += len(shown)
        extra = card.text_len - self._view_cap
        if extra > self._view_cap // 4:  # trim in big steps: removing text is not free
            self._trim(card, extra)

    def _redraw(self, card: _Card, block: BlockState) -> None:
        """Show the tail of the block's text as the transcript keeps it."""
        text = block.text.text
        self._clear_text(card)
        card.flooded = False
        card.hidden = block.text.total - min(len(text), RESYNC_TEXT)
        self._append(card, text[-RESYNC_TEXT:])
        self._render_lanes(card)

    def settle(self) -> None:
        """The run ended: redraw flooded blocks, so the screen holds one contiguous tail."""
        for card in self._cards.values():
            block = self._transcript.blocks.get(card.block_id)
            if card.flooded and block is not None:
                self._redraw(card, block)

    def _trim(self, card: _Card, count: int) -> None:
        start = card.text_start
        cursor = QTextCursor(self.document())
        cursor.setPosition(start)
        cursor.setPosition(start + count, QTextCursor.MoveMode.KeepAnchor)
        cursor.movePosition(QTextCursor.MoveOperation.EndOfBlock, QTextCursor.MoveMode.KeepAnchor)
        if cursor.position() >= card.frame.lastPosition():  # never remove the last paragraph's end
            cursor.setPosition(start + count, QTextCursor.MoveMode.KeepAnchor)
        else:
            cursor.movePosition(QTextCursor.MoveOperation.NextCharacter, QTextCursor.MoveMode.KeepAnchor)
        removed = cursor.selectionEnd() - cursor.selectionStart()
        cursor.removeSelectedText()
        card.text_len -= removed
        card.hidden += removed
        self._render_lanes(card)

    def _clear_text(self, card: _Card, *, keep_hidden: bool = False) -> None:
        cursor = QTextCursor(self.document())
        cursor.setPosition(card.text_start)
        cursor.setPosition(card.frame.lastPosition(), QTextCursor.MoveMode.KeepAnchor)
        cursor.removeSelectedText()
        card.text_len = 0
        card.paragraph = 0
        if not keep_hidden:
            card.hidden = 0

    # --- lanes toggling ------------------------------------------------------------------

    def _toggle(self, url: QUrl) -> None:
        parts = url.toString().split(":")
        if len(parts) != 3 or parts[0] != "lane":
            return
        card = next((c for c in self._cards.values() if str(c.index) == parts[2]), None)
        if card is None:
            return
        if parts[1] == "t":
            key = ("t", card.block_id)
            self._open.symmetric_difference_update({key})
        else:
            self._closed_tools.symmetric_difference_update({card.block_id})
        self._render_lanes(card)

    def toggle_lane(self, block_id: str, lane: str) -> None:
        """Open or close a block's ``"thinking"`` or ``"tools"`` lane (as a click on its line does)."""
        card = self._cards.get(block_id)
        if card is not None:
            self._toggle(QUrl(f"lane:{'t' if lane == 'thinking' else 'k'}:{card.index}"))

    def lane_open(self, block_id: str, lane: str) -> bool:
        """True if the lane is expanded."""
        if lane == "thinking":
            return ("t", block_id) in self._open
        return block_id not in self._closed_tools

    def card_text(self, block_id: str) -> str:
        """The text shown for a block (display breaks included)."""
        card = self._cards.get(block_id)
        if card is None:
            return ""
        cursor = QTextCursor(self.document())
        cursor.setPosition(card.text_start)
        cursor.setPosition(card.frame.lastPosition(), QTextCursor.MoveMode.KeepAnchor)
        return cursor.selectedText().replace("\u2029", "\n")

    def lanes_text(self, block_id: str) -> str:
        """The header and lanes shown for a block."""
        card = self._cards.get(block_id)
        if card is None:
            return ""
        cursor = card.frame.firstCursorPosition()
        cursor.setPosition(card.text_start - 1, QTextCursor.MoveMode.KeepAnchor)
        return cursor.selectedText().replace("\u2029", "\n")

    @property
    def card_count(self) -> int:
        """Blocks on screen."""
        return len(self._cards)

    def changeEvent(self, event: QEvent) -> None:
        """A theme switch re-renders the cards in the new colours."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self.reset(self._transcript)

    # --- following the end ---------------------------------------------------------------

    @property
    def following(self) -> bool:
        """True while the view keeps the newest text in sight."""
        return self._stick

    def follow(self) -> None:
        """Jump to the end and follow it again."""
        self._stick = True
        bar = self.verticalScrollBar()
        self._adjusting = True
        bar.setValue(bar.maximum())
        self._adjusting = False
        self.following_changed.emit(True)

    def _scrolled(self, value: int) -> None:
        if self._adjusting:
            return
        bar = self.verticalScrollBar()
        stick = value >= bar.maximum() - 4
        if stick != self._stick:
            self._stick = stick
            self.following_changed.emit(stick)

    def _grew(self, _low: int, high: int) -> None:
        if self._stick:
            self._adjusting = True
            self.verticalScrollBar().setValue(high)
            self._adjusting = False
