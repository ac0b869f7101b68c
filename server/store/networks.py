"""Saved designs: their spec, summary and layer locks, each with its owner (issue 14)."""

from __future__ import annotations

from dataclasses import dataclass

from server.store.db import Database, NotFound, StoreFull, new_id, now, valid_id
from server.store.schema import OWNER_ID


@dataclass(frozen=True)
class NetworkRow:
    id: str
    name: str
    spec_json: str
    created_at: str
    updated_at: str
    summary_json: str | None = None
    frozen_json: str | None = None
    owner_id: str = OWNER_ID
    shared: bool = False


_NETWORK_COLUMNS = (
    "id, name, spec_json, created_at, updated_at, summary_json, frozen_json, owner_id, shared"
)


def _network(row: object) -> NetworkRow:
    values = dict(row)  # type: ignore[call-overload]
    values["shared"] = bool(values["shared"])
    return NetworkRow(**values)


class NetworksTable(Database):
    def count_networks(self) -> int:
        """Designs this view owns (all of them for the teacher's)."""
        where, args = self._mine()
        with self._connect() as conn:
            return conn.execute(f"SELECT COUNT(*) FROM networks WHERE {where}", args).fetchone()[0]

    def create_network(
        self,
        name: str,
        spec_json: str,
        max_rows: int | None = None,
        summary_json: str | None = None,
        frozen_json: str | None = None,
        max_own: int | None = None,
    ) -> str:
        """Insert a design owned by this view's user; returns its new id. `max_rows` (all
        designs) and `max_own` (this user's) are checked in the same transaction, so two
        concurrent saves cannot both squeeze past a limit."""
        net_id, stamp = new_id(), now()
        with self._write() as conn:
            if max_rows is not None:
                (count,) = conn.execute("SELECT COUNT(*) FROM networks").fetchone()
                if count >= max_rows:
                    raise StoreFull(max_rows)
            if max_own is not None:
                (count,) = conn.execute(
                    "SELECT COUNT(*) FROM networks WHERE owner_id = ?", (self.user_id,)
                ).fetchone()
                if count >= max_own:
                    raise StoreFull(max_own, per_user=True)
            conn.execute(
                "INSERT INTO networks (id, name, spec_json, created_at, updated_at, "
                "summary_json, frozen_json, owner_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (net_id, name, spec_json, stamp, stamp, summary_json, frozen_json, self.user_id),
            )
        return net_id

    def get_network(self, net_id: str) -> NetworkRow:
        """A design this view may read (its own or a shared one); NotFound otherwise."""
        if not valid_id(net_id):
            raise NotFound(net_id)
        where, args = self._visible()
        with self._connect() as conn:
            row = conn.execute(
                f"SELECT {_NETWORK_COLUMNS} FROM networks WHERE id = ? AND {where}",
                (net_id, *args),
            ).fetchone()
        if row is None:
            raise NotFound(net_id)
        return _network(row)

    def list_networks(self) -> list[NetworkRow]:
        """Every design this view may read, most recently updated first."""
        where, args = self._visible()
        with self._connect() as conn:
            rows = conn.execute(
                f"SELECT {_NETWORK_COLUMNS} FROM networks WHERE {where} "
                "ORDER BY updated_at DESC, rowid DESC",
                args,
            ).fetchall()
        return [_network(r) for r in rows]

    def update_network(
        self,
        net_id: str,
        name: str,
        spec_json: str,
        summary_json: str | None = None,
        frozen_json: str | None = None,
    ) -> None:
        """Replace a design this view owns (a shared one is read-only: NotFound)."""
        if not valid_id(net_id):
            raise NotFound(net_id)
        where, args = self._mine()
        with self._write() as conn:
            cur = conn.execute(
                "UPDATE networks SET name = ?, spec_json = ?, summary_json = ?, frozen_json = ?, "
                f"updated_at = ? WHERE id = ? AND {where}",
                (name, spec_json, summary_json, frozen_json, now(), net_id, *args),
            )
            if cur.rowcount == 0:
                raise NotFound(net_id)

    def set_network_shared(self, net_id: str, shared: bool) -> None:
        """Share a design this view owns with the class (read-only for the others)."""
        if not valid_id(net_id):
            raise NotFound(net_id)
        where, args = self._mine()
        with self._write() as conn:
            cur = conn.execute(
                f"UPDATE networks SET shared = ? WHERE id = ? AND {where}",
                (int(shared), net_id, *args),
            )
            if cur.rowcount == 0:
                raise NotFound(net_id)

    def delete_network(self, net_id: str) -> None:
        if not valid_id(net_id):
            raise NotFound(net_id)
        where, args = self._mine()
        with self._write() as conn:
            cur = conn.execute(f"DELETE FROM networks WHERE id = ? AND {where}", (net_id, *args))
            if cur.rowcount == 0:
                raise NotFound(net_id)
