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
from server.net.weights import checkpoint
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
        "checkpoint_path": str(tmp / "runs" / f"{run_id}.ckpt.safetensors"),
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


def every_event(ex: LocalExecutor, run_id: str) -> list[tuple[int, dict[str, Any]]]:
    """All of a run's events (ex.events answers a page at a time)."""
    out: list[tuple[int, dict[str, Any]]] = []
    while page := ex.events(run_id, out[-1][0] if out else 0):
        out += page
    return out


def iters(ex: LocalExecutor, run_id: str) -> int:
    return sum(1 for _, e in every_event(ex, run_id) if e["kind"] == "iter")


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
    # The stop flag is read before every batch (tests/net/train/test_loop.py checks that
    # exactly); here: the worker stops at once, long before its 18,000 batches.
    assert time.monotonic() - asked < 3
    assert iters(runner, a) < 5000
    wait_for(lambda: runner.status(c) == "running")
    runner.cancel(c)
    wait_for(lambda: runner.status(c) == "cancelled", timeout=20)


def test_a_killed_worker_fails_its_run(runner: LocalExecutor, tmp_path: Path) -> None:
    # MNIST at batch 8: 1,000 iterations to the first checkpoint, so the kill lands in
    # epoch 1 even when a loaded machine delivers the first events late (digits' 180
    # iterations were sometimes all done by then).
    config = {"dataset": "mnist", "epochs": 100, "batch_size": 8, "train_limit": None}
    run_id = runner.submit(job(tmp_path, **config))
    wait_for(lambda: iters(runner, run_id) >= 1)
    pid = runner.worker_pid(run_id)
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: runner.status(run_id) != "running", timeout=10)
    row = runner.store.get_run(run_id)
    assert row.status == "failed" and "died" in row.message
    assert "resume" not in row.message  # killed in epoch 1: no checkpoint yet


def points(ex: LocalExecutor, run_id: str) -> list[tuple[int, float]]:
    return [(e["iter"], e["loss"]) for _, e in every_event(ex, run_id) if e["kind"] == "iter"]


def test_pause_frees_the_slot_and_resume_carries_on(runner: LocalExecutor, tmp_path: Path) -> None:
    # 480 / 16 = 30 batches an epoch, 600 in all: long enough to pause in the middle.
    spec = job(tmp_path, epochs=20, batch_size=16, train_limit=480)
    a = runner.submit(spec)
    b = runner.submit(job(tmp_path))
    wait_for(lambda: iters(runner, a) >= 5)
    assert runner.status(b) == "queued"
    assert runner.pause(a)
    wait_for(lambda: runner.status(a) == "paused", timeout=10)
    assert Path(spec["checkpoint_path"]).is_file()
    row = runner.store.get_run(a)
    assert "paused at iteration" in row.message and row.finished_at is None
    wait_for(lambda: runner.status(b) == "done")  # a's slot went to b
    assert not runner.pause(a)  # nothing to pause
    before = runner.store.last_seq(a)
    runner.resume({**spec, "resume": True})
    wait_for(lambda: runner.status(a) == "done")
    seqs = [s for s, _ in every_event(runner, a)]
    assert seqs == list(range(1, len(seqs) + 1))  # the numbering went on
    kinds = [e["kind"] for _, e in every_event(runner, a)]
    assert kinds[before] == "resume" and kinds.count("start") == 1
    # None lost, none repeated (tests/net/weights/test_checkpoint.py: and the same numbers).
    assert [i for i, _ in points(runner, a)] == list(range(1, 601))
    assert not Path(spec["checkpoint_path"]).exists()  # done: the checkpoint is gone


def test_a_killed_worker_resumes_from_its_epoch_checkpoint(
    runner: LocalExecutor, tmp_path: Path
) -> None:
    spec = job(tmp_path, epochs=50, batch_size=16, train_limit=480)  # 30 batches an epoch
    run_id = runner.submit(spec)
    wait_for(lambda: iters(runner, run_id) >= 40)  # into epoch 2 at least
    pid = runner.worker_pid(run_id)
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: runner.status(run_id) == "failed", timeout=10)
    meta = checkpoint.read_meta(Path(spec["checkpoint_path"]))
    step, epoch = meta["step"], meta["epoch"]
    assert step >= 30 and step % 30 == 0 and meta["offset"] == 0 and epoch == step // 30 + 1
    assert f"resume from iteration {step} (epoch {epoch})" in runner.store.get_run(run_id).message
    runner.resume({**spec, "resume": True})
    wait_for(lambda: runner.status(run_id) == "done")
    events = [e for _, e in every_event(runner, run_id)]
    mark = {"kind": "resume", "iter": step, "epoch": epoch}
    # After the resume event the points go on from the checkpoint: the chart rewinds there.
    after = events[events.index(mark) :]
    assert [e["iter"] for e in after if e["kind"] == "iter"] == list(range(step + 1, 1501))


def test_queued_runs_pause_at_once_and_stopping_pauses_running_ones(tmp_path: Path) -> None:
    ex = LocalExecutor(Store(tmp_path / "db.sqlite3"), max_jobs=1, max_queued=2)
    ex.start()
    long = job(tmp_path, epochs=100, batch_size=8, train_limit=None)
    a, b = ex.submit(long), ex.submit(job(tmp_path))
    assert ex.pause(b) and ex.status(b) == "paused"
    wait_for(lambda: iters(ex, a) >= 2)
    ex.stop()  # the server goes down: a checkpoints and pauses
    assert ex.status(a) == "paused"
    assert Path(long["checkpoint_path"]).is_file()


def test_unfinished_runs_fail_on_restart(tmp_path: Path) -> None:
    store = Store(tmp_path / "db.sqlite3")
    store.create_run("a" * 32, "{}", "{}")
    store.create_run("b" * 32, "{}", "{}")
    store.set_run_status("b" * 32, "running")
    assert store.fail_unfinished("server restarted") == 2
    assert {store.get_run(x * 32).status for x in "ab"} == {"failed"}
    assert store.get_run("a" * 32).message == "server restarted"


def test_a_run_past_its_time_limit_pauses_with_its_checkpoint(tmp_path: Path) -> None:
    ex = LocalExecutor(Store(tmp_path / "db.sqlite3"), max_jobs=1, max_queued=2, max_run_seconds=1)
    ex.start()
    try:
        spec = job(tmp_path, epochs=100, batch_size=8, train_limit=None)
        run_id = ex.submit(spec)
        wait_for(lambda: ex.status(run_id) not in ("queued", "running"))
        row = ex.store.get_run(run_id)
        assert row.status == "paused", row.message
        assert "paused at iteration" in row.message
        assert "time limit of 1 s" in row.message and "CNNPLAY_MAX_RUN_SECONDS" in row.message
        assert Path(spec["checkpoint_path"]).is_file()
        step = checkpoint.read_meta(Path(spec["checkpoint_path"]))["step"]
        assert step < 18_000  # long before the end of 100 epochs
        ex.resume({**spec, "resume": True})  # it goes on, and gets the limit again
        resumed = {"kind": "resume", "iter": step, "epoch": step // 180 + 1}
        wait_for(lambda: resumed in [e for _, e in every_event(ex, run_id)])
        wait_for(lambda: ex.status(run_id) == "paused")
        assert "time limit of 1 s" in ex.store.get_run(run_id).message
    finally:
        ex.stop()
