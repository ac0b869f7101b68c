from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from server.jobs import lifeline
from tests.jobs.procs import ENV, PYTHON, alive, wait_gone

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl is Linux's")


def run(code: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, "-c", code], env=ENV, capture_output=True, text=True, timeout=timeout
    )


def test_a_worker_whose_parent_is_already_gone_leaves_at_once() -> None:
    # The race the check closes: the parent died before the signal was armed, so the
    # worker's parent is not the pid it was given (here: its grandparent's).
    done = run(f"from server.jobs import lifeline; lifeline.tie_to_parent({os.getppid()})")
    assert done.returncode == lifeline.ORPHAN_EXIT, done.stderr
    fine = run("import os; from server.jobs import lifeline; lifeline.tie_to_parent(os.getppid())")
    assert fine.returncode == 0, fine.stderr


def test_the_death_signal_kills_a_child_when_its_parent_is_killed() -> None:
    child = (
        "import os, sys, time; from server.jobs import lifeline;"
        "lifeline.tie_to_parent(int(sys.argv[1])); print('armed', flush=True); time.sleep(60)"
    )
    parent = (
        "import os, subprocess, sys, time;"
        f"c = subprocess.Popen([sys.executable, '-c', {child!r}, str(os.getpid())],"
        " stdout=subprocess.PIPE, text=True);"
        "assert c.stdout.readline() == 'armed\\n';"
        "print(c.pid, flush=True); time.sleep(60)"
    )
    proc = subprocess.Popen([PYTHON, "-c", parent], env=ENV, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        pid = int(proc.stdout.readline())
        assert alive(pid)
    finally:
        proc.kill()  # kill -9: the parent runs no code of its own on the way out
        proc.communicate()
    assert wait_gone({pid}, timeout=5) == set()


def test_the_watchdog_exits_when_the_other_end_of_the_pipe_closes() -> None:
    done = run(
        "import time; from multiprocessing import Pipe; from server.jobs import lifeline;"
        "ours, theirs = Pipe(); lifeline.watch_pipe(ours); theirs.close(); time.sleep(20)",
        timeout=10,
    )
    assert done.returncode == lifeline.ORPHAN_EXIT


DRIVER = """
import json, sys, time
from pathlib import Path
import models
from server.jobs.local import LocalExecutor
from server.store import Store
tmp = Path(sys.argv[1])
ex = LocalExecutor(
    Store(tmp / "db.sqlite3"), max_jobs=1, max_queued=2, warm_workers=1, cores=4
)  # refill beside the job whatever this machine has (pool.py)
ex.start()
run_id = "a" * 32
ex.submit({"id": run_id, "spec": models.get("mlp").model_dump(mode="json"),
           "config": {"dataset": "digits", "epochs": 100, "batch_size": 8},
           "weights_path": str(tmp / "w.safetensors"),
           "checkpoint_path": str(tmp / "c.ckpt.safetensors")})
deadline = time.monotonic() + 90
while not (ex.store.last_seq(run_id) > 3 and ex.idle_worker_pids()):
    assert time.monotonic() < deadline, ex.store.get_run(run_id).message
    time.sleep(0.05)
print(json.dumps({"worker": ex.worker_pid(run_id), "idle": ex.idle_worker_pids()}), flush=True)
time.sleep(120)
"""


@pytest.mark.slow
def test_kill_9_of_the_server_leaves_no_worker(tmp_path: Path) -> None:
    """A process that owns a LocalExecutor (as the server does) with one worker training
    and one warm worker idle is killed with SIGKILL: neither outlives it."""
    server = subprocess.Popen(
        [PYTHON, "-c", DRIVER, str(tmp_path)], env=ENV, stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        pids = json.loads(server.stdout.readline())
        workers = {pids["worker"], *pids["idle"]}
        assert len(workers) == 2 and all(alive(p) for p in workers)
        os.kill(server.pid, signal.SIGKILL)
        server.wait(timeout=10)
        assert wait_gone(workers, timeout=5) == set(), "a worker outlived its server"
    finally:
        server.kill()
        server.communicate()
