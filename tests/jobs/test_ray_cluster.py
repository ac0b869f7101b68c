"""RayExecutor on two (simulated) nodes of one CPU each (ray.cluster_utils.Cluster): two
runs train on the two nodes, and a killed actor fails only its own run."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from server.config import Settings
from server.store import Store
from tests.jobs.contract import LONG, ended, iters, job, wait_for

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster(ray_session: Any) -> Iterator[Any]:
    from ray.cluster_utils import Cluster

    ray = ray_session
    ray.shutdown()  # the session's one-node instance; conftest starts it again when needed
    nodes = Cluster(
        initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False}
    )
    nodes.add_node(num_cpus=1)
    nodes.wait_for_nodes()
    ray.init(address=nodes.address, log_to_driver=False)
    yield nodes
    ray.shutdown()
    nodes.shutdown()


def test_two_runs_train_on_two_nodes_and_a_killed_actor_fails_only_its_run(
    cluster: Any, tmp_path: Path
) -> None:
    from server.jobs.ray_executor import RayExecutor

    settings = Settings(data_dir=tmp_path)
    ex = RayExecutor(Store(settings.db_path), max_jobs=2, max_queued=2)
    ex.start()
    try:
        cap = ex.capacity()
        assert len(cap["nodes"]) == 2 and cap["cpus"] == 2 and cap["slots"] == 2
        a, b = (ex.submit(job(settings, **LONG)) for _ in range(2))
        wait_for(lambda: all(ex.actor_pid(r) and iters(ex, r) for r in (a, b)), timeout=120)
        placed = [json.loads(ex.store.get_run(r).ran_on_json or "{}") for r in (a, b)]
        assert placed[0]["node"] != placed[1]["node"]  # one CPU each: one run per node
        assert {p["node"] for p in placed} == {n["id"] for n in cap["nodes"]}
        os.kill(ex.actor_pid(a) or 0, signal.SIGKILL)
        assert ended(ex, a, timeout=30) == "failed"
        assert "actor died" in ex.store.get_run(a).message
        assert ex.status(b) == "running"
        seen = len(iters(ex, b))
        wait_for(lambda: len(iters(ex, b)) > seen + 5, timeout=30)  # b trains on
        ex.cancel(b)
        assert ended(ex, b) == "cancelled"
    finally:
        ex.stop()
