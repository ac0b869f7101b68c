"""Disk taken by a long run's events, with and without thinning (issue 13), same run.

    python -m benchmarks.events_disk [--iters 200000]

Writes a run of `--iters` iterations (a "start", an "iter" event per batch, an "epoch"
event every 1,000 iterations, an "end") through Store.add_run_events in batches of 20,
as the job dispatcher does, once into a store that keeps every point (the baseline: what
main did before) and once with the default bound (Settings.max_run_iter_points). Prints
the database size per million iterations, the rows kept, and the write time of each.
Targets: a thinned run's database under 5 MB whatever its length, and writing at most
1.5x the baseline's time.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import tempfile
import time
from pathlib import Path

from server.config import Settings
from server.store import Store

RUN = "b" * 32
MB = 1 << 20


def write_run(path: Path, iters: int, iter_points: int) -> tuple[float, int, int]:
    """(seconds writing, database bytes after a checkpoint, event rows kept)."""
    store = Store(path, iter_points=iter_points)
    store.create_run(RUN, "{}", "{}")
    seq, batch = 0, []
    started = time.perf_counter()

    def put(event: dict) -> None:
        nonlocal seq
        seq += 1
        batch.append((RUN, seq, json.dumps(event)))
        if len(batch) >= 20 or event["kind"] != "iter":
            store.add_run_events(batch)
            batch.clear()

    put({"kind": "start", "iters_per_epoch": 1000, "total_iters": iters})
    for i in range(1, iters + 1):
        put({"kind": "iter", "iter": i, "epoch": 1 + (i - 1) // 1000, "loss": 2.3 / i ** 0.3,
             "acc": min(1.0, i / iters)})  # fmt: skip
        if i % 1000 == 0:
            put({"kind": "epoch", "epoch": i // 1000, "train_loss": 0.1, "train_acc": 0.9,
                 "val_loss": 0.2, "val_acc": 0.8, "samples_per_s": 1234.5})  # fmt: skip
    put({"kind": "end", "status": "done"})
    took = time.perf_counter() - started
    store.close()  # folds the WAL back into the file
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT COUNT(*) FROM run_metrics").fetchone()[0]
    return took, path.stat().st_size, rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--iters", type=int, default=200_000)
    args = p.parse_args()
    bound = Settings().max_run_iter_points
    per_m = 1_000_000 / args.iters
    with tempfile.TemporaryDirectory() as tmp:
        t0, size0, rows0 = write_run(Path(tmp) / "all.sqlite3", args.iters, 10**12)
        t1, size1, rows1 = write_run(Path(tmp) / "thin.sqlite3", args.iters, bound)
    print(f"a run of {args.iters:,} iterations ({args.iters // 1000} epochs):")
    print(f"  every point kept    {rows0:>9,} rows  {size0 / MB:8.1f} MB  "
          f"({size0 * per_m / (1 << 30):.2f} GiB per million iterations)  {t0:.1f} s")  # fmt: skip
    print(f"  thinned to {bound:,}   {rows1:>9,} rows  {size1 / MB:8.1f} MB  "
          f"(x{size0 / size1:.0f} smaller)  {t1:.1f} s  (write time x{t1 / t0:.2f})")  # fmt: skip
    print(f"  target: thinned database < 5 MB: {'met' if size1 < 5 * MB else 'NOT MET'}; "
          f"write time <= 1.5x: {'met' if t1 <= 1.5 * t0 else 'NOT MET'}")  # fmt: skip


if __name__ == "__main__":
    main()
