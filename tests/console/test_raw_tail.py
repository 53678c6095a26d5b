"""The raw-frames inspector's tail: arrival times per group, the newest frames only."""

from __future__ import annotations

from simdesk.services.raw_tail import RawTail


def test_payloads_take_the_time_of_the_group_they_arrived_in() -> None:
    tail = RawTail(keep=100)
    tail.incoming.extend(["skipped", "a1", "a2"])
    cut = tail.mark()
    tail.incoming.extend(["b1", "[DONE]"])
    assert tail.take([(0, 1.0), (cut, 2.5)], now=9.0) == 5
    assert tail.frames(10) == [(1.0, "skipped"), (1.0, "a1"), (1.0, "a2"), (2.5, "b1"), (2.5, "[DONE]")]
    assert tail.incoming == []  # emptied in place: the stream's on_raw keeps appending to it
    tail.incoming.append("late")
    assert tail.take([], now=9.0) == 1 and tail.frames(1) == [(9.0, "late")]
    assert tail.take([(0, 10.0)], now=11.0) == 0 and len(tail) == 6


def test_only_the_newest_frames_stay() -> None:
    tail = RawTail(keep=4)
    for number in range(5):
        tail.incoming.extend([f"{number}a", f"{number}b"])
        tail.take([(0, float(number))], now=0.0)
    assert len(tail) <= 5
    assert [p for _at, p in tail.frames(4)] == ["3a", "3b", "4a", "4b"]
    tail.extend([(7.0, "reopened")])
    assert tail.frames(2) == [(4.0, "4b"), (7.0, "reopened")]
    tail.clear()
    assert len(tail) == 0 and tail.frames(10) == []
