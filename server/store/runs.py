"""Training runs and each run's event stream (issue 6), each with its owner (issue 14); their event
streams are server/store/events.py.

The job dispatcher holds the unscoped store (it writes status and events for every
run); a router's view (`Store.as_user`) reads its user's runs and shared ones, and
changes (cancel, pause, delete: `own_run`, `delete_run`) only its own."""

from __future__ import annotations

from dataclasses import dataclass

from server.store.db import NotFound, now, valid_id
from server.store.events import EventsTable
from server.store.schema import OWNER_ID

FINISHED = ("done", "failed", "cancelled", "diverged")
# No worker is on these runs: event streams end, the run can be deleted. A paused run (and
# a failed one with a checkpoint) can be resumed (issue 6).
STOPPED = (*FINISHED, "paused")


@dataclass(frozen=True)
class RunRow:
    id: str
    status: str
    spec_json: str
    config_json: str
    message: str
    metrics_json: str | None
    weights_path: str | None
    created_at: str
    finished_at: str | None
    owner_id: str = OWNER_ID
    shared: bool = False
    ran_on_json: str | None = None  # issue 15: the executor and node that ran it


_RUN_COLUMNS = (
    "id, status, spec_json, config_json, message, metrics_json, weights_path, "
    "created_at, finished_at, owner_id, shared, ran_on_json"
)


def _run(row: object) -> RunRow:
    values = dict(row)  # type: ignore[call-overload]
    values["shared"] = bool(values["shared"])
    return RunRow(**values)


SNAPSHOT_ROW = '{"kind": "snapshot"'  # how a snapshot event's JSON begins (json.dumps)


