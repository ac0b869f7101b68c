from __future__ import annotations

import os

from fastapi.testclient import TestClient

from server.config import Settings
from tests.api.test_runs import TINY, mlp, wait_done
from tests.clients import open_client


def test_local_capacity_counts_this_machine(client: TestClient) -> None:
    got = client.get("/api/cluster").json()
    assert got["executor"] == "local"
    assert got["cpus"] == os.cpu_count() and got["gpus"] == 0
    assert [n["alive"] for n in got["nodes"]] == [True]
    assert got["slots"] == 2 and got["busy"] == 0 and got["queued"] == 0
    assert got["warm"] == 0  # the test settings keep no warm worker


def test_capacity_counts_busy_and_queued(tmp_path) -> None:
    settings = Settings(data_dir=tmp_path / "data", warm_workers=0, max_jobs=1)
    with open_client(settings) as client:
        config = {**TINY, "epochs": 30, "batch_size": 8}
        first = client.post("/api/runs", json={"spec": mlp(), "config": config}).json()["id"]
        second = client.post("/api/runs", json={"spec": mlp(), "config": TINY}).json()["id"]
        got = client.get("/api/cluster").json()
        assert (got["slots"], got["busy"], got["queued"]) == (1, 1, 1)
        for run_id in (first, second):
            client.post(f"/api/runs/{run_id}/cancel")
            wait_done(client, run_id)
        got = client.get("/api/cluster").json()
        assert (got["busy"], got["queued"]) == (0, 0)


def test_cluster_needs_sign_in(settings: Settings) -> None:
    with open_client(settings, token="") as client:
        assert client.get("/api/cluster").status_code == 401
