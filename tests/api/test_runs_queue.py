"""queue_position in a run's JSON (issue 14): the place among waiting runs."""

from __future__ import annotations

from pathlib import Path

from server.config import Settings
from tests.clients import open_client

SPEC = {
    "name": "tiny",
    "input": {"channels": 1, "height": 8, "width": 8},
    "layers": [{"type": "flatten"}, {"type": "linear", "out_features": 10}],
}
CONFIG = {"dataset": "digits", "epochs": 1}


def test_waiting_runs_show_their_queue_position(tmp_path: Path) -> None:
    # No slots: every run waits, nothing trains.
    settings = Settings(data_dir=tmp_path / "data", max_jobs=0, warm_workers=0)
    with open_client(settings) as client:
        ids = []
        for _ in range(3):
            r = client.post("/api/runs", json={"spec": SPEC, "config": CONFIG})
            assert r.status_code == 201, r.text
            ids.append(r.json()["id"])
        assert [client.get(f"/api/runs/{i}").json()["queue_position"] for i in ids] == [1, 2, 3]
        assert client.post(f"/api/runs/{ids[0]}/cancel").status_code == 200
        listed = {run["id"]: run for run in client.get("/api/runs").json()}
        assert listed[ids[0]]["status"] == "cancelled"
        assert listed[ids[0]]["queue_position"] is None
        assert [listed[i]["queue_position"] for i in ids[1:]] == [1, 2]
