"""Comparing two runs: structural JSON diff, word diff, blocks matched by name and occurrence."""

from __future__ import annotations

from simdesk.core.run_diff import block_deltas, json_diff, text_diff
from simdesk.core.trace import span_tree


def test_json_diff_names_each_changed_path() -> None:
    before = {"a": 1, "b": {"c": [1, 2, 3]}, "gone": True, "s": "x"}
    after = {"a": 1, "b": {"c": [1, 5]}, "new": None, "s": 1}
    found = {(c.path, c.op) for c in json_diff(before, after)}
    assert found == {
        ("$.b.c[1]", "changed"), ("$.b.c[2]", "removed"), ("$.gone", "removed"), ("$.new", "added"), ("$.s", "changed"),
    }  # fmt: skip
    assert json_diff({"same": [1, {"x": 2}]}, {"same": [1, {"x": 2}]}) == []
    assert json_diff(1, 1.5)[0].path == "$"
    assert len(json_diff(list(range(5000)), list(range(1, 5001)), limit=10)) == 10


def test_text_diff_marks_removed_and_added_words() -> None:
    pieces = text_diff("the run worked yesterday", "the run failed today")
    assert pieces == [("=", "the run"), ("-", "worked yesterday"), ("+", "failed today")]


def test_block_deltas_line_up_repeated_blocks_and_missing_ones() -> None:
    def span(name: str, ms: float, status: str = "success") -> dict[str, object]:
        return {"id": name + str(ms), "name": name, "blockId": name, "durationMs": ms, "status": status}

    a = span_tree([span("Fetch", 10), span("Fetch", 12), span("Agent", 100)])
    b = span_tree([span("Fetch", 11), span("Fetch", 40), span("Agent", 90, "error"), span("Notify", 3)])
    rows = {d.name: d for d in block_deltas(a, b)}
    assert list(rows) == ["Fetch", "Fetch #2", "Agent", "Notify"]
    assert rows["Fetch #2"].slower() and not rows["Fetch"].slower()
    assert rows["Agent"].status_changed and rows["Agent"].delta_ms == -10
    assert rows["Notify"].before_ms is None and rows["Notify"].after_ms == 3