class RunsTable(EventsTable):
    # Bytes of "snapshot" events kept per run (issue 19; the app sets it from Settings):
    # past it, keep_snapshot_budget thins the run's older snapshots evenly.
    snapshot_budget: int | None = None

    def create_run(
        self, run_id: str, spec_json: str, config_json: str, owner_id: str | None = None
    ) -> None:
        """A queued run of `owner_id` (the job's "owner"; this view's user by default)."""
        with self._write() as conn:
            conn.execute(
                "INSERT INTO runs (id, status, spec_json, config_json, created_at, owner_id) "
                "VALUES (?, 'queued', ?, ?, ?, ?)",
                (run_id, spec_json, config_json, now(), owner_id or self.user_id),
            )

    def _one_run(self, run_id: str, where: str, args: tuple[str, ...]) -> RunRow:
        if not valid_id(run_id):
            raise NotFound(run_id)
        with self._connect() as conn:
            row = conn.execute(
                f"SELECT {_RUN_COLUMNS} FROM runs WHERE id = ? AND {where}", (run_id, *args)
            ).fetchone()
        if row is None:
            raise NotFound(run_id)
        return _run(row)

    def get_run(self, run_id: str) -> RunRow:
        """A run this view may read (its own or a shared one); NotFound otherwise."""
        return self._one_run(run_id, *self._visible())

    def own_run(self, run_id: str) -> RunRow:
        """A run this view may change (its own); a shared one of another user is NotFound."""
        return self._one_run(run_id, *self._mine())

    def list_runs(self) -> list[RunRow]:
        """Every run this view may read, newest first."""
        where, args = self._visible()
        with self._connect() as conn:
            rows = conn.execute(
                f"SELECT {_RUN_COLUMNS} FROM runs WHERE {where} "
                "ORDER BY created_at DESC, rowid DESC",
                args,
            ).fetchall()
        return [_run(r) for r in rows]

    def count_active_runs(self, owner_id: str) -> int:
        """A user's queued and running runs (the per-user job limit)."""
        with self._connect() as conn:
            return conn.execute(
                "SELECT COUNT(*) FROM runs WHERE owner_id = ? AND status IN ('queued', 'running')",
                (owner_id,),
            ).fetchone()[0]

    def set_run_shared(self, run_id: str, shared: bool) -> None:
        """Share a run this view owns with the class (read-only for the others)."""
        where, args = self._mine()
        self._one_run(run_id, where, args)
        with self._write() as conn:
            conn.execute("UPDATE runs SET shared = ? WHERE id = ?", (int(shared), run_id))

    def set_run_status(
        self,
        run_id: str,
        status: str,
        message: str = "",
        metrics_json: str | None = None,
        weights_path: str | None = None,
    ) -> None:
        finished = now() if status in FINISHED else None
        with self._write() as conn:
            conn.execute(
                "UPDATE runs SET status = ?, message = ?, "
                "metrics_json = COALESCE(?, metrics_json), "
                "weights_path = COALESCE(?, weights_path), finished_at = ? WHERE id = ?",
                (status, message, metrics_json, weights_path, finished, run_id),
            )
        self.run_changes.notify(run_id)  # event streams end or go on (issue 13)

    def set_run_config(self, run_id: str, config_json: str) -> None:
        """A run's config once its worker filled in what is decided at its start (the
        input statistics, issue 12)."""
        with self._write() as conn:
            conn.execute("UPDATE runs SET config_json = ? WHERE id = ?", (config_json, run_id))

    def set_run_placement(self, run_id: str, ran_on_json: str) -> None:
        """Where a run's worker is (issue 15): the executor, the node, the device."""
        with self._write() as conn:
            conn.execute("UPDATE runs SET ran_on_json = ? WHERE id = ?", (ran_on_json, run_id))

    def add_run_events(self, rows: list[tuple[str, int, str]]) -> None:
        """EventsTable's (totals, iteration thinning), then the snapshot budget (issue 19)."""
        super().add_run_events(rows)
        self.keep_snapshot_budget(rows)

    def delete_run(self, run_id: str) -> None:
        if not valid_id(run_id):
            raise NotFound(run_id)
        where, args = self._mine()
        with self._write() as conn:
            cur = conn.execute(f"DELETE FROM runs WHERE id = ? AND {where}", (run_id, *args))
            if cur.rowcount == 0:
                raise NotFound(run_id)
        self.run_changes.notify(run_id)

    def fail_unfinished(self, message: str) -> int:
        """Runs a previous process left queued or running: mark them failed."""
        with self._write() as conn:
            cur = conn.execute(
                "UPDATE runs SET status = 'failed', message = ?, finished_at = ? "
                "WHERE status IN ('queued', 'running')",
                (message, now()),
            )
            return cur.rowcount

    def keep_snapshot_budget(self, rows: list[tuple[str, int, str]]) -> None:
        """Issue 19: keep each run's snapshot events within `snapshot_budget` bytes. The bytes
        are counted as rows arrive (a run first seen by this process is summed once); a run
        past the budget keeps its first and last snapshot and, between them, those nearest to
        evenly spaced seqs, about half the budget: a replay still spans the whole run."""
        budget = self.snapshot_budget
        if budget is None:
            return
        counted: dict[str, int] = self.__dict__.setdefault("_snapshot_bytes", {})
        for run_id in {r[0] for r in rows if r[2].startswith(SNAPSHOT_ROW)}:
            if run_id not in counted:
                counted[run_id] = sum(size for _, size in self._snapshot_rows(run_id))
            else:
                counted[run_id] += sum(
                    len(r[2]) for r in rows if r[0] == run_id and r[2].startswith(SNAPSHOT_ROW)
                )
            if counted[run_id] > budget:
                counted[run_id] = self._thin_snapshots(run_id, budget // 2)

    def _snapshot_rows(self, run_id: str) -> list[tuple[int, int]]:
        """(seq, bytes) of the run's snapshot events, in order."""
        with self._connect() as conn:
            found = conn.execute(
                "SELECT seq, length(event_json) FROM run_metrics "
                "WHERE run_id = ? AND substr(event_json, 1, ?) = ? ORDER BY seq",
                (run_id, len(SNAPSHOT_ROW), SNAPSHOT_ROW),
            ).fetchall()
        return [(r[0], r[1]) for r in found]

    def _thin_snapshots(self, run_id: str, target: int) -> int:
        """Delete snapshot events until about `target` bytes are left; returns the bytes kept."""
        found = self._snapshot_rows(run_id)
        total = sum(size for _, size in found)
        if len(found) <= 2 or total <= target:
            return total
        keep_n = max(2, min(len(found), target * len(found) // max(total, 1)))
        keep = thin_evenly([seq for seq, _ in found], keep_n)
        drop = [(run_id, seq) for seq, _ in found if seq not in keep]
        kept = sum(size for seq, size in found if seq in keep)
        with self._write() as conn:
            conn.executemany("DELETE FROM run_metrics WHERE run_id = ? AND seq = ?", drop)
            conn.execute(  # the quotas count what is on disk (server/store/events.py)
                "UPDATE run_event_totals SET bytes = MAX(0, bytes - ?) WHERE run_id = ?",
                (total - kept, run_id),
            )
        return kept


def thin_evenly(seqs: list[int], n: int) -> set[int]:
    """The first and last of the ascending `seqs` and, between them, the one nearest to each
    of n evenly spaced points: n (or fewer, where several points share a nearest one)."""
    if len(seqs) <= n:
        return set(seqs)
    first, last = seqs[0], seqs[-1]
    keep = {first, last}
    j = 0
    for k in range(1, n - 1):
        point = first + (last - first) * k / (n - 1)
        while j + 1 < len(seqs) and abs(seqs[j + 1] - point) <= abs(seqs[j] - point):
            j += 1
        keep.add(seqs[j])
    return keep
