"""What every executor promises (server/jobs/executor.py), run against LocalExecutor and
RayExecutor alike (issue 15): submit and events, cancel within a batch, pause/resume
bit-identical to an uninterrupted run, a killed worker, a server restart, a full queue."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest
from safetensors.torch import load_file

from server.config import Settings
from server.jobs import runner
from server.jobs.dispatch import SERVER_STOPPED
from server.jobs.executor import QueueFull
from server.net.weights import checkpoint
from tests.clients import open_client
from tests.jobs.conftest import MakeExecutor
from tests.jobs.contract import LONG, ended, every_event, iters, job, wait_for, worker_pid

pytestmark = pytest.mark.slow  # workers import torch: seconds each


def test_a_run_streams_numbered_events_and_ends_with_weights(
    make_executor: MakeExecutor, ex_settings: Settings, kind: str
) -> None:
    ex = make_executor()
    spec = job(ex_settings)
    run_id = ex.submit(spec)
    assert ended(ex, run_id) == "done", ex.store.get_run(run_id).message
    events = every_event(ex, run_id)
    assert [s for s, _ in events] == list(range(1, len(events) + 1))  # in order, no gaps
    kinds = [e["kind"] for _, e in events]
    assert kinds[0] == "start" and kinds[-1] == "end" and kinds.count("iter") == 4
    row = ex.store.get_run(run_id)
    assert row.weights_path == spec["weights_path"] and Path(row.weights_path).is_file()
    assert not Path(spec["checkpoint_path"]).exists()  # done: no checkpoint left
    ran_on = json.loads(row.ran_on_json or "{}")
    assert ran_on["executor"] == kind and ran_on["device"] == "cpu" and ran_on["pid"] > 0
    assert json.loads(row.config_json)["input_stats"]  # the start's scaling was stored
    cap = ex.capacity()
    assert cap["executor"] == kind and cap["cpus"] > 0 and cap["busy"] == 0
    assert cap["warm"] == 0  # ex_settings keep no warm worker
    assert cap["nodes"] and all(n["alive"] for n in cap["nodes"])


def test_queue_positions_are_fair_and_cancel_stops_within_a_batch(
    make_executor: MakeExecutor, ex_settings: Settings
) -> None:
    ex = make_executor(max_queued=3)
    a = ex.submit(job(ex_settings, owner="x", **LONG))
    b, c = (ex.submit(job(ex_settings, owner="x")) for _ in range(2))
    d = ex.submit(job(ex_settings, owner="y"))
    assert ex.queue_position(a) is None and ex.status(a) == "running"
    # Round-robin by owner: y's first run goes before x's second.
    assert [ex.queue_position(r) for r in (b, d, c)] == [1, 2, 3]
    assert ex.cancel(b) and ex.status(b) == "cancelled"
    assert [ex.queue_position(r) for r in (c, d)] == [1, 2]  # x still has the next turn
    wait_for(lambda: len(iters(ex, a)) >= 3)
    asked = time.monotonic()
    assert ex.cancel(a)
    assert ended(ex, a, timeout=15) == "cancelled"
    assert time.monotonic() - asked < 5  # read before every batch, not after 100 epochs
    assert len(iters(ex, a)) < 50_000
    for run_id in (c, d):
        ex.cancel(run_id)
        assert ended(ex, run_id) in ("cancelled", "done")
    assert not ex.cancel(a)  # it has ended


def test_pause_then_resume_equals_an_uninterrupted_run(
    make_executor: MakeExecutor, ex_settings: Settings
) -> None:
    ex = make_executor()
    config = {"dataset": "mnist", "epochs": 2, "batch_size": 16, "train_limit": 4000}
    whole = job(ex_settings, **config)
    assert ended(ex, ex.submit(whole)) == "done"
    parts = job(ex_settings, **config)
    run_id = ex.submit(parts)
    wait_for(lambda: len(iters(ex, run_id)) >= 20)
    assert ex.pause(run_id)
    assert ended(ex, run_id) == "paused", ex.store.get_run(run_id).message
    assert Path(parts["checkpoint_path"]).is_file()
    assert not ex.pause(run_id)  # nothing to pause
    ex.resume({**parts, "resume": True})
    assert ended(ex, run_id) == "done"
    assert iters(ex, run_id) == list(range(1, 501))  # none lost, none repeated
    a, b = load_file(whole["weights_path"]), load_file(parts["weights_path"])
    assert a.keys() == b.keys() and all(a[k].equal(b[k]) for k in a)  # bit-identical


def test_a_killed_worker_fails_resumable_and_the_resume_finishes(
    make_executor: MakeExecutor, ex_settings: Settings
) -> None:
    ex = make_executor()
    spec = job(ex_settings, epochs=50, batch_size=16, train_limit=480)  # 30 batches an epoch
    run_id = ex.submit(spec)
    wait_for(lambda: len(iters(ex, run_id)) >= 40 and worker_pid(ex, run_id) is not None)
    os.kill(worker_pid(ex, run_id) or 0, signal.SIGKILL)
    assert ended(ex, run_id, timeout=20) == "failed"
    meta = checkpoint.read_meta(Path(spec["checkpoint_path"]))
    step = meta["step"]
    assert step >= 30 and step % 30 == 0
    message = ex.store.get_run(run_id).message
    assert "died" in message and f"resume from iteration {step}" in message
    ex.resume({**spec, "resume": True})
    assert ended(ex, run_id) == "done"
    events = [e for _, e in every_event(ex, run_id)]
    mark = next(i for i, e in enumerate(events) if e["kind"] == "resume")
    after = [e["iter"] for e in events[mark:] if e["kind"] == "iter"]
    assert after == list(range(step + 1, 1501))


def test_a_restart_queues_again_what_the_server_left(
    make_executor: MakeExecutor, ex_settings: Settings
) -> None:
    ex = make_executor()
    a = job(ex_settings, epochs=3, batch_size=16, train_limit=None, dataset="mnist")
    b, mine = job(ex_settings), job(ex_settings)
    for spec in (a, b, mine):
        ex.submit(spec)
    assert ex.pause(mine["id"])  # the user's own pause: not undone by a restart
    wait_for(lambda: len(iters(ex, a["id"])) >= 5)
    ex.stop()  # the server goes down: a checkpoints, b was waiting
    store = ex.store
    for run_id in (a["id"], b["id"]):
        row = store.get_run(run_id)
        assert row.status == "paused" and row.message.startswith(SERVER_STOPPED), row.message
    assert Path(a["checkpoint_path"]).is_file()
    crashed = job(ex_settings)  # a run a crashed server left "running"
    store.create_run(crashed["id"], json.dumps(crashed["spec"]), json.dumps(crashed["config"]))
    store.set_run_status(crashed["id"], "running")
    after = make_executor()
    assert runner.recover(ex_settings, after.store, after) == 3
    assert after.status(a["id"]) == "running"  # the oldest first, in their original order
    assert [after.queue_position(r) for r in (b["id"], crashed["id"])] == [1, 2]
    for run_id in (a["id"], b["id"], crashed["id"]):
        assert ended(after, run_id, timeout=180) == "done", after.store.get_run(run_id).message
    assert after.status(mine["id"]) == "paused"
    resumed = [e for _, e in every_event(after, a["id"]) if e["kind"] == "resume"]
    assert len(resumed) == 1 and resumed[0]["iter"] > 0  # from its checkpoint


def test_a_full_queue_refuses_with_queue_full_and_429(
    make_executor: MakeExecutor, ex_settings: Settings, kind: str
) -> None:
    ex = make_executor(max_queued=1)
    running = ex.submit(job(ex_settings, **LONG))
    ex.submit(job(ex_settings))
    with pytest.raises(QueueFull, match="CNNPLAY_MAX_QUEUED_JOBS"):
        ex.submit(job(ex_settings))
    ex.cancel(running)
    s = ex_settings.model_copy(
        update={"data_dir": ex_settings.data_dir / "app", "max_queued_jobs": 1, "max_jobs": 1}
    )
    from models import get

    body = {"spec": get("mlp").model_dump(mode="json"), "config": LONG}
    with open_client(s) as client:
        assert client.get("/api/cluster").json()["executor"] == kind
        codes = [client.post("/api/runs", json=body).status_code for _ in range(3)]
        assert codes == [201, 201, 429]
        for run in client.get("/api/runs").json():
            client.post(f"/api/runs/{run['id']}/cancel")


def test_a_run_past_its_time_limit_pauses_with_its_checkpoint(
    make_executor: MakeExecutor, ex_settings: Settings
) -> None:
    ex = make_executor(max_run_seconds=1)
    spec = job(ex_settings, **LONG)
    run_id = ex.submit(spec)
    assert ended(ex, run_id) == "paused", ex.store.get_run(run_id).message
    message = ex.store.get_run(run_id).message
    assert "time limit of 1 s" in message and "CNNPLAY_MAX_RUN_SECONDS" in message
    assert checkpoint.read_meta(Path(spec["checkpoint_path"]))["step"] > 0  # on the server
