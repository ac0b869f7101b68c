"""What is Ray's own in RayExecutor (the shared promises are test_executor_contract.py):
nothing in a job points at the server's files, a GPU for big networks, datasets shipped
through the object store, actors die with their server, and a run through the API."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import models
from server.config import Settings
from server.jobs import ray_ship
from server.jobs.job import make_job
from server.net.data import archive, uploaded
from server.store import Store, new_id
from tests.clients import open_client
from tests.jobs.conftest import start_local_ray
from tests.jobs.contract import ended, iters, wait_for
from tests.jobs.procs import ENV, PYTHON, wait_gone


def strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in strings(v)]
    return []


def test_the_job_an_actor_gets_names_no_server_file(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    spec = models.get("lenet5").model_dump(mode="json")
    job = make_job(
        new_id(), spec, {"dataset": "upload:0123456789abcdef"}, settings, True, "/w", "u"
    )
    assert any(str(tmp_path) in s for s in strings(job))  # the server's job does
    remote = ray_ship.remote_job(job)
    assert not any(str(tmp_path) in s or s == "/w" for s in strings(remote))
    assert remote["spec"] == spec and remote["id"] == job["id"]


def test_a_gpu_only_for_a_big_network_when_one_is_free() -> None:
    assert ray_ship.resources(5_000_000, 1.0, 1_000_000) == ({"num_cpus": 1, "num_gpus": 1}, "cuda")
    assert ray_ship.resources(60_000, 1.0, 1_000_000)[1] == "cpu"  # LeNet: the CPU is faster
    assert ray_ship.resources(5_000_000, 0.5, 1_000_000)[1] == "cpu"  # no whole GPU free
    assert ray_ship.resources(5_000_000, 0.0, 1_000_000) == ({"num_cpus": 1, "num_gpus": 0}, "cpu")
    assert ray_ship.param_count(models.get("lenet5").model_dump(mode="json")) == 61_706


def upload(data_dir: Path) -> str:
    rng = np.random.default_rng(0)
    x = rng.integers(0, 255, (100, 1, 8, 8), dtype=np.uint8)
    y = np.repeat(np.arange(10), 10)  # ten classes, as the mlp's head has
    decoded = archive.Decoded(x, y, [f"c{i}" for i in range(10)], [])
    return str(uploaded.save(data_dir, decoded, "tiny", 0.25, seed=0)["name"])


pytestmark = pytest.mark.slow


@pytest.fixture
def ray(ray_session: Any) -> Any:
    start_local_ray()
    return ray_session


def test_an_actor_trains_on_an_upload_without_the_server_data_dir(ray: Any, tmp_path: Path) -> None:
    from server.jobs.ray_actor import JobActor
    from server.jobs.ray_executor import RayExecutor

    server = tmp_path / "server"
    name = upload(server)
    settings = Settings(data_dir=server)
    spec = models.get("mlp").model_dump(mode="json")
    job = make_job(new_id(), spec, {"dataset": name, "epochs": 1}, settings, False, None, "u")
    shipped = RayExecutor(Store(tmp_path / "db.sqlite3"), 1, 1)._dataset(job)
    assert shipped is not None
    shutil.move(server / "datasets", tmp_path / "elsewhere")  # the server's copy is gone
    actor = ray.remote(max_concurrency=4)(JobActor).options(num_cpus=1).remote()
    done = actor.run.remote(ray_ship.remote_job(job), None, None, shipped)
    events: list[dict[str, Any]] = []
    while not any(e["kind"] == "end" for e in events):
        events += ray.get(actor.drain.remote(), timeout=120)["events"]
    ray.get(done, timeout=30)
    end = events[-1]
    assert end["status"] == "done", end
    start = events[0]
    assert start["kind"] == "start" and start["train_size"] + start["val_size"] == 100


def test_a_run_on_an_upload_comes_back_with_its_weights(ray: Any, tmp_path: Path) -> None:
    from server.jobs.ray_executor import RayExecutor

    name = upload(tmp_path)
    settings = Settings(data_dir=tmp_path)
    spec = models.get("mlp").model_dump(mode="json")
    job = make_job(new_id(), spec, {"dataset": name, "epochs": 2}, settings, False, None, "u")
    ex = RayExecutor(Store(settings.db_path), 1, 1)
    ex.start()
    try:
        assert ended(ex, ex.submit(job)) == "done", ex.store.get_run(job["id"]).message
        assert Path(job["weights_path"]).is_file()  # the actor's bytes, written here
        first, again = ex.capacity(), ex.capacity()
        assert first["nodes"] is again["nodes"]  # cached: a polling page asks Ray once
    finally:
        ex.stop()


OWNER = """
import sys, time, ray, models
from server.config import Settings
from server.jobs.job import make_job
from server.jobs.ray_executor import RayExecutor
from server.store import Store, new_id
ray.init(address=sys.argv[1])
s = Settings(data_dir=sys.argv[2])
ex = RayExecutor(Store(s.db_path), 1, 1)
ex.start()
config = {"dataset": "mnist", "epochs": 100, "batch_size": 8}
job = make_job(new_id(), models.get("mlp").model_dump(mode="json"), config, s, False, None, "u")
ex.submit(job)
while ex.actor_pid(job["id"]) is None:
    time.sleep(0.05)
print(ex.actor_pid(job["id"]), flush=True)
time.sleep(600)
"""


def test_an_actor_dies_with_the_server_that_owns_it(ray: Any, tmp_path: Path) -> None:
    address = ray.get_runtime_context().gcs_address
    env = {**os.environ, **ENV}  # ray.init set this cluster's auth mode in os.environ
    with subprocess.Popen(
        [PYTHON, "-c", OWNER, address, str(tmp_path)], env=env, stdout=subprocess.PIPE, text=True
    ) as owner:
        try:
            assert owner.stdout is not None
            pid = int(owner.stdout.readline())
            assert wait_gone({pid}, timeout=0.5) == {pid}  # training
            os.kill(owner.pid, signal.SIGKILL)  # the server dies without a word
            owner.wait(timeout=10)
            assert wait_gone({pid}, timeout=20) == set()  # and so does its actor
        finally:
            owner.kill()


def test_a_run_through_the_api_streams_pauses_resumes_and_finishes(
    ray: Any, tmp_path: Path
) -> None:
    settings = Settings(data_dir=tmp_path, executor="ray", warm_workers=0)
    config = {"dataset": "mnist", "epochs": 2, "batch_size": 16, "train_limit": 4000}
    body = {"spec": models.get("mlp").model_dump(mode="json"), "config": config}
    with open_client(settings) as client:
        run_id = client.post("/api/runs", json=body).json()["id"]
        store = client.app.state.store  # type: ignore[attr-defined]
        ex = client.app.state.runner  # type: ignore[attr-defined]
        wait_for(lambda: len(iters(ex, run_id)) >= 10)  # live, while it trains
        assert client.get(f"/api/runs/{run_id}").json()["status"] == "running"
        assert client.post(f"/api/runs/{run_id}/pause").status_code == 200
        assert ended(ex, run_id) == "paused"
        run = client.get(f"/api/runs/{run_id}").json()
        assert run["resumable"] and run["ran_on"]["executor"] == "ray"
        assert client.post(f"/api/runs/{run_id}/resume").status_code == 200
        assert ended(ex, run_id) == "done", store.get_run(run_id).message
        assert iters(ex, run_id) == list(range(1, 501))
        assert client.get(f"/api/runs/{run_id}").json()["has_weights"]
        cluster = client.get("/api/cluster").json()
        assert cluster["executor"] == "ray" and cluster["cpus"] >= 1
