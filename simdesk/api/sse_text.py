"""Splitting an event stream's text into the ``data`` payloads of its events (WHATWG SSE parsing).

httpx decodes the bytes to text incrementally (UTF-8 code points split across reads are fine);
:class:`EventSplitter` turns that text, cut anywhere, into each complete event's ``data``. It is
called once per network read and returns a list, so a read that carries a thousand frames costs
one call, not a thousand trips through nested async generators (what ``httpx_sse.aiter_sse``
costs per event, twice per frame for its lines).

The rules kept (https://html.spec.whatwg.org/multipage/server-sent-events.html): lines end with
CRLF, LF or CR; a blank line ends an event; ``:`` starts a comment; a field's value loses one
leading space; several ``data`` lines join with ``\\n``; an event with no ``data`` line is not
dispatched; an incomplete event at the end of the stream is dropped. Only ``data`` matters to
Sim's stream (its frames carry their kind inside the JSON), so ``event``, ``id`` and ``retry``
are read past. The common frame, one ``data: `` line, takes a fast path.

A server that never ends a line (or an event) cannot make the splitter hold more than
``max_event`` characters: the text of an event still coming is kept as a list of pieces, joined
once when the event ends (a line hundreds of megabytes long costs linear time), and the piece that
takes it past the cap raises :class:`~simdesk.api.errors.ProtocolError` at once.
"""

from __future__ import annotations

from simdesk.api.errors import ProtocolError

_PREFIX = "data: "
MAX_EVENT_CHARS = 16 * 1024 * 1024  # far above any frame Sim sends (its request cap is 10 MiB)


class EventSplitter:
    """Feed text pieces with :meth:`feed`, then call :meth:`end` once; both return payloads."""

    def __init__(self, max_event: int = MAX_EVENT_CHARS) -> None:
        self.max_event = max_event
        self._tail: list[str] = []  # the text after the last blank line, in pieces: an event still coming
        self._tail_size = 0
        self._cr = False  # the last piece ended in CR, which may be half of a CRLF
        self._started = False

    def feed(self, text: str) -> list[str]:
        """The ``data`` of every event that ``text`` completes, in order."""
        if not self._started and text:
            self._started = True
            if text[0] == "\ufeff":  # a byte-order mark is not part of the first line
                text = text[1:]
        if "\r" in text or self._cr:
            if self._cr:
                text = "\r" + text
            self._cr = text.endswith("\r")
            if self._cr:
                text = text[:-1]
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        tail = self._tail
        if tail and "\n\n" not in text and not (text[:1] == "\n" and tail[-1][-1:] == "\n"):
            self._grow(text)  # the event still coming goes on: nothing to split, nothing joined
            return []
        if tail:
            tail.append(text)
            text = "".join(tail)
        blocks = text.split("\n\n")
        last = blocks.pop()
        self._tail, self._tail_size = [], 0
        if last:
            self._grow(last)
        out: list[str] = []
        append = out.append
        for block in blocks:
            if block.startswith(_PREFIX) and "\n" not in block:
                append(block[6:])
            elif block:
                data = _data_of(block)
                if data is not None:
                    append(data)
        return out

    def _grow(self, text: str) -> None:
        if not text:
            return  # an empty piece would hide a tail's last newline from the next piece's
        self._tail.append(text)
        self._tail_size += len(text)
        if self._tail_size > self.max_event:
            self._tail, self._tail_size = [], 0
            raise ProtocolError(
                f"The server sent an event-stream line or event longer than {self.max_event:,} characters"
            )

    def end(self) -> list[str]:
        """The stream ended: a pending CR still ends a line (it may complete the last event)."""
        if not self._cr:
            return []
        self._cr = False
        return self.feed("\n")


def _data_of(block: str) -> str | None:
    """The ``data`` of one event's lines (``None`` when it has no ``data`` line)."""
    data: list[str] | None = None
    for line in block.split("\n"):
        if not line or line[0] == ":":
            continue  # a leading blank line (a third newline) or a comment
        name, _colon, value = line.partition(":")
        if name != "data":
            continue
        if value[:1] == " ":
            value = value[1:]
        if data is None:
            data = [value]
        else:
            data.append(value)
    return None if data is None else "\n".join(data)
