"""Executors for the contract suite (test_executor_contract.py): the local one, and the Ray
one on a local Ray instance started once for the session (num_cpus=2), shared by the
tests; test_ray_cluster.py swaps it for a two-node cluster and puts it back after."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from server.config import Settings
from server.jobs.dispatch import Dispatch
from server.store import Store

RAY_CPUS = 2


def start_local_ray() -> None:
    import ray

    if not ray.is_initialized():
        ray.init(num_cpus=RAY_CPUS, include_dashboard=False, log_to_driver=False)


@pytest.fixture(scope="session")
def ray_session() -> Iterator[Any]:
    ray = pytest.importorskip("ray")
    start_local_ray()
    yield ray
    ray.shutdown()


MakeExecutor = Callable[..., Dispatch]


@pytest.fixture(params=["local", "ray"])
def kind(request: pytest.FixtureRequest) -> str:
    if request.param == "ray":
        request.getfixturevalue("ray_session")
        start_local_ray()  # test_ray_cluster.py may have had it down
    return request.param


@pytest.fixture
def ex_settings(tmp_path: Path, kind: str) -> Settings:
    (tmp_path / "runs").mkdir(parents=True, exist_ok=True)
    return Settings(data_dir=tmp_path, executor=kind, warm_workers=0, max_jobs=1)


@pytest.fixture
def make_executor(kind: str, ex_settings: Settings) -> Iterator[MakeExecutor]:
    """Started executors of this test's kind on the test's store, stopped at the end."""
    started: list[Dispatch] = []

    def make(max_jobs: int = 1, max_queued: int = 2, **kw: Any) -> Dispatch:
        from server.jobs import runner

        s = ex_settings.model_copy(
            update={"max_jobs": max_jobs, "max_queued_jobs": max_queued, **kw}
        )
        ex = runner.make(s, Store(s.db_path))
        ex.start()
        started.append(ex)
        return ex

    yield make
    for ex in started:
        ex.stop()
