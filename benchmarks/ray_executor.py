"""Benchmark: the same LeNet-5 MNIST job through LocalExecutor and RayExecutor (issue 15).

On this machine, in the same run: for each executor with one warm worker (a warm process,
a warm actor), the time from submit() to the run's first "iter" event stored (what the
browser waits for after Start), and the training speed of a whole run (samples/s as its
epoch events report them, and the run's wall time). Ray's overhead is printed as ratios
Ray / local, with the targets: first point <= 1.5x local, samples/s >= 0.9x local.

    python benchmarks/ray_executor.py [--repeat 3] [--epochs 2]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import models
from server.config import Settings
from server.jobs.dispatch import Dispatch
from server.jobs.job import make_job
from server.store import Store, new_id

FIRST_POINT_MAX = 1.5  # Ray's start -> first point over local's
SPEED_MIN = 0.9  # Ray's samples/s over local's


def lenet_job(settings: Settings, epochs: int) -> dict[str, Any]:
    spec = models.get("lenet5_mnist").model_dump(mode="json")
    config = {"dataset": "mnist", "epochs": epochs, "batch_size": 64}
    return make_job(new_id(), spec, config, settings, False, None, "bench")


def wait_warm(ex: Dispatch) -> None:
    deadline = time.monotonic() + 180
    while ex.warm_ready() < 1:  # type: ignore[attr-defined]
        assert time.monotonic() < deadline, "no warm worker got ready"
        time.sleep(0.05)
    time.sleep(1.0)  # and the machine has settled


def first_point_s(ex: Dispatch, settings: Settings) -> float:
    wait_warm(ex)
    t = time.perf_counter()
    run_id = ex.submit(lenet_job(settings, 1))
    while not any(e["kind"] == "iter" for _, e in ex.events(run_id)):
        if ex.status(run_id) not in ("queued", "running"):
            raise RuntimeError(f"the run ended: {ex.store.get_run(run_id).message}")
        time.sleep(0.005)
    took = time.perf_counter() - t
    ex.cancel(run_id)
    while ex.status(run_id) == "running":
        time.sleep(0.02)
    return took


def whole_run(ex: Dispatch, settings: Settings, epochs: int) -> tuple[float, float]:
    """(median samples/s of its epochs, wall seconds submit -> done)."""
    wait_warm(ex)
    t = time.perf_counter()
    run_id = ex.submit(lenet_job(settings, epochs))
    while ex.status(run_id) in ("queued", "running"):
        time.sleep(0.02)
    wall = time.perf_counter() - t
    assert ex.status(run_id) == "done", ex.store.get_run(run_id).message
    speeds = [e["samples_per_s"] for _, e in ex.events(run_id, 0) if e["kind"] == "epoch"]
    return statistics.median(speeds), wall


def measure(kind: str, repeat: int, epochs: int, tmp: Path) -> dict[str, Any]:
    from server.jobs import runner

    settings = Settings(data_dir=tmp / kind, executor=kind, warm_workers=1, max_jobs=1)
    (settings.data_dir / "runs").mkdir(parents=True)
    ex = runner.make(settings, Store(settings.db_path))
    ex.start()
    try:
        firsts = [first_point_s(ex, settings) for _ in range(repeat)]
        speed, wall = whole_run(ex, settings, epochs)
    finally:
        ex.stop()
    return {"first": statistics.median(firsts), "firsts": firsts, "speed": speed, "wall": wall}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=2)
    args = parser.parse_args()
    import ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        with tempfile.TemporaryDirectory() as d:
            local = measure("local", args.repeat, args.epochs, Path(d))
            on_ray = measure("ray", args.repeat, args.epochs, Path(d))
    finally:
        ray.shutdown()
    for name, m in (("local", local), ("ray", on_ray)):
        each = ", ".join(f"{x:.2f}" for x in m["firsts"])
        print(
            f"{name:5}  start -> first point {m['first']:5.2f} s ({each})   "
            f"{m['speed']:7.0f} samples/s   {args.epochs} epochs in {m['wall']:5.1f} s"
        )
    first = on_ray["first"] / local["first"]
    speed = on_ray["speed"] / local["speed"]
    wall = on_ray["wall"] / local["wall"]
    print(f"ratio  ray / local: first point {first:.2f}x, samples/s {speed:.2f}x, wall {wall:.2f}x")
    ok_first, ok_speed = first <= FIRST_POINT_MAX, speed >= SPEED_MIN
    print(f"target first point <= {FIRST_POINT_MAX}x local: {'met' if ok_first else 'NOT met'}")
    print(f"target samples/s >= {SPEED_MIN}x local: {'met' if ok_speed else 'NOT met'}")


if __name__ == "__main__":
    main()
