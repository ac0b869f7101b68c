"""The schema: each entry of MIGRATIONS moves it one version up, in one transaction.

Never edit a released entry; append.
"""

from __future__ import annotations

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
]
