"""The store's plumbing: one short-lived connection per call, write transactions,
migrations, ids and the errors every table raises."""

from __future__ import annotations

import copy
import re
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Self

from server.store import schema

ID_PATTERN = re.compile(r"[0-9a-f]{32}")
BUSY_TIMEOUT_MS = 5_000


class NotFound(LookupError):
    """No row with that id (or the id is not one the server could have made)."""


class StoreFull(RuntimeError):
    """A table is at its row limit."""

    def __init__(self, limit: int, per_user: bool = False) -> None:
        super().__init__(f"limit of {limit:,} rows{' per user' if per_user else ''} reached")
        self.limit = limit
        self.per_user = per_user


def new_id() -> str:
    return uuid.uuid4().hex


def valid_id(value: str) -> bool:
    return ID_PATTERN.fullmatch(value) is not None


def now() -> str:
    # ISO 8601 UTC with microseconds: sorts as text in time order.
    return datetime.now(UTC).isoformat(timespec="microseconds")


class Database:
    # Whose view of the store this is (issue 14): rows created belong to `user_id`;
    # unless `sees_all` (the teacher, the job dispatcher), reads and writes are limited
    # to the user's own rows (reads also to rows shared with the class). `as_user`
    # makes such a view; the store the app holds sees all.
    user_id: str = schema.OWNER_ID
    sees_all: bool = True

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
            for step in schema.MIGRATIONS[version:]:
                for statement in step:
                    conn.execute(statement)
            conn.execute("UPDATE schema_version SET version = ?", (len(schema.MIGRATIONS),))
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def as_user(self, user_id: str, sees_all: bool = False) -> Self:
        """This store as one user sees it: a copy sharing the database file."""
        view = copy.copy(self)
        view.user_id, view.sees_all = user_id, sees_all
        return view

    def _mine(self) -> tuple[str, tuple[str, ...]]:
        """The SQL condition (and its parameter) for rows this view may change."""
        return ("1", ()) if self.sees_all else ("owner_id = ?", (self.user_id,))

    def _visible(self) -> tuple[str, tuple[str, ...]]:
        """The SQL condition for rows this view may read: its own and shared ones."""
        if self.sees_all:
            return ("1", ())
        return ("(owner_id = ? OR shared = 1)", (self.user_id,))

    def schema_version(self) -> int:
        with self._connect() as conn:
            return conn.execute("SELECT version FROM schema_version").fetchone()[0]

    def close(self) -> None:
        """Nothing stays open between calls; fold the WAL back into the database file."""
        with self._connect() as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
