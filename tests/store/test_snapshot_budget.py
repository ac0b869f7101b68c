"""The store keeps a run's snapshot events within a byte budget (issue 19,
server/store/runs.py: keep_snapshot_budget)."""

from __future__ import annotations

import json
from pathlib import Path

from server.store import Store, new_id
from server.store.runs import thin_evenly


def event(kind: str, i: int, pad: int = 0) -> str:
    return json.dumps({"kind": kind, "iter": i, "png": "x" * pad})


def test_thin_evenly_spans_the_whole_range() -> None:
    seqs = list(range(0, 1000, 2))
    kept = sorted(thin_evenly(seqs, 11))
    assert kept[0] == 0 and kept[-1] == 998 and len(kept) == 11
    assert all(abs(b - a - 100) <= 2 for a, b in zip(kept, kept[1:]))
    assert thin_evenly([1, 2, 3], 5) == {1, 2, 3}


def test_snapshots_stay_within_the_budget_and_span_the_run(tmp_path: Path) -> None:
    store = Store(tmp_path / "db.sqlite3")
    store.snapshot_budget = 100_000
    run = new_id()
    store.create_run(run, "{}", "{}")
    seq = 0
    for start in range(0, 400, 20):  # the dispatcher writes what arrived in one go
        rows = []
        for i in range(start, start + 20):  # an iteration event per batch, a ~2 kB
            rows.append((run, seq := seq + 1, event("iter", i)))  # snapshot every 4th
            if i % 4 == 0:
                rows.append((run, seq := seq + 1, event("snapshot", i, 2000)))
        store.add_run_events(rows)
        snaps = [json.loads(t) for _, t in store.run_events(run, 0, 10_000)]
        kept = [s["iter"] for s in snaps if s["kind"] == "snapshot"]
        size = sum(len(event("snapshot", i, 2000)) for i in kept)
        assert size <= 100_000
    every = [json.loads(t) for _, t in store.run_events(run, 0, 10_000)]
    assert sum(e["kind"] == "iter" for e in every) == 400  # only snapshots are thinned
    iters = [e["iter"] for e in every if e["kind"] == "snapshot"]
    assert iters[0] == 0 and iters[-1] == 396  # the first and the newest stay
    assert 20 <= len(iters) < 100
    # Older ones are thinned evenly: no gap is much wider than the typical one.
    gaps = [b - a for a, b in zip(iters, iters[1:])]
    assert max(gaps) <= 3 * sorted(gaps)[len(gaps) // 2]


def test_a_fresh_process_counts_what_is_stored(tmp_path: Path) -> None:
    store = Store(tmp_path / "db.sqlite3")
    run = new_id()
    store.create_run(run, "{}", "{}")
    store.add_run_events([(run, i + 1, event("snapshot", i, 1000)) for i in range(50)])
    again = Store(tmp_path / "db.sqlite3")  # e.g. after a restart, a resumed run
    again.snapshot_budget = 20_000
    again.add_run_events([(run, 51, event("snapshot", 50, 1000))])
    kept = [json.loads(t)["iter"] for _, t in again.run_events(run)]
    assert sum(len(event("snapshot", i, 1000)) for i in kept) <= 20_000
    assert kept[0] == 0 and kept[-1] == 50


def test_without_a_budget_nothing_is_thinned(tmp_path: Path) -> None:
    store = Store(tmp_path / "db.sqlite3")
    run = new_id()
    store.create_run(run, "{}", "{}")
    store.add_run_events([(run, i + 1, event("snapshot", i, 1000)) for i in range(50)])
    assert len(store.run_events(run)) == 50
