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

from server.store.db import ID_PATTERN, NotFound, StoreFull, new_id, valid_id
from server.store.networks import NetworkRow, NetworksTable
from server.store.runs import FINISHED, STOPPED, RunRow, RunsTable
from server.store.schema import OWNER_ID
from server.store.users import UserRow, UsersTable


class Store(NetworksTable, RunsTable, UsersTable):
    """Every table of the store; what a caller holds."""


__all__ = [
    "FINISHED",
    "ID_PATTERN",
    "STOPPED",
    "NetworkRow",
    "NotFound",
    "OWNER_ID",
    "RunRow",
    "Store",
    "StoreFull",
    "UserRow",
    "new_id",
    "valid_id",
]
