"""The schema: each entry of MIGRATIONS moves it one version up, in one transaction.

Never edit a released entry; append.
"""

from __future__ import annotations

# The teacher's account (issue 14): the serve token signs in as it; rows stored before
# there were users belong to it.
OWNER_ID = "0" * 32

MIGRATIONS: list[tuple[str, ...]] = [
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
    (  # issue 14: users, a class code, an owner on every stored object, sharing
        """CREATE TABLE users (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            role TEXT NOT NULL,
            token_hash TEXT UNIQUE,
            created_at TEXT NOT NULL
        )""",
        f"INSERT INTO users (id, name, role, token_hash, created_at) "
        f"VALUES ('{OWNER_ID}', 'Teacher', 'owner', NULL, '')",
        f"ALTER TABLE networks ADD COLUMN owner_id TEXT NOT NULL DEFAULT '{OWNER_ID}'",
        "ALTER TABLE networks ADD COLUMN shared INTEGER NOT NULL DEFAULT 0",
        f"ALTER TABLE runs ADD COLUMN owner_id TEXT NOT NULL DEFAULT '{OWNER_ID}'",
        "ALTER TABLE runs ADD COLUMN shared INTEGER NOT NULL DEFAULT 0",
        "CREATE INDEX networks_by_owner ON networks (owner_id)",
        "CREATE INDEX runs_by_owner ON runs (owner_id)",
        # Files under the data dir (uploaded datasets, imported weights): who owns which.
        """CREATE TABLE owned_files (
            kind TEXT NOT NULL,
            id TEXT NOT NULL,
            owner_id TEXT NOT NULL,
            bytes INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (kind, id)
        )""",
        "CREATE TABLE class_code (code TEXT NOT NULL, created_at TEXT NOT NULL)",
    ),
    (  # issue 13: per-run totals of the event stream (quotas, thinning, the seq high-water)
        """CREATE TABLE run_event_totals (
            run_id TEXT PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
            bytes INTEGER NOT NULL DEFAULT 0,
            iters INTEGER NOT NULL DEFAULT 0,
            last_seq INTEGER NOT NULL DEFAULT 0,
            stride INTEGER NOT NULL DEFAULT 1
        )""",
        """INSERT INTO run_event_totals (run_id, bytes, iters, last_seq)
           SELECT run_id, SUM(length(event_json)),
                  SUM(json_extract(event_json, '$.kind') = 'iter'), MAX(seq)
           FROM run_metrics GROUP BY run_id""",
    ),
    (  # issue 15: where a run trained ({"executor", "node", "device", ...}), set at its start
        "ALTER TABLE runs ADD COLUMN ran_on_json TEXT",
    ),
]
