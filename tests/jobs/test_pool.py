from __future__ import annotations

import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from server.jobs.local import LocalExecutor
from server.store import Store
from tests.jobs.procs import alive, cpu_ticks, wait_gone
from tests.jobs.test_local import job, wait_for

pytestmark = pytest.mark.slow  # worker processes import torch: seconds each


def test_a_warm_worker_takes_the_job_and_the_pool_refills(tmp_path: Path) -> None:
    ex = LocalExecutor(Store(tmp_path / "db.sqlite3"), max_jobs=1, max_queued=2, warm_workers=1)
    ex.start()
    try:
        wait_for(lambda: ex.warm_ready() == 1, timeout=90)
        assert ex.capacity()["warm"] == 1  # what the Train view's capacity card shows
        (warm,) = ex.idle_worker_pids()
        # Idle, it waits in a read: no CPU.
        before = cpu_ticks(warm)
        time.sleep(1.0)
        assert cpu_ticks(warm) - before <= 1
        run_id = ex.submit(job(tmp_path))
        wait_for(lambda: ex.worker_pid(run_id) is not None or ex.status(run_id) == "done")
        assert ex.worker_pid(run_id) in (warm, None)
        wait_for(lambda: ex.status(run_id) == "done", timeout=90)
        assert ex.store.get_run(run_id).message == ""
        assert wait_gone({warm}) == set()  # one job, then it exits
        wait_for(lambda: len(ex.idle_worker_pids()) == 1, timeout=30)  # a new one waits
        (fresh,) = ex.idle_worker_pids()
        assert fresh != warm
    finally:
        ex.stop()
    assert not alive(fresh)  # stop() takes the idle ones down too


def test_the_pool_refills_only_while_a_core_is_free(monkeypatch: pytest.MonkeyPatch) -> None:
    from server.jobs import pool

    started: list[object] = []
    monkeypatch.setattr(
        pool, "spawn", lambda ctx: started.append(ctx) or SimpleNamespace(ready=False)
    )
    two_cores = pool.WarmPool("ctx", size=1, delay_s=0, cores=2)
    two_cores.refill(busy=1)  # the web process and one job: no core left for imports
    assert started == []
    two_cores.refill(busy=0)
    assert len(started) == 1 and len(two_cores.idle) == 1
    many = pool.WarmPool("ctx", size=2, delay_s=0, cores=16)
    many.refill(busy=3)
    assert len(started) == 2 and len(many.idle) == 1
    many.refill(busy=3)  # one at a time: the first is still importing
    assert len(started) == 2
    many.idle[0].ready = True
    many.refill(busy=3)
    assert len(started) == 3 and len(many.idle) == 2
    many.idle[1].ready = True
    many.refill(busy=3)  # full
    assert len(started) == 3
