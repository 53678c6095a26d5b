"""`simdesk sandbox` runs as a real process and honours its flags."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import httpx
import pytest

from simdesk.sandbox import demo
from simdesk.sandbox.cli import build_parser


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("v2", [True, False])
def test_cli_serves_both_surfaces_and_the_gate(v2: bool) -> None:
    port = _port()
    args = [sys.executable, "-m", "simdesk", "sandbox", "--port", str(port), "--api-key", "sk-sim-test"]
    proc = subprocess.Popen([*args, "--v2" if v2 else "--no-v2"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        line = proc.stdout.readline().decode() if proc.stdout else ""
        assert f"http://127.0.0.1:{port}" in line
        with httpx.Client(base_url=base, headers={"X-API-Key": "sk-sim-test"}, timeout=10) as c:
            # the banner is printed just before uvicorn binds: give it a moment by retrying connects
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                try:
                    c.get("/api/health")
                    break
                except httpx.ConnectError:
                    assert proc.poll() is None, "the sandbox process exited"
            r = c.post(f"/api/workflows/{demo.ECHO_ID}/execute", json={"message": "hi"})
            assert r.json()["output"] == {"message": "hi"}
            gated = c.get("/api/v2/workspaces")
            if v2:
                assert gated.status_code == 200
            else:
                assert gated.status_code == 404
                assert gated.json() == {"error": {"code": "NOT_FOUND", "message": "Not found"}}
            assert c.get("/api/v2/workspaces", headers={"X-API-Key": "bad"}).status_code == 401
    finally:
        proc.terminate()
        proc.wait(10)
        if proc.stdout:
            proc.stdout.close()


def test_self_hosted_and_no_billing_are_separate_flags() -> None:
    """--self-hosted answers as Sim with billing off (tests/fixtures/sim-0.8.9/usage-limits.body);
    --no-billing keeps lifting every limit for load tests."""
    hosted = build_parser().parse_args(["--self-hosted"])
    assert (hosted.self_hosted, hosted.billing) == (True, True)
    unlimited = build_parser().parse_args(["--no-billing"])
    assert (unlimited.self_hosted, unlimited.billing) == (False, False)


def test_no_redis_flag() -> None:
    assert build_parser().parse_args([]).redis is True
    assert build_parser().parse_args(["--no-redis"]).redis is False
