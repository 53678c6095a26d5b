"""The process the kill -9 store test kills: writes records to one store in a loop until SIGKILL.

    python -m tests.app.kill9_child runs|usage PATH FIRST

Record numbers start at ``FIRST``. After each record is committed (``RunHistory.flush`` returned,
``UsageHistory.record`` returned) it prints ``committed N``, then goes straight on to the next,
so the kill lands while a later record is being written.
"""

from __future__ import annotations

import sys
from itertools import count
from pathlib import Path

from simdesk.core.run_history import RunHistory, RunStart
from simdesk.core.transcript import Outcome
from simdesk.core.usage_history import Sample, UsageHistory

FRAMES = 20  # per run, in two groups: a run is several writes, so a kill can land between them


def frame(n: int, i: int) -> str:
    return f'{{"event":"chunk","n":{n},"i":{i},"pad":"{"x" * 200}"}}'


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def write_runs(path: Path, first: int) -> None:
    history = RunHistory(path)
    for n in count(first):
        key = f"run-{n}"
        history.begin(RunStart(key, "p", "wf", "Echo", "stream", {"n": n}, started_at=float(n + 1)))
        half = FRAMES // 2
        history.add_frames(key, [(0.1, [frame(n, i) for i in range(half)], half)])
        history.add_frames(key, [(0.2, [frame(n, i) for i in range(half, FRAMES)], FRAMES - half)])
        history.finish(key, Outcome("completed", output={"n": n}), {"chunks": FRAMES})
        if not history.flush():
            raise SystemExit("the history did not commit in time")
        say(f"committed {n}")


def write_usage(path: Path, first: int) -> None:
    history = UsageHistory(path, keep_days=0)
    for n in count(first):
        history.record([Sample("p", float(n), "spend", float(n), 100.0), Sample("p", float(n), "v2 execute", 1.0)])
        history.set_crossed("p", [("spend", float(n))])
        say(f"committed {n}")


if __name__ == "__main__":
    kind, where, start = sys.argv[1:4]
    (write_runs if kind == "runs" else write_usage)(Path(where), int(start))
