"""SQLite store: saved designs (with their summary and layer locks), training runs and
each run's event stream (metrics); the schema grows through _MIGRATIONS.

One module, the stdlib `sqlite3`, WAL mode with a busy timeout and foreign keys.
Every call opens its own short-lived connection, so the store is safe to share
between FastAPI's threadpool workers without a lock: SQLite serializes writers
and the busy timeout makes a second writer wait instead of failing.

Durability: a write commits before the method returns, and `synchronous=FULL`
makes that commit reach the disk (WAL fsync), so a design acknowledged as saved
survives `kill -9` of the server (and a power cut).

Ids are server-generated uuid4 hex strings; an id from a client is checked
against `ID_PATTERN` before it reaches SQL (`NotFound` otherwise).
"""

from __future__ import annotations

import re
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ID_PATTERN = re.compile(r"[0-9a-f]{32}")
BUSY_TIMEOUT_MS = 5_000

# Each entry (a tuple of statements) moves the schema one version up, in one
# transaction; never edit a released entry, append.
_MIGRATIONS: list[tuple[str, ...]] = [
    (
        """CREATE TABLE networks (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            spec_json TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )""",
        "CREATE INDEX networks_by_update ON networks (updated_at DESC)",
    ),
    (  # issue 6: training runs and their event streams
        """CREATE TABLE runs (
            id TEXT PRIMARY KEY,
            status TEXT NOT NULL,
            spec_json TEXT NOT NULL,
            config_json TEXT NOT NULL,
            message TEXT NOT NULL DEFAULT '',
            metrics_json TEXT,
            weights_path TEXT,
            created_at TEXT NOT NULL,
            finished_at TEXT
        )""",
        "CREATE INDEX runs_by_creation ON runs (created_at DESC)",
        """CREATE TABLE run_metrics (
            run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            seq INTEGER NOT NULL,
            event_json TEXT NOT NULL,
            PRIMARY KEY (run_id, seq)
        )""",
    ),
    (
        # What GET /api/networks shows of a design (params, valid, input shape), worked
        # out once when it is saved instead of on every listing; NULL for older rows.
        "ALTER TABLE networks ADD COLUMN summary_json TEXT",
        # The designer's layer locks (issue 7): a JSON list of frozen layer paths.
        "ALTER TABLE networks ADD COLUMN frozen_json TEXT",
    ),
]


class NotFound(LookupError):
    """No row with that id (or the id is not one the server could have made)."""


class StoreFull(RuntimeError):
    """A table is at its row limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"limit of {limit:,} rows reached")
        self.limit = limit


@dataclass(frozen=True)
class NetworkRow:
    id: str
    name: str
    spec_json: str
    created_at: str
    updated_at: str
    summary_json: str | None = None
    frozen_json: str | None = None


_NETWORK_COLUMNS = "id, name, spec_json, created_at, updated_at, summary_json, frozen_json"

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


def new_id() -> str:
    return uuid.uuid4().hex


def valid_id(value: str) -> bool:
    return ID_PATTERN.fullmatch(value) is not None


def _now() -> str:
    # ISO 8601 UTC with microseconds: sorts as text in time order.
    return datetime.now(UTC).isoformat(timespec="microseconds")


class Store:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as conn:
            # WAL is a property of the database file: set once, it stays.
            conn.execute("PRAGMA journal_mode=WAL")
            self._migrate(conn)

    # --- plumbing -------------------------------------------------------------

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """A connection for one call: commits on success, rolls back on error, closes."""
        conn = sqlite3.connect(
            self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None
        )  # autocommit mode; transactions are explicit below
        try:
            conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA synchronous=FULL")
            conn.row_factory = sqlite3.Row
            yield conn
        finally:
            conn.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction, committed (and on disk) before the caller goes on."""
        with self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")  # take the write lock now, not mid-way
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def _migrate(self, conn: sqlite3.Connection) -> None:
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = conn.execute("SELECT version FROM schema_version").fetchone()
            version = row[0] if row else 0
            if row is None:
                conn.execute("INSERT INTO schema_version (version) VALUES (0)")
            for step in _MIGRATIONS[version:]:
                for statement in step:
                    conn.execute(statement)
            conn.execute("UPDATE schema_version SET version = ?", (len(_MIGRATIONS),))
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def schema_version(self) -> int:
        with self._connect() as conn:
            return conn.execute("SELECT version FROM schema_version").fetchone()[0]

    def close(self) -> None:
        """Nothing stays open between calls; fold the WAL back into the database file."""
        with self._connect() as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    # --- networks -------------------------------------------------------------

    def count_networks(self) -> int:
        with self._connect() as conn:
            return conn.execute("SELECT COUNT(*) FROM networks").fetchone()[0]

    def create_network(
        self,
        name: str,
        spec_json: str,
        max_rows: int | None = None,
        summary_json: str | None = None,
        frozen_json: str | None = None,
    ) -> str:
        """Insert a design; returns its new id. `max_rows` is checked in the same
        transaction, so two concurrent saves cannot both squeeze past the limit."""
        net_id, now = new_id(), _now()
        with self._write() as conn:
            if max_rows is not None:
                (count,) = conn.execute("SELECT COUNT(*) FROM networks").fetchone()
                if count >= max_rows:
                    raise StoreFull(max_rows)
            conn.execute(
                "INSERT INTO networks (id, name, spec_json, created_at, updated_at, "
                "summary_json, frozen_json) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (net_id, name, spec_json, now, now, summary_json, frozen_json),
            )
        return net_id

    def get_network(self, net_id: str) -> NetworkRow:
        if not valid_id(net_id):
            raise NotFound(net_id)
        with self._connect() as conn:
            row = conn.execute(
                f"SELECT {_NETWORK_COLUMNS} FROM networks WHERE id = ?",
                (net_id,),
            ).fetchone()
        if row is None:
            raise NotFound(net_id)
        return NetworkRow(**dict(row))

    def list_networks(self) -> list[NetworkRow]:
        """Every saved design, most recently updated first."""
        with self._connect() as conn:
            rows = conn.execute(
                f"SELECT {_NETWORK_COLUMNS} FROM networks ORDER BY updated_at DESC, rowid DESC"
            ).fetchall()
        return [NetworkRow(**dict(r)) for r in rows]

    def update_network(
        self,
        net_id: str,
        name: str,
        spec_json: str,
        summary_json: str | None = None,
        frozen_json: str | None = None,
    ) -> None:
        if not valid_id(net_id):
            raise NotFound(net_id)
        with self._write() as conn:
            cur = conn.execute(
                "UPDATE networks SET name = ?, spec_json = ?, summary_json = ?, frozen_json = ?, "
                "updated_at = ? WHERE id = ?",
                (name, spec_json, summary_json, frozen_json, _now(), net_id),
            )
            if cur.rowcount == 0:
                raise NotFound(net_id)

    def delete_network(self, net_id: str) -> None:
        if not valid_id(net_id):
            raise NotFound(net_id)
        with self._write() as conn:
            cur = conn.execute("DELETE FROM networks WHERE id = ?", (net_id,))
            if cur.rowcount == 0:
                raise NotFound(net_id)

    # --- runs (issue 6) ------------------------------------------------------

    def create_run(self, run_id: str, spec_json: str, config_json: str) -> None:
        with self._write() as conn:
            conn.execute(
                "INSERT INTO runs (id, status, spec_json, config_json, created_at) "
                "VALUES (?, 'queued', ?, ?, ?)",
                (run_id, spec_json, config_json, _now()),
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
        finished = _now() if status in FINISHED else None
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
                (message, _now()),
            )
            return cur.rowcount
