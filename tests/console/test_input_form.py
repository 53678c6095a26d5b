"""Input checking: each type, clear reasons per field, nothing invalid gets through."""

from __future__ import annotations

from pathlib import Path

import pytest

from simdesk.core.catalogue import WorkflowInput
from simdesk.core.input_form import (
    JSON_FIELD,
    LocalFile,
    form_texts,
    from_jsonable,
    json_text,
    parse_form,
    parse_json_input,
    to_jsonable,
    to_wire,
)

INPUTS = (
    WorkflowInput("topic", "string"),
    WorkflowInput("words", "number"),
    WorkflowInput("loud", "boolean"),
    WorkflowInput("meta", "object"),
    WorkflowInput("tags", "array"),
    WorkflowInput("documents", "file[]"),
    WorkflowInput("mystery", "vector"),
)


def test_valid_form_values_become_typed_input(tmp_path: Path) -> None:
    doc = tmp_path / "a.txt"
    doc.write_text("hello")
    parsed = parse_form(
        INPUTS,
        {
            "topic": "fog", "words": " 12 ", "loud": True, "meta": '{"a": 1}', "tags": "[1, 2]",
            "documents": [str(doc)], "mystery": "[0.5]",
        },
    )
    assert parsed.ok, parsed.errors
    assert parsed.values["words"] == 12
    assert parsed.values["meta"] == {"a": 1}
    assert parsed.values["tags"] == [1, 2]
    assert parsed.values["mystery"] == [0.5]
    assert parsed.values["documents"] == [LocalFile(str(doc), "a.txt", 5)]
    assert to_wire(parsed.values)["documents"] == [doc]


def test_empty_fields_are_left_out() -> None:
    parsed = parse_form(INPUTS, {"topic": "", "words": "  ", "meta": ""})
    assert parsed.ok and parsed.values == {}


@pytest.mark.parametrize(
    ("field", "raw", "reason"),
    [
        ("words", "twelve", "is not a number"),
        ("words", "nan", "finite"),
        ("meta", "{'a': 1}", "Invalid JSON at line 1, column 2"),
        ("meta", "[1]", "Must be a JSON object"),
        ("tags", '{"a": 1}', "Must be a JSON array"),
        ("loud", "yes", "true or false"),
        ("documents", ["/nonexistent/file.pdf"], "Cannot use file.pdf"),
    ],
)
def test_each_bad_field_is_named_with_its_reason(field: str, raw: object, reason: str) -> None:
    parsed = parse_form(INPUTS, {field: raw, "topic": "ok"})
    assert not parsed.ok
    assert set(parsed.errors) == {field}
    assert reason in parsed.errors[field]
    assert field not in parsed.values
    assert field in parsed.summary()


def test_raw_json_syntax_error_has_line_and_column() -> None:
    parsed = parse_json_input('{\n  "topic": "fog",\n  "words": 3,,\n}', INPUTS)
    assert set(parsed.errors) == {JSON_FIELD}
    assert "line 3, column" in parsed.errors[JSON_FIELD]


def test_raw_json_must_be_an_object() -> None:
    assert "must be a JSON object" in parse_json_input("[1, 2]", INPUTS).errors[JSON_FIELD]


def test_raw_json_checks_declared_types_and_keeps_undeclared_fields() -> None:
    parsed = parse_json_input('{"topic": 5, "words": true, "loud": false, "extra": {"x": 1}}', INPUTS)
    assert parsed.errors == {"topic": "Must be a string, not a number", "words": "Must be a number, not a boolean"}
    assert parsed.values == {"loud": False, "extra": {"x": 1}}


def test_raw_json_files_accept_sim_file_objects_and_local_markers(tmp_path: Path) -> None:
    doc = tmp_path / "r.pdf"
    doc.write_bytes(b"%PDF")
    text = json_text({"documents": [LocalFile.at(doc)]})
    parsed = parse_json_input(text, INPUTS)
    assert parsed.ok and parsed.values["documents"] == [LocalFile(str(doc), "r.pdf", 4)]
    url = '{"documents": [{"type": "url", "data": "https://x/y.pdf", "name": "y.pdf"}]}'
    assert parse_json_input(url, INPUTS).ok
    assert "Each file must be" in parse_json_input('{"documents": ["x"]}', INPUTS).errors["documents"]


def test_too_many_file_bytes_are_refused_before_sending(tmp_path: Path) -> None:
    big = tmp_path / "big.bin"
    with big.open("wb") as fh:
        fh.truncate(8 * 1024 * 1024)
    parsed = parse_form(INPUTS, {"documents": [str(big)]})
    assert "Sim accepts about" in parsed.errors["documents"]


def test_jsonable_round_trip_and_form_texts(tmp_path: Path) -> None:
    doc = tmp_path / "a.txt"
    doc.write_text("x")
    values = {"topic": "fog", "words": 1.5, "loud": True, "meta": {"a": [1]}, "documents": [LocalFile.at(doc)]}
    stored = to_jsonable(values)
    assert stored["documents"] == [{"$file": str(doc), "name": "a.txt", "size": 1}]
    assert from_jsonable(stored) == values
    texts = form_texts(INPUTS, values)
    assert texts["words"] == "1.5" and texts["loud"] is True and texts["documents"] == [LocalFile.at(doc)]
    assert parse_form(INPUTS, texts).values == values
