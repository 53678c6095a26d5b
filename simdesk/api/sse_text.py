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
"""

from __future__ import annotations

_PREFIX = "data: "


class EventSplitter:
    """Feed text pieces with :meth:`feed`, then call :meth:`end` once; both return payloads."""

    def __init__(self) -> None:
        self._tail = ""  # the text after the last blank line: an event still coming
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
        blocks = (self._tail + text).split("\n\n") if self._tail else text.split("\n\n")
        self._tail = blocks.pop()
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
