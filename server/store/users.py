"""Users (issue 14): the teacher's account and the students', the class code, and who
owns which file under the data dir (uploaded datasets, imported weights).

A user's token is stored only as its sha256 (server/auth/tokens.py says why that is
enough for a 256-bit random token); the teacher's is the serve token, never stored.
"""

from __future__ import annotations

from dataclasses import dataclass

from server.store.db import Database, NotFound, StoreFull, new_id, now, valid_id
from server.store.schema import OWNER_ID

OWNER = "owner"
STUDENT = "student"


@dataclass(frozen=True)
class UserRow:
    id: str
    name: str
    role: str
    created_at: str

    @property
    def is_owner(self) -> bool:
        return self.role == OWNER


@dataclass(frozen=True)
class Usage:
    networks: int
    runs: int
    active_runs: int  # queued or running
    stored_bytes: int  # designs' specs + the user's files


class UsersTable(Database):
    def owner(self) -> UserRow:
        return self.get_user(OWNER_ID)

    def get_user(self, user_id: str) -> UserRow:
        if not valid_id(user_id):
            raise NotFound(user_id)
        with self._connect() as conn:
            row = conn.execute(
                "SELECT id, name, role, created_at FROM users WHERE id = ?", (user_id,)
            ).fetchone()
        if row is None:
            raise NotFound(user_id)
        return UserRow(**dict(row))

    def user_by_token_hash(self, token_hash: str) -> UserRow | None:
        with self._connect() as conn:
            row = conn.execute(
                "SELECT id, name, role, created_at FROM users WHERE token_hash = ?", (token_hash,)
            ).fetchone()
        return UserRow(**dict(row)) if row else None

    def create_user(self, name: str, token_hash: str, max_users: int) -> UserRow:
        """A student with that token (hashed); `max_users` is checked in the transaction."""
        user_id, stamp = new_id(), now()
        with self._write() as conn:
            (count,) = conn.execute(
                "SELECT COUNT(*) FROM users WHERE role = ?", (STUDENT,)
            ).fetchone()
            if count >= max_users:
                raise StoreFull(max_users)
            conn.execute(
                "INSERT INTO users (id, name, role, token_hash, created_at) VALUES (?, ?, ?, ?, ?)",
                (user_id, name, STUDENT, token_hash, stamp),
            )
        return UserRow(user_id, name, STUDENT, stamp)

    def list_users(self) -> list[UserRow]:
        """The teacher first, then the students in the order they joined."""
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT id, name, role, created_at FROM users "
                "ORDER BY role = 'owner' DESC, created_at, rowid"
            ).fetchall()
        return [UserRow(**dict(r)) for r in rows]

    def delete_user(self, user_id: str) -> list[tuple[str, str]]:
        """Remove a student with their designs and runs; answers the (kind, id) of their
        files, which the caller deletes from the disk. The teacher cannot be removed."""
        if user_id == OWNER_ID or not valid_id(user_id):
            raise NotFound(user_id)
        with self._write() as conn:
            files = conn.execute(
                "SELECT kind, id FROM owned_files WHERE owner_id = ?", (user_id,)
            ).fetchall()
            conn.execute("DELETE FROM owned_files WHERE owner_id = ?", (user_id,))
            conn.execute("DELETE FROM networks WHERE owner_id = ?", (user_id,))
            conn.execute("DELETE FROM runs WHERE owner_id = ?", (user_id,))
            if conn.execute("DELETE FROM users WHERE id = ?", (user_id,)).rowcount == 0:
                raise NotFound(user_id)
        return [(r[0], r[1]) for r in files]

    def usage(self, user_id: str) -> Usage:
        with self._connect() as conn:
            nets, spec_bytes = conn.execute(
                "SELECT COUNT(*), COALESCE(SUM(LENGTH(spec_json)), 0) FROM networks "
                "WHERE owner_id = ?",
                (user_id,),
            ).fetchone()
            runs, active = conn.execute(
                "SELECT COUNT(*), COALESCE(SUM(status IN ('queued', 'running')), 0) FROM runs "
                "WHERE owner_id = ?",
                (user_id,),
            ).fetchone()
            (file_bytes,) = conn.execute(
                "SELECT COALESCE(SUM(bytes), 0) FROM owned_files WHERE owner_id = ?", (user_id,)
            ).fetchone()
        return Usage(nets, runs, active, spec_bytes + file_bytes)

    # --- the class code -----------------------------------------------------------

    def class_code(self) -> str | None:
        with self._connect() as conn:
            row = conn.execute("SELECT code FROM class_code").fetchone()
        return row[0] if row else None

    def set_class_code(self, code: str | None) -> None:
        """Replace the class code (None: nobody can join)."""
        with self._write() as conn:
            conn.execute("DELETE FROM class_code")
            if code is not None:
                conn.execute(
                    "INSERT INTO class_code (code, created_at) VALUES (?, ?)", (code, now())
                )

    # --- files under the data dir ---------------------------------------------------

    def own_file(self, kind: str, file_id: str, size: int) -> None:
        """Record that this view's user owns a file it just stored."""
        with self._write() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO owned_files (kind, id, owner_id, bytes) "
                "VALUES (?, ?, ?, ?)",
                (kind, file_id, self.user_id, size),
            )

    def file_owner(self, kind: str, file_id: str) -> str:
        """Who owns a file; one with no record (stored before issue 14) is the teacher's."""
        with self._connect() as conn:
            row = conn.execute(
                "SELECT owner_id FROM owned_files WHERE kind = ? AND id = ?", (kind, file_id)
            ).fetchone()
        return row[0] if row else OWNER_ID

    def may_read_file(self, kind: str, file_id: str) -> bool:
        return self.sees_all or self.file_owner(kind, file_id) == self.user_id

    def forget_file(self, kind: str, file_id: str) -> None:
        with self._write() as conn:
            conn.execute("DELETE FROM owned_files WHERE kind = ? AND id = ?", (kind, file_id))
