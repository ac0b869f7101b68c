"""Training runs and each run's event stream (issue 6)."""

from __future__ import annotations

from dataclasses import dataclass

from server.store.db import Database, NotFound, now, valid_id

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


_RUN_COLUMNS = (
    "id, status, spec_json, config_json, message, metrics_json, weights_path, "
    "created_at, finished_at"
)


class RunsTable(Database):
    def create_run(self, run_id: str, spec_json: str, config_json: str) -> None:
        with self._write() as conn:
            conn.execute(
                "INSERT INTO runs (id, status, spec_json, config_json, created_at) "
                "VALUES (?, 'queued', ?, ?, ?)",
                (run_id, spec_json, config_json, now()),
            )

    def get_run(self, run_id: str) -> RunRow:
        if not valid_id(run_id):
            raise NotFound(run_id)
        with self._connect() as conn:
            row = conn.execute(
                f"SELECT {_RUN_COLUMNS} FROM runs WHERE id = ?", (run_id,)
            ).fetchone()
        if row is None:
            raise NotFound(run_id)
        return RunRow(**dict(row))

    def list_runs(self) -> list[RunRow]:
        """Every run, newest first."""
        with self._connect() as conn:
            rows = conn.execute(
                f"SELECT {_RUN_COLUMNS} FROM runs ORDER BY created_at DESC, rowid DESC"
            ).fetchall()
        return [RunRow(**dict(r)) for r in rows]

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

    def set_run_config(self, run_id: str, config_json: str) -> None:
        """A run's config once its worker filled in what is decided at its start (the
        input statistics, issue 12)."""
        with self._write() as conn:
            conn.execute("UPDATE runs SET config_json = ? WHERE id = ?", (config_json, run_id))

    def add_run_events(self, rows: list[tuple[str, int, str]]) -> None:
        """(run_id, seq, event_json) rows in one transaction."""
        if not rows:
            return
        with self._write() as conn:
            conn.executemany(
                "INSERT OR IGNORE INTO run_metrics (run_id, seq, event_json) VALUES (?, ?, ?)", rows
            )

    def run_events(self, run_id: str, after: int = 0, limit: int = 1000) -> list[tuple[int, str]]:
        """(seq, event_json) with seq > after, in order."""
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT seq, event_json FROM run_metrics WHERE run_id = ? AND seq > ? "
                "ORDER BY seq LIMIT ?",
                (run_id, after, limit),
            ).fetchall()
        return [(r[0], r[1]) for r in rows]

    def last_seq(self, run_id: str) -> int:
        """The highest event seq stored for the run (0 when none)."""
        with self._connect() as conn:
            row = conn.execute(
                "SELECT MAX(seq) FROM run_metrics WHERE run_id = ?", (run_id,)
            ).fetchone()
        return row[0] or 0

    def delete_run(self, run_id: str) -> None:
        if not valid_id(run_id):
            raise NotFound(run_id)
        with self._write() as conn:
            if conn.execute("DELETE FROM runs WHERE id = ?", (run_id,)).rowcount == 0:
                raise NotFound(run_id)

    def fail_unfinished(self, message: str) -> int:
        """Runs a previous process left queued or running: mark them failed."""
        with self._write() as conn:
            cur = conn.execute(
                "UPDATE runs SET status = 'failed', message = ?, finished_at = ? "
                "WHERE status IN ('queued', 'running')",
                (message, now()),
            )
            return cur.rowcount
