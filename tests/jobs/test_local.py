from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import models
from server.jobs.executor import QueueFull
from server.jobs.local import LocalExecutor
from server.store import Store, new_id

pytestmark = pytest.mark.slow  # worker processes import torch: seconds each


def job(tmp: Path, **config: Any) -> dict[str, Any]:
    run_id = new_id()
    base = {"dataset": "digits", "epochs": 1, "batch_size": 64, "train_limit": 256}
    return {
        "id": run_id,
        "spec": models.get("mlp").model_dump(mode="json"),
        "config": {**base, **config},
        "weights_path": str(tmp / "runs" / f"{run_id}.safetensors"),
    }


def wait_for(cond: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)


@pytest.fixture
def runner(tmp_path: Path) -> Iterator[LocalExecutor]:
    ex = LocalExecutor(Store(tmp_path / "db.sqlite3"), max_jobs=1, max_queued=2)
    ex.start()
    yield ex
    ex.stop()


def iters(ex: LocalExecutor, run_id: str) -> int:
    return sum(1 for _, e in ex.events(run_id) if e["kind"] == "iter")


def test_a_run_finishes_with_weights_and_numbered_events(
    runner: LocalExecutor, tmp_path: Path
) -> None:
    run_id = runner.submit(job(tmp_path))
    wait_for(lambda: runner.status(run_id) not in ("queued", "running"))
    row = runner.store.get_run(run_id)
    assert row.status == "done", row.message
    assert row.weights_path and Path(row.weights_path).is_file()
    seqs = [s for s, _ in runner.events(run_id)]
    assert seqs == list(range(1, len(seqs) + 1))
    kinds = [e["kind"] for _, e in runner.events(run_id)]
    assert kinds[0] == "start" and kinds[-1] == "end" and kinds.count("iter") == 4


def test_cap_queue_positions_and_cancel_within_a_batch(
    runner: LocalExecutor, tmp_path: Path
) -> None:
    long = {"epochs": 100, "batch_size": 8, "train_limit": None}
    a, b, c = (runner.submit(job(tmp_path, **long)) for _ in range(3))
    assert runner.position(a) is None and runner.position(b) == 1 and runner.position(c) == 2
    assert runner.status(b) == "queued"
    with pytest.raises(QueueFull):
        runner.submit(job(tmp_path))
    assert runner.cancel(b)
    assert runner.status(b) == "cancelled" and runner.position(c) == 1
    wait_for(lambda: iters(runner, a) >= 3)
    asked = time.monotonic()
    assert runner.cancel(a)
    wait_for(lambda: runner.status(a) == "cancelled", timeout=10)
    # The stop flag is read before every batch (tests/net/test_train.py checks that
    # exactly); here: the worker stops at once, long before its 18,000 batches.
    assert time.monotonic() - asked < 3
    assert iters(runner, a) < 5000
    wait_for(lambda: runner.status(c) == "running")
    runner.cancel(c)
    wait_for(lambda: runner.status(c) == "cancelled", timeout=20)


def test_a_killed_worker_fails_its_run(runner: LocalExecutor, tmp_path: Path) -> None:
    run_id = runner.submit(job(tmp_path, epochs=100, batch_size=8, train_limit=None))
    wait_for(lambda: iters(runner, run_id) >= 1)
    pid = runner.worker_pid(run_id)
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: runner.status(run_id) != "running", timeout=10)
    row = runner.store.get_run(run_id)
    assert row.status == "failed" and "died" in row.message


def test_unfinished_runs_fail_on_restart(tmp_path: Path) -> None:
    store = Store(tmp_path / "db.sqlite3")
    store.create_run("a" * 32, "{}", "{}")
    store.create_run("b" * 32, "{}", "{}")
    store.set_run_status("b" * 32, "running")
    assert store.fail_unfinished("server restarted") == 2
    assert {store.get_run(x * 32).status for x in "ab"} == {"failed"}
    assert store.get_run("a" * 32).message == "server restarted"
