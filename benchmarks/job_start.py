"""Benchmark: Start -> first training point of a LeNet-5 run, cold worker vs warm (issue 20).

Through the real LocalExecutor (spawned worker, its pipe, the dispatcher, SQLite): the
time from submit() to the run's first "iter" event being stored, which is when the
browser's event stream can show it. Three ways, in the same run on the same machine:
  baseline  `python -c "import torch"`: what any fresh interpreter pays before a job
  cold      warm_workers=0: a worker is spawned at Start (imports torch, the job code)
  warm      warm_workers=1: Start hands the job to a worker that is already waiting
Target: warm <= 1.0 s (the table of issue 20), printed with its ratio to the baseline
and to the cold path.

    python benchmarks/job_start.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import models
from server.jobs.local import LocalExecutor
from server.store import Store, new_id

TARGET_S = 1.0


def import_torch_s() -> float:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import torch"], check=True)
    return time.perf_counter() - t


def lenet_job(tmp: Path) -> dict[str, Any]:
    run_id = new_id()
    return {
        "id": run_id,
        "spec": models.get("lenet5_mnist").model_dump(mode="json"),
        "config": {"dataset": "mnist", "epochs": 1, "batch_size": 64},
        "weights_path": str(tmp / f"{run_id}.safetensors"),
        "checkpoint_path": str(tmp / f"{run_id}.ckpt.safetensors"),
    }


def first_point_s(ex: LocalExecutor, tmp: Path) -> float:
    job = lenet_job(tmp)
    t = time.perf_counter()
    run_id = ex.submit(job)
    while not any(e["kind"] == "iter" for _, e in ex.events(run_id)):
        if ex.status(run_id) not in ("queued", "running"):
            raise RuntimeError(f"the run ended: {ex.store.get_run(run_id).message}")
        time.sleep(0.005)
    took = time.perf_counter() - t
    ex.cancel(run_id)
    while ex.status(run_id) == "running":
        time.sleep(0.02)
    return took


def measure(warm: int, repeat: int, tmp: Path) -> list[float]:
    ex = LocalExecutor(Store(tmp / f"db{warm}.sqlite3"), 1, 4, warm_workers=warm)
    ex.start()
    out = []
    try:
        for _ in range(repeat):
            if warm:
                deadline = time.monotonic() + 120
                while ex.warm_ready() < 1:  # Start comes while a worker waits
                    assert time.monotonic() < deadline, "no warm worker got ready"
                    time.sleep(0.05)
                time.sleep(0.5)  # and the machine has settled after its start
            out.append(first_point_s(ex, tmp))
    finally:
        ex.stop()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        base = statistics.median(import_torch_s() for _ in range(args.repeat))
        cold = measure(0, args.repeat, tmp)
        warm = measure(1, args.repeat, tmp)
    c, w = statistics.median(cold), statistics.median(warm)
    print(f"baseline  python -c 'import torch'   {base:6.2f} s (median of {args.repeat})")
    each = {name: ", ".join(f"{x:.2f}" for x in xs) for name, xs in (("c", cold), ("w", warm))}
    print(f"cold      start -> first point        {c:6.2f} s  ({each['c']})")
    print(f"warm      start -> first point        {w:6.2f} s  ({each['w']})")
    print(f"ratio     warm / import torch: {w / base:.2f}x; warm / cold: {w / c:.2f}x")
    print(f"target    warm <= {TARGET_S:.1f} s: {'met' if w <= TARGET_S else 'NOT met'}")


if __name__ == "__main__":
    main()
