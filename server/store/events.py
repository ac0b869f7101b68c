"""Each run's event stream (issue 6) with bounded disk (issue 13).

Rows of `run_metrics` are (run_id, seq, event_json); `seq` numbers a run's events from
1 and is never reused, so `Last-Event-ID` resumes exactly. `run_event_totals` keeps per
run the bytes of its event JSON, how many "iter" rows it holds, its highest seq and the
thinning stride, so quotas and thinning never scan the events table.

Thinning: a run keeps every event that is not an "iter" point (start, epoch, gradflow,
resume, end, snapshots, ...), and at most `iter_points` iteration points once it has
ended (at most twice that while it runs): the first, the latest, and those whose
iteration is a multiple of a stride that doubles as the run grows, so the kept points
are evenly spaced over the whole run and a chart of them draws the same curve. A thinned
row leaves a gap in seq; nothing else ever does (a stream says so: server/api/run_events.py).
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from pathlib import Path

from server.store.changes import Changes
from server.store.db import Database

ITER_POINTS = 4_000  # Settings.max_run_iter_points


def thin_plan(rows: list[tuple[int, object]], stride: int, keep: int) -> tuple[set[int], int]:
    """Which iteration rows to keep: `rows` are (seq, iter) in seq order; answers the kept
    seqs (at most `keep`, at least 2) and the stride they are spaced by."""
    seqs = {seq for seq, _ in rows}
    if len(rows) <= keep:
        return seqs, stride
    ends = {rows[0][0], rows[-1][0]}
    while True:
        kept = ends | {s for s, it in rows if isinstance(it, int) and it % stride == 0}
        if len(kept) <= max(keep, 2):
            return kept, stride
        stride *= 2


class EventsTable(Database):
    def __init__(self, path: Path, *, iter_points: int = ITER_POINTS) -> None:
        super().__init__(path)
        self.iter_points = iter_points
        self.run_changes = Changes()  # told after every commit that changes a run

    def add_run_events(self, rows: list[tuple[str, int, str]]) -> None:
        """(run_id, seq, event_json) rows in one transaction (a repeated seq is ignored);
        thins a run's iteration points past its bound; then tells the listeners."""
        if not rows:
            return
        added: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # bytes iters seq end
        with self._write() as conn:
            for run_id, seq, text in rows:
                cur = conn.execute(
                    "INSERT OR IGNORE INTO run_metrics (run_id, seq, event_json) VALUES (?, ?, ?)",
                    (run_id, seq, text),
                )
                if cur.rowcount:
                    a, kind = added[run_id], _kind(text)
                    a[0] += len(text)
                    a[1] += kind == "iter"
                    a[2] = max(a[2], seq)
                    a[3] |= kind == "end"
            for run_id, (size, iters, seq, ended) in added.items():
                conn.execute(
                    "INSERT INTO run_event_totals (run_id, bytes, iters, last_seq) "
                    "VALUES (?, ?, ?, ?) ON CONFLICT (run_id) DO UPDATE SET "
                    "bytes = bytes + excluded.bytes, iters = iters + excluded.iters, "
                    "last_seq = MAX(last_seq, excluded.last_seq)",
                    (run_id, size, iters, seq),
                )
                self._maybe_thin(conn, run_id, bool(ended))
        self.run_changes.notify(*added)

    def _maybe_thin(self, conn: sqlite3.Connection, run_id: str, ended: bool) -> None:
        iters, stride = conn.execute(
            "SELECT iters, stride FROM run_event_totals WHERE run_id = ?", (run_id,)
        ).fetchone()
        keep = self.iter_points
        if iters <= 2 * keep and not (ended and iters > keep):
            return
        points = conn.execute(
            "SELECT seq, json_extract(event_json, '$.iter'), length(event_json) "
            "FROM run_metrics WHERE run_id = ? AND json_extract(event_json, '$.kind') = 'iter' "
            "ORDER BY seq",
            (run_id,),
        ).fetchall()
        kept, stride = thin_plan([(s, it) for s, it, _ in points], stride, keep)
        gone = [(run_id, s) for s, _, _ in points if s not in kept]
        freed = sum(n for s, _, n in points if s not in kept)
        conn.executemany("DELETE FROM run_metrics WHERE run_id = ? AND seq = ?", gone)
        conn.execute(
            "UPDATE run_event_totals SET iters = ?, stride = ?, bytes = bytes - ? WHERE run_id = ?",
            (len(kept), stride, freed, run_id),
        )

    def run_events(self, run_id: str, after: int = 0, limit: int = 1000) -> list[tuple[int, str]]:
        """(seq, event_json) with seq > after, in order."""
        with self._connect() as conn:
            return _page(conn, run_id, after, limit)

    def stream_page(
        self, run_id: str, after: int, limit: int = 1000
    ) -> tuple[str | None, list[tuple[int, str]]]:
        """What an event stream reads each time it wakes: the run's status (None once it
        was deleted) and then its events after `after`. Status first: an event stored
        before the run ended is surely in the page read after it."""
        with self._connect() as conn:
            row = conn.execute("SELECT status FROM runs WHERE id = ?", (run_id,)).fetchone()
            if row is None:
                return None, []
            return row[0], _page(conn, run_id, after, limit)

    def last_seq(self, run_id: str) -> int:
        """The highest event seq the run ever had (0 when none); thinning never lowers it."""
        with self._connect() as conn:
            row = conn.execute(
                "SELECT MAX(COALESCE((SELECT last_seq FROM run_event_totals WHERE run_id = ?), 0),"
                " COALESCE((SELECT MAX(seq) FROM run_metrics WHERE run_id = ?), 0))",
                (run_id, run_id),
            ).fetchone()
        return row[0]

    def event_usage(self) -> tuple[int, int]:
        """(runs kept, bytes of all their event JSON): what the run quotas count."""
        with self._connect() as conn:
            runs = conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
            size = conn.execute("SELECT COALESCE(SUM(bytes), 0) FROM run_event_totals").fetchone()
        return runs, size[0]

    def run_event_stats(self, run_id: str) -> dict[str, int]:
        """{bytes, iters, last_seq, stride} of one run (zeros before its first event)."""
        with self._connect() as conn:
            row = conn.execute(
                "SELECT bytes, iters, last_seq, stride FROM run_event_totals WHERE run_id = ?",
                (run_id,),
            ).fetchone()
        keys = ("bytes", "iters", "last_seq", "stride")
        return dict(zip(keys, row, strict=True)) if row else dict.fromkeys(keys, 0) | {"stride": 1}


def _kind(text: str) -> str | None:
    try:
        event = json.loads(text)
    except ValueError:
        return None
    return event.get("kind") if isinstance(event, dict) else None


def _page(conn: sqlite3.Connection, run_id: str, after: int, limit: int) -> list[tuple[int, str]]:
    rows = conn.execute(
        "SELECT seq, event_json FROM run_metrics WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?",
        (run_id, after, limit),
    ).fetchall()
    return [(r[0], r[1]) for r in rows]
