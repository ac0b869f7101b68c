"""Saved designs: their spec, summary and layer locks."""

from __future__ import annotations

from dataclasses import dataclass

from server.store.db import Database, NotFound, StoreFull, new_id, now, valid_id


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


class NetworksTable(Database):
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
        net_id, stamp = new_id(), now()
        with self._write() as conn:
            if max_rows is not None:
                (count,) = conn.execute("SELECT COUNT(*) FROM networks").fetchone()
                if count >= max_rows:
                    raise StoreFull(max_rows)
            conn.execute(
                "INSERT INTO networks (id, name, spec_json, created_at, updated_at, "
                "summary_json, frozen_json) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (net_id, name, spec_json, stamp, stamp, summary_json, frozen_json),
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
                (name, spec_json, summary_json, frozen_json, now(), net_id),
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
