"""File inputs, the 10 MiB cap, base URLs, run ids and rate-limit header parsing."""

from __future__ import annotations

import base64
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from simdesk.api import (
    ConfigurationError,
    FileInput,
    RateLimits,
    RateLimitState,
    RequestTooLargeError,
    SimClient,
    ValidationError,
)
from simdesk.api.files import MAX_REQUEST_BYTES, encode_body, encode_files, guess_mime
from simdesk.api.ratelimit import parse_retry_after, parse_timestamp, state_from_headers
from simdesk.api.urls import attempt_run_id, normalize_base_url
from tests.api.mock_server import MockSim, data, run_data
from tests.support.api import FakeClock, run

EXECUTE = "/api/v2/workflows/wf/execute"


def _decoded(value: dict[str, str]) -> bytes:
    header, _, payload = value["data"].partition(",")
    assert header == f"data:{value['mime']};base64"
    return base64.b64decode(payload)


def test_paths_file_objects_and_file_inputs_become_inline_files_with_guessed_types(tmp_path: Path) -> None:
    pdf = tmp_path / "Q3 plan.pdf"
    pdf.write_bytes(b"%PDF-1.7 fake")
    png = io.BytesIO(b"\x89PNG fake")
    png.name = "/photos/chart.png"
    png.seek(1)
    encoded = encode_files(
        {"documents": [pdf, png, FileInput("notes.txt", "ø".encode())], "nested": {"sheet": FileInput("a.bin", b"\0")}}
    )
    docs = encoded["documents"]
    assert [d["type"] for d in docs] == ["file", "file", "file"]
    assert [(d["name"], d["mime"]) for d in docs] == [
        ("Q3 plan.pdf", "application/pdf"),
        ("chart.png", "image/png"),
        ("notes.txt", "text/plain"),
    ]
    assert _decoded(docs[0]) == b"%PDF-1.7 fake"
    assert _decoded(docs[1]) == b"PNG fake"  # read from the current position…
    assert png.tell() == 1  # …which is restored
    assert encoded["nested"]["sheet"]["mime"] == "application/octet-stream"


def test_strings_are_never_taken_for_paths() -> None:
    assert encode_files({"path": "/etc/passwd", "n": 1}) == {"path": "/etc/passwd", "n": 1}


def test_a_file_objects_content_type_wins_over_the_guess() -> None:
    upload = io.BytesIO(b"x")
    upload.name = "report"
    upload.content_type = "application/vnd.ms-excel"  # type: ignore[attr-defined]
    assert encode_files(upload)["mime"] == "application/vnd.ms-excel"


def test_mime_guessing_covers_common_types() -> None:
    assert guess_mime("a.JSON") == "application/json"
    assert guess_mime("photo.jpeg") == "image/jpeg"
    assert guess_mime("no-extension") == "application/octet-stream"


def test_an_unreadable_path_is_a_validation_error(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match=r"missing\.pdf"):
        encode_files(tmp_path / "missing.pdf")


def test_the_10_mib_cap_is_checked_before_anything_is_sent(tmp_path: Path) -> None:
    big = tmp_path / "scan.tiff"
    big.write_bytes(b"\0" * (8 * 1024 * 1024))  # 8 MiB → ~10.7 MiB of base64
    sim = MockSim().on("POST", EXECUTE, data(run_data()))

    async def main(value: object) -> None:
        async with sim.client(FakeClock()) as c:
            await c.execute("wf", value)

    with pytest.raises(RequestTooLargeError, match=r"scan\.tiff is 8\.0 MiB"):
        run(main({"documents": [big]}))
    with pytest.raises(RequestTooLargeError, match="10 MiB"):
        run(main({"text": "x" * (MAX_REQUEST_BYTES + 1)}))
    assert sim.requests == []


def test_a_file_just_under_the_cap_is_sent(tmp_path: Path) -> None:
    doc = tmp_path / "ok.txt"
    doc.write_bytes(b"a" * (7 * 1024 * 1024))
    sim = MockSim().on("POST", EXECUTE, data(run_data()))

    async def main() -> None:
        async with sim.client(FakeClock()) as c:
            await c.execute("wf", {"documents": doc})

    run(main())
    sent = json.loads(sim.requests[0].content)["input"]["documents"]
    assert sent["name"] == "ok.txt" and len(_decoded(sent)) == 7 * 1024 * 1024


@pytest.mark.parametrize("value", [["a"], "text", 3, {1: "x"}])
def test_input_must_be_a_mapping_with_string_keys(value: object) -> None:
    async def main() -> None:
        async with MockSim().client(FakeClock()) as c:
            await c.execute("wf", value)

    with pytest.raises(ValidationError, match="mapping"):
        run(main())


