"""The event splitter: the WHATWG rules, any cut of the text, and the same payloads as httpx-sse."""

from __future__ import annotations

import itertools

import httpx
import pytest
from httpx_sse import EventSource
from hypothesis import given, settings
from hypothesis import strategies as st

from simdesk.api.errors import ProtocolError
from simdesk.api.sse_text import EventSplitter


def split_all(pieces: list[str]) -> list[str]:
    splitter = EventSplitter()
    return [p for piece in pieces for p in splitter.feed(piece)] + splitter.end()


def httpx_sse_payloads(text: str) -> list[str]:
    response = httpx.Response(200, headers={"content-type": "text/event-stream"}, content=text.encode())
    return [sse.data for sse in EventSource(response).iter_sse()]


@pytest.mark.parametrize(
    ("text", "payloads"),
    [
        ('data: {"a":1}\n\ndata: "[DONE]"\n\n', ['{"a":1}', '"[DONE]"']),
        ("data: a\r\n\r\ndata: b\r\rdata: c\n\n", ["a", "b", "c"]),  # CRLF, CR and LF all end lines
        ("data: one\ndata: two\n\n", ["one\ntwo"]),  # data lines join with \n
        ("data:tight\n\ndata:  two spaces\n\ndata\n\n", ["tight", " two spaces", ""]),  # one space goes
        (": comment\n\nevent: ping\n\nid: 7\nretry: 10\n\n", []),  # no data line: nothing dispatched
        ("event: x\n: note\ndata: y\nid: 1\n\n\n\n\ndata: z\n\n", ["y", "z"]),  # extra blank lines
        ("\ufeffdata: bom\n\n", ["bom"]),  # a byte-order mark before the first line
        ("data: whole\n\ndata: never ended\n", ["whole"]),  # an incomplete last event is dropped
        ("data: cr at the very end\r\r", ["cr at the very end"]),  # the last CR still ends a line
        ("data: a:b: c\n\ndatum: no\n\n", ["a:b: c"]),
    ],
)
def test_the_whatwg_rules(text: str, payloads: list[str]) -> None:
    assert split_all([text]) == payloads
    assert split_all(list(text)) == payloads  # one character at a time: every CR/LF pair split


_value = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\r\n"), max_size=12)
_line = st.one_of(
    _value.map(lambda v: "data: " + v),
    _value.map(lambda v: "data:" + v),
    _value.map(lambda v: "event: " + v),
    _value.map(lambda v: ":" + v),
)
_event = st.tuples(_value.map(lambda v: "data: " + v), st.lists(_line, max_size=3)).map(
    lambda t: [t[0], *t[1]]  # at least one data line: httpx-sse would dispatch a data-less event
)


@settings(max_examples=300, deadline=None)
@given(
    events=st.lists(_event, max_size=6),
    endings=st.lists(st.sampled_from(["\n", "\r\n", "\r"]), min_size=1, max_size=8),
    extra_blank=st.lists(st.booleans(), max_size=6),
    cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=12),
)
def test_any_cut_gives_the_payloads_httpx_sse_gives(
    events: list[list[str]], endings: list[str], extra_blank: list[bool], cuts: list[int]
) -> None:
    ending = itertools.cycle(endings)
    text = ""
    for number, lines in enumerate(events):
        for line in lines:
            text += line + next(ending)
        text += next(ending)
        if number < len(extra_blank) and extra_blank[number]:
            text += next(ending)
    points = sorted({0, len(text), *(c % (len(text) + 1) for c in cuts)})
    pieces = [text[a:b] for a, b in itertools.pairwise(points) if b > a]
    assert split_all(pieces) == httpx_sse_payloads(text)


def test_a_long_event_in_many_pieces_comes_out_whole_up_to_the_cap() -> None:
    splitter = EventSplitter(max_event=1000)
    pieces = ["data: ", *["x" * 99] * 10, "\n", "\n"]  # 996 characters, the newlines in pieces of their own
    out = [p for piece in pieces for p in splitter.feed(piece)]
    assert out == ["x" * 990]


def test_one_character_past_the_cap_is_a_protocol_error_at_once() -> None:
    splitter = EventSplitter(max_event=1000)
    assert splitter.feed("data: " + "x" * 994) == []  # exactly 1000
    with pytest.raises(ProtocolError, match="longer than 1,000 characters"):
        splitter.feed("x")
