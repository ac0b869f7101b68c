"""Training runs (issue 6); their event streams are server/store/events.py."""

from __future__ import annotations

from dataclasses import dataclass

from server.store.db import NotFound, now, valid_id
from server.store.events import EventsTable

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


class RunsTable(EventsTable):
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
        self.run_changes.notify(run_id)  # event streams end or go on (issue 13)

    def set_run_config(self, run_id: str, config_json: str) -> None:
        """A run's config once its worker filled in what is decided at its start (the
        input statistics, issue 12)."""
        with self._write() as conn:
            conn.execute("UPDATE runs SET config_json = ? WHERE id = ?", (config_json, run_id))

    def delete_run(self, run_id: str) -> None:
        if not valid_id(run_id):
            raise NotFound(run_id)
        with self._write() as conn:
            if conn.execute("DELETE FROM runs WHERE id = ?", (run_id,)).rowcount == 0:
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
