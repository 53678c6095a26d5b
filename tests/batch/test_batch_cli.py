"""``simdesk batch`` from a terminal, against the sandbox over loopback: a table in, results out,
exit status by outcome, clear messages for tables that cannot be used, and resuming by id."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from openpyxl import load_workbook

from simdesk.batch_cli import main
from simdesk.core.batch_store import BatchStore, RowState
from simdesk.sandbox import demo
from simdesk.sandbox.server import RunningSandbox


@pytest.fixture(scope="module")
def server(realtime_sandbox: RunningSandbox) -> RunningSandbox:
    return realtime_sandbox


@pytest.fixture
def env(server: RunningSandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIM_API_KEY", demo.DEMO_KEY)
    monkeypatch.setenv("SIM_BASE_URL", server.base_url)


def _run(*argv: str) -> tuple[int, str, str]:
    """``simdesk batch`` in a thread of its own, as in a terminal: it runs its own event loop."""
    out, err = io.StringIO(), io.StringIO()
    with ThreadPoolExecutor(max_workers=1) as pool:
        status = pool.submit(main, list(argv), out=out, err=err).result(timeout=60)
    return status, out.getvalue(), err.getvalue()


@pytest.mark.usefixtures("env")
@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".xlsx"])
def test_a_table_runs_and_its_results_are_written(tmp_path: Path, suffix: str) -> None:
    table = tmp_path / "in.csv"
    table.write_text("message,ignored\n" + "".join(f"hello {i},x\n" for i in range(20)))
    out = tmp_path / f"results{suffix}"
    status, stdout, stderr = _run(
        demo.ECHO_ID, str(table), "--data-dir", str(tmp_path / "d"), "--out", str(out), "--quiet", "--concurrency", "5"
    )
    assert status == 0, stderr
    assert stdout.startswith("20 done, 0 failed, 0 invalid, 0 not run")
    assert "column 'ignored' fills no input" in stderr
    if suffix == ".csv":
        with out.open(newline="") as handle:
            rows = list(csv.DictReader(handle))
        assert [r["status"] for r in rows] == ["done"] * 20
        assert rows[3]["output.message"] == "hello 3"
    elif suffix == ".jsonl":
        records = [json.loads(line) for line in out.read_text().splitlines()]
        assert records[19]["output.message"] == "hello 19" and records[19]["run_id"]
    else:
        sheet = load_workbook(out, read_only=True)["Results"]
        values = list(sheet.iter_rows(values_only=True))
        assert values[0][:2] == ("row", "status") and len(values) == 21


@pytest.mark.usefixtures("env")
def test_bad_rows_are_not_sent_and_the_exit_status_says_so(tmp_path: Path) -> None:
    table = tmp_path / "in.jsonl"
    table.write_text('{"message": "fine"}\nnot json\n[1, 2]\n{"message": "also fine"}\n')
    status, stdout, _ = _run(demo.ECHO_ID, str(table), "--data-dir", str(tmp_path / "d"), "--quiet")
    assert status == 1
    assert stdout.startswith("2 done, 0 failed, 2 invalid")
    store = BatchStore(tmp_path / "d" / "data" / "batches.sqlite3")
    try:
        (batch,) = store.batches()
        bad = store.row(batch.id, 2)
        assert bad is not None and bad.state is RowState.INVALID and bad.run_id is None
        assert "not valid JSON" in (bad.error or "")
    finally:
        store.close()


@pytest.mark.usefixtures("env")
@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "has no rows"),
        ('[{"message": 1}, ', "ends before its closing ]"),
        (b"\xff\xfe message\n", "not UTF-8"),
    ],
)
def test_tables_that_cannot_be_used_get_a_clear_message(tmp_path: Path, content: str | bytes, message: str) -> None:
    table = tmp_path / ("in.json" if isinstance(content, str) and content.startswith("[") else "in.csv")
    if isinstance(content, bytes):
        table.write_bytes(content)
    else:
        table.write_text(content)
    status, _, stderr = _run(demo.ECHO_ID, str(table), "--data-dir", str(tmp_path / "d"), "--quiet")
    assert status == 2
    assert message in stderr and "Traceback" not in stderr


@pytest.mark.usefixtures("env")
def test_a_mapping_to_a_column_the_table_lacks_is_refused(tmp_path: Path) -> None:
    table = tmp_path / "in.csv"
    table.write_text("text\nhello\n")
    status, _, stderr = _run(demo.ECHO_ID, str(table), "--map", "message=body", "--data-dir", str(tmp_path), "--quiet")
    assert status == 2 and "no column 'body'" in stderr
    status, stdout, _ = _run(demo.ECHO_ID, str(table), "--map", "message=text", "--data-dir", str(tmp_path), "--quiet")
    assert status == 0 and stdout.startswith("1 done")


def test_the_real_command_runs_and_resumes_by_id(server: RunningSandbox, tmp_path: Path) -> None:
    table = tmp_path / "in.csv"
    table.write_text("message\n" + "".join(f"m{i}\n" for i in range(5)))
    environ = os.environ | {"SIM_API_KEY": demo.DEMO_KEY, "SIM_BASE_URL": server.base_url}
    data = str(tmp_path / "d")
    done = subprocess.run(
        [sys.executable, "-m", "simdesk", "batch", demo.ECHO_ID, str(table), "--data-dir", data, "--quiet"],
        capture_output=True, text=True, env=environ, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    batch_id = done.stderr.split("batch ", 2)[1].split()[0]
    again = subprocess.run(
        [sys.executable, "-m", "simdesk", "batch", "--resume", batch_id, "--data-dir", data, "--quiet"],
        capture_output=True, text=True, env=environ, timeout=60, check=False,
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith("5 done")  # nothing ran twice: the finished rows stay as they were
