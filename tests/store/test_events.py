"""server/store/events.py: seq numbering, totals, thinning of iteration points, change
notifications (issue 13)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from server.store import Store, schema
from server.store.events import thin_plan

RUN = "a" * 32


def _iter(i: int) -> str:
    return json.dumps({"kind": "iter", "iter": i, "epoch": 1, "loss": 1 / i, "acc": 0.5})


def _write_run(store: Store, iters: int, epoch_every: int = 100, batch: int = 50) -> list:
    """A run's events as the dispatcher writes them (batches, seq from 1): start, iters
    with an epoch event every `epoch_every`, end. Answers every (seq, event)."""
    events = [{"kind": "start", "iters_per_epoch": epoch_every, "total_iters": iters}]
    for i in range(1, iters + 1):
        events.append(json.loads(_iter(i)))
        if i % epoch_every == 0:
            events.append({"kind": "epoch", "epoch": i // epoch_every, "val_loss": 1 / i})
    events.append({"kind": "end", "status": "done"})
    rows = [(RUN, seq, json.dumps(e)) for seq, e in enumerate(events, 1)]
    for k in range(0, len(rows), batch):
        store.add_run_events(rows[k : k + batch])
    return list(enumerate(events, 1))


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "db.sqlite3", iter_points=100)
    s.create_run(RUN, "{}", "{}")
    return s


def test_thin_plan_keeps_first_last_and_an_even_stride() -> None:
    rows = [(seq, seq) for seq in range(1, 1001)]
    kept, stride = thin_plan(rows, 1, 100)
    assert len(kept) <= 100 and stride == 16
    assert {1, 1000} <= kept
    assert sorted(kept - {1, 1000}) == list(range(16, 1001, 16))
    assert thin_plan(rows[:50], 1, 100) == ({s for s, _ in rows[:50]}, 1)  # under the bound


def test_a_long_run_keeps_every_other_event_and_bounded_evenly_spaced_points(
    store: Store,
) -> None:
    written = _write_run(store, 5000)
    stored = [(s, json.loads(t)) for s, t in store.run_events(RUN, 0, 100_000)]
    kinds = [e["kind"] for _, e in stored]
    # Every non-iteration event is kept, in order, with its own seq.
    others = [(s, e) for s, e in written if e["kind"] != "iter"]
    assert [(s, e) for s, e in stored if e["kind"] != "iter"] == others
    assert kinds.count("epoch") == 50
    # Iteration points: at most the bound once the run has ended, first and last kept,
    # evenly spaced in between (a chart of them is the same curve, sampled).
    its = [e["iter"] for _, e in stored if e["kind"] == "iter"]
    assert 50 <= len(its) <= 100
    assert its[0] == 1 and its[-1] == 5000
    steps = {b - a for a, b in zip(its[1:-2], its[2:-1], strict=True)}
    assert len(steps) == 1 and its[1] == steps.pop()
    # A kept row is exactly what was written under that seq: numbering never moves.
    by_seq = dict(written)
    assert all(by_seq[s] == e for s, e in stored)
    stats = store.run_event_stats(RUN)
    assert stats["iters"] == len(its) and stats["last_seq"] == len(written)
    assert stats["bytes"] == sum(len(t) for _, t in store.run_events(RUN, 0, 100_000))
    assert store.event_usage() == (1, stats["bytes"])


def test_a_running_run_holds_at_most_twice_the_bound(store: Store) -> None:
    events = [(RUN, i, _iter(i)) for i in range(1, 2001)]  # no "end": still running
    most = 0
    for k in range(0, len(events), 10):
        store.add_run_events(events[k : k + 10])
        most = max(most, store.run_event_stats(RUN)["iters"])
    assert most <= 2 * 100 + 10
    its = [json.loads(t)["iter"] for _, t in store.run_events(RUN, 0, 10_000)]
    assert its[0] == 1 and its[-1] == 2000  # the latest point is always there


def test_last_seq_never_goes_back_and_a_resume_numbers_after_it(store: Store) -> None:
    _write_run(store, 1000)
    top = store.last_seq(RUN)
    with sqlite3.connect(store.path) as conn:  # even if the last rows were gone
        conn.execute("DELETE FROM run_metrics WHERE seq > ?", (top - 3,))
    assert store.last_seq(RUN) == top


def test_repeated_seqs_are_counted_once(store: Store) -> None:
    store.add_run_events([(RUN, 1, _iter(1)), (RUN, 2, _iter(2))])
    store.add_run_events([(RUN, 2, _iter(2)), (RUN, 3, _iter(3))])
    stats = store.run_event_stats(RUN)
    assert stats["iters"] == 3 and stats["last_seq"] == 3
    assert stats["bytes"] == sum(len(_iter(i)) for i in (1, 2, 3))


def test_deleting_a_run_drops_its_totals(store: Store) -> None:
    _write_run(store, 10)
    assert store.event_usage()[1] > 0
    store.delete_run(RUN)
    assert store.event_usage() == (0, 0)


def test_listeners_hear_of_events_status_and_deletes(store: Store) -> None:
    heard: list[str] = []
    stop = store.run_changes.listen(heard.append)
    store.add_run_events([(RUN, 1, _iter(1))])
    store.set_run_status(RUN, "running")
    store.delete_run(RUN)
    assert heard == [RUN, RUN, RUN]
    stop()
    store.create_run(RUN, "{}", "{}")
    store.set_run_status(RUN, "running")
    assert len(heard) == 3


def test_a_listener_that_raises_is_dropped_and_the_write_stands(store: Store) -> None:
    def broken(run_id: str) -> None:
        raise RuntimeError("Event loop is closed")

    store.run_changes.listen(broken)
    store.add_run_events([(RUN, 1, _iter(1))])
    store.add_run_events([(RUN, 2, _iter(2))])
    assert [s for s, _ in store.run_events(RUN)] == [1, 2]


def test_the_migration_counts_events_stored_before_it(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as conn:  # a database at the version before the totals
        conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        before = next(  # the step that adds the totals, wherever it sits in the list
            i for i, step in enumerate(schema.MIGRATIONS) if "run_event_totals" in step[0]
        )
        conn.execute("INSERT INTO schema_version VALUES (?)", (before,))
        for step in schema.MIGRATIONS[:before]:
            for statement in step:
                conn.execute(statement)
        conn.execute(
            "INSERT INTO runs (id, status, spec_json, config_json, created_at) "
            "VALUES (?, 'done', '{}', '{}', '')",
            (RUN,),
        )
        texts = [_iter(1), _iter(2), json.dumps({"kind": "epoch", "epoch": 1})]
        conn.executemany(
            "INSERT INTO run_metrics VALUES (?, ?, ?)",
            [(RUN, i, t) for i, t in enumerate(texts, 1)],
        )
    stats = Store(path).run_event_stats(RUN)
    assert stats == {"bytes": sum(map(len, texts)), "iters": 2, "last_seq": 3, "stride": 1}
