from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

import models
from server.jobs import worker
from server.jobs.run_lock import RunLock, RunLocked, lock_path


def test_a_second_holder_is_refused_with_the_first_ones_pid(tmp_path: Path) -> None:
    ckpt = tmp_path / "run.ckpt.safetensors"
    first = RunLock(ckpt).acquire()
    assert lock_path(ckpt).read_text() == str(os.getpid())
    with pytest.raises(RunLocked, match=f"another worker \\(pid {os.getpid()}\\)"):
        RunLock(ckpt).acquire()
    first.release()
    with RunLock(ckpt):  # free again once released
        pass


def test_the_lock_is_held_across_processes_and_dropped_when_the_holder_dies(
    tmp_path: Path,
) -> None:
    ckpt = tmp_path / "run.ckpt.safetensors"
    code = (
        "import sys, time; from pathlib import Path; from server.jobs.run_lock import RunLock;"
        f"RunLock(Path({str(ckpt)!r})).acquire(); print('held', flush=True); time.sleep(60)"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, env=env)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"held\n"
        with pytest.raises(RunLocked, match=f"pid {holder.pid}"):
            RunLock(ckpt).acquire()
    finally:
        holder.kill()  # kill -9: no cleanup ran, the kernel drops the lock
        holder.communicate()
    RunLock(ckpt).acquire().release()


def test_removing_the_file_on_release_cannot_let_two_hold_it(tmp_path: Path) -> None:
    ckpt = tmp_path / "run.ckpt.safetensors"
    a = RunLock(ckpt).acquire()
    a.release(remove=True)
    assert not lock_path(ckpt).exists()
    b = RunLock(ckpt).acquire()
    with pytest.raises(RunLocked):
        RunLock(ckpt).acquire()
    b.release()


def job(tmp_path: Path, **config: Any) -> dict[str, Any]:
    base = {"dataset": "digits", "epochs": 1, "batch_size": 64, "train_limit": 128}
    return {
        "id": "r" * 32,
        "spec": models.get("mlp").model_dump(mode="json"),
        "config": {**base, **config},
        "weights_path": str(tmp_path / "w.safetensors"),
        "checkpoint_path": str(tmp_path / "r.ckpt.safetensors"),
        "resume": True,
    }


def test_a_second_worker_for_a_run_fails_fast_and_leaves_the_checkpoint(tmp_path: Path) -> None:
    spec = job(tmp_path)
    ckpt = Path(spec["checkpoint_path"])
    ckpt.write_bytes(b"the first worker's checkpoint")
    before = ckpt.stat()
    held = RunLock(ckpt).acquire()  # the first worker
    sent: list[dict[str, Any]] = []
    worker.run_job(spec, sent.extend, SimpleNamespace(value=0))
    assert [e["kind"] for e in sent] == ["end"]  # nothing trained: no start, no iter
    assert sent[0]["status"] == "failed"
    assert "already running this run" in sent[0]["message"]
    assert f"pid {os.getpid()}" in sent[0]["message"]
    after = ckpt.stat()
    assert ckpt.read_bytes() == b"the first worker's checkpoint"
    assert (after.st_mtime_ns, after.st_ino) == (before.st_mtime_ns, before.st_ino)
    assert lock_path(ckpt).exists()  # and the first one's lock is still there
    held.release()


def test_a_worker_holds_the_lock_while_it_trains_and_removes_it_when_done(
    tmp_path: Path,
) -> None:
    spec = job(tmp_path)
    ckpt = Path(spec["checkpoint_path"])
    seen: list[bool] = []

    def send(batch: list[dict[str, Any]]) -> None:
        if any(e["kind"] == "iter" for e in batch) and not seen:
            try:
                RunLock(ckpt).acquire().release()
                seen.append(False)
            except RunLocked:
                seen.append(True)
        sent.extend(batch)

    sent: list[dict[str, Any]] = []
    worker.run_job(spec, send, SimpleNamespace(value=0))
    assert sent[-1]["status"] == "done", sent[-1]
    assert seen == [True]
    assert not lock_path(ckpt).exists() and not ckpt.exists()
