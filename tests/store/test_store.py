"""server/store.py: CRUD, id checks, migrations, threads, and durability under kill -9."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from server.store import NotFound, Store, StoreFull, db, schema, valid_id

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "db" / "test.sqlite3")


def test_create_get_update_delete(store: Store) -> None:
    net_id = store.create_network("a", '{"name": "a"}')
    assert valid_id(net_id)
    row = store.get_network(net_id)
    assert (row.name, row.spec_json) == ("a", '{"name": "a"}')
    assert row.created_at == row.updated_at

    store.update_network(net_id, "b", '{"name": "b"}')
    row2 = store.get_network(net_id)
    assert (row2.name, row2.spec_json, row2.created_at) == ("b", '{"name": "b"}', row.created_at)
    assert row2.updated_at > row.updated_at

    store.delete_network(net_id)
    with pytest.raises(NotFound):
        store.get_network(net_id)
    with pytest.raises(NotFound):
        store.delete_network(net_id)
    with pytest.raises(NotFound):
        store.update_network(net_id, "c", "{}")


def test_list_is_most_recently_updated_first(store: Store) -> None:
    ids = [store.create_network(f"n{i}", "{}") for i in range(3)]
    assert [r.id for r in store.list_networks()] == ids[::-1]
    store.update_network(ids[0], "n0", "{}")
    assert [r.id for r in store.list_networks()] == [ids[0], ids[2], ids[1]]


@pytest.mark.parametrize(
    "bad", ["", "x", "0" * 31, "0" * 33, "A" * 32, "' OR 1=1 --" + "0" * 21, "../" * 11]
)
def test_ids_that_are_not_uuid_hex_are_not_found(store: Store, bad: str) -> None:
    store.create_network("a", "{}")
    for call in (store.get_network, store.delete_network):
        with pytest.raises(NotFound):
            call(bad)
    with pytest.raises(NotFound):
        store.update_network(bad, "x", "{}")
    assert store.count_networks() == 1


def test_row_limit(store: Store) -> None:
    store.create_network("a", "{}", max_rows=2)
    store.create_network("b", "{}", max_rows=2)
    with pytest.raises(StoreFull) as info:
        store.create_network("c", "{}", max_rows=2)
    assert info.value.limit == 2
    assert store.count_networks() == 2


def test_pragmas_and_schema_version(store: Store) -> None:
    assert store.schema_version() == len(schema.MIGRATIONS)
    conn = sqlite3.connect(store.path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        conn.close()
    with store._connect() as c:
        assert c.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert c.execute("PRAGMA busy_timeout").fetchone()[0] == db.BUSY_TIMEOUT_MS


def test_reopening_keeps_rows_and_runs_no_migration_twice(store: Store) -> None:
    net_id = store.create_network("a", "{}")
    again = Store(store.path)
    assert again.get_network(net_id).name == "a"
    assert again.schema_version() == len(schema.MIGRATIONS)


def test_a_new_migration_is_applied_once(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    net_id = store.create_network("a", "{}")
    extra = ("CREATE TABLE extra (id TEXT PRIMARY KEY, network_id TEXT REFERENCES networks(id))",)
    monkeypatch.setattr(schema, "MIGRATIONS", [*schema.MIGRATIONS, extra])
    upgraded = Store(store.path)
    assert upgraded.schema_version() == len(schema.MIGRATIONS)  # the extra one included
    assert upgraded.get_network(net_id).name == "a"
    Store(store.path)  # a second open must not re-run CREATE TABLE extra
    # foreign keys are enforced: a row cannot point at a missing network
    with upgraded._connect() as c, pytest.raises(sqlite3.IntegrityError):
        c.execute("INSERT INTO extra VALUES ('r', 'missing')")


def test_concurrent_writers_from_threads(store: Store) -> None:
    with ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(lambda i: store.create_network(f"n{i}", "{}"), range(40)))
    assert len(set(ids)) == 40
    assert store.count_networks() == 40


def test_concurrent_saves_cannot_pass_the_limit(store: Store) -> None:
    def save(i: int) -> bool:
        try:
            store.create_network(f"n{i}", "{}", max_rows=5)
        except StoreFull:
            return False
        return True

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(save, range(20)))
    assert sum(results) == 5
    assert store.count_networks() == 5


def test_a_saved_design_survives_kill_9(tmp_path: Path) -> None:
    db = tmp_path / "crash.sqlite3"
    script = textwrap.dedent(
        f"""
        import sys, time
        from server.store import Store
        store = Store({str(db)!r})
        net_id = store.create_network("survivor", '{{"name": "survivor"}}')
        print(net_id, flush=True)
        time.sleep(60)  # killed long before this ends
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        net_id = proc.stdout.readline().strip()
        os.kill(proc.pid, signal.SIGKILL)  # right after the save returned
        assert proc.wait(timeout=10) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
    assert valid_id(net_id)
    row = Store(db).get_network(net_id)
    assert row.name == "survivor"
    assert row.spec_json == '{"name": "survivor"}'


def test_last_seq_of_a_run(tmp_path: Path) -> None:
    store = Store(tmp_path / "db.sqlite3")
    store.create_run("a" * 32, "{}", "{}")
    assert store.last_seq("a" * 32) == 0
    store.add_run_events([("a" * 32, 1, "{}"), ("a" * 32, 2, "{}"), ("a" * 32, 7, "{}")])
    assert store.last_seq("a" * 32) == 7
    assert store.last_seq("b" * 32) == 0