def test_values_json_cannot_carry_are_a_validation_error() -> None:
    with pytest.raises(ValidationError):
        encode_body({"input": {"when": object()}})
    with pytest.raises(ValidationError):
        encode_body({"input": {"x": float("nan")}})


# --- base URLs and run ids --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://www.sim.ai/", "https://www.sim.ai"),
        ("  https://WWW.sim.ai//  ", "https://www.sim.ai"),
        ("https://sim.example.com:8443/proxy/sim/", "https://sim.example.com:8443/proxy/sim"),
        ("http://localhost:3000", "http://localhost:3000"),
        ("http://127.0.0.1:3000/", "http://127.0.0.1:3000"),
        ("http://[::1]:3000", "http://[::1]:3000"),
    ],
)
def test_base_urls_are_normalised(given: str, expected: str) -> None:
    assert normalize_base_url(given) == expected


@pytest.mark.parametrize(
    "given",
    [
        "www.sim.ai",
        "ftp://sim.ai",
        "https://user:pw@sim.ai",
        "https://sim.ai/?x=1",
        "https://",
        "http://sim.example.com",
    ],
)
def test_bad_or_insecure_base_urls_are_refused(given: str) -> None:
    with pytest.raises(ConfigurationError):
        normalize_base_url(given)


def test_clear_text_http_to_a_remote_host_needs_the_explicit_flag() -> None:
    with pytest.raises(ConfigurationError, match="unencrypted"):
        SimClient("http://sim.internal:3000", "k")
    client = SimClient("http://sim.internal:3000", "k", allow_insecure_http=True)
    assert client.base_url == "http://sim.internal:3000"
    run(client.aclose())


def test_the_default_base_url_is_www_not_the_redirecting_apex() -> None:
    client = SimClient()
    assert client.base_url == "https://www.sim.ai"
    run(client.aclose())


def test_attempt_ids_are_fresh_or_derived_and_always_valid() -> None:
    assert attempt_run_id(None, 0) != attempt_run_id(None, 0)
    long = "x" * 128
    assert attempt_run_id(long, 0) == long
    assert len(attempt_run_id(long, 12)) == 128 and attempt_run_id(long, 12).endswith(".r12")


# --- rate-limit headers -----------------------------------------------------------------------


def test_rate_limit_headers_are_read_as_sim_sends_them() -> None:
    import httpx

    headers = httpx.Headers(
        {
            "x-ratelimit-limit": "60",
            "x-ratelimit-remaining": "0",
            "x-ratelimit-reset": "2026-08-21T10:01:00.000Z",
            "retry-after": "17",
        }
    )
    state = state_from_headers(headers, "v2 execute", 1.0)
    assert state == RateLimitState(
        "v2 execute", 60, 0, datetime(2026, 8, 21, 10, 1, tzinfo=UTC), observed_at=1.0, retry_after=17.0
    )
    assert state.is_limited
    assert state_from_headers(httpx.Headers({"retry-after": "5"}), "b", 0) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1787306460", datetime(2026, 8, 21, 10, 1, tzinfo=UTC)),  # epoch seconds (older docs)
        ("1787306460000", datetime(2026, 8, 21, 10, 1, tzinfo=UTC)),  # epoch ms
        ("2026-08-21T10:01:00+00:00", datetime(2026, 8, 21, 10, 1, tzinfo=UTC)),
        ("soon", None),
        ("", None),
    ],
)
def test_reset_accepts_iso_and_epoch_and_ignores_garbage(value: str, expected: datetime | None) -> None:
    assert parse_timestamp(value) == expected


def test_retry_after_accepts_seconds_and_http_dates_and_ignores_garbage() -> None:
    now = datetime(2026, 8, 21, 10, 0, tzinfo=UTC)
    assert parse_retry_after("5") == 5.0
    assert parse_retry_after("Fri, 21 Aug 2026 10:00:30 GMT", now) == 30.0
    assert parse_retry_after("-3") == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after("inf") is None


def test_rate_limits_observers_survive_a_failing_observer() -> None:
    limits = RateLimits()
    seen: list[str] = []

    def broken(_: RateLimitState) -> None:
        raise RuntimeError("observer bug")

    limits.subscribe(broken)
    limits.subscribe(lambda s: seen.append(s.bucket))
    limits.update(RateLimitState("a", 10, 9, None, 0.0))
    limits.update(RateLimitState("b", 10, 1, None, 0.0))
    assert seen == ["a", "b"]
    assert "a" in limits and len(limits) == 2
    most = limits.most_constrained()
    assert most is not None and most.bucket == "b"
