"""A run's event stream carries its "snapshot" events (issue 19), live and in a replay."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import models
from server.config import Settings
from tests.api.test_runs import read_sse, wait_done
from tests.clients import open_client

CONV = {"dataset": "digits", "epochs": 2, "batch_size": 64, "train_limit": 320}


def lenet() -> dict:
    return models.get("lenet5_mnist").model_dump(mode="json")


@pytest.mark.slow
def test_the_event_stream_carries_snapshots_and_replays_them(tmp_path: Path) -> None:
    settings = Settings(warm_workers=0, data_dir=tmp_path / "data", snapshot_interval_s=0.05)
    with open_client(settings) as client:
        r = client.post("/api/runs", json={"spec": lenet(), "config": CONV})
        assert r.status_code == 201, r.text
        run_id = r.json()["id"]
        assert client.app.state.store.snapshot_budget == settings.snapshot_run_bytes
        live = read_sse(client, run_id)  # followed while it trains
        assert wait_done(client, run_id)["status"] == "done"
        snaps = [m for m in live if "id" in m and m["data"]["kind"] == "snapshot"]
        assert len(snaps) >= 2
        first, last = snaps[0]["data"], snaps[-1]["data"]
        assert first["iter"] == 0 and last["iter"] == 10  # 2 epochs of 5 batches
        assert first["filters"]["layer"] == "layers.0" and first["filters"]["filters"] == 6
        assert first["filters"]["png"] != last["filters"]["png"]
        layers = [p["path"] for p in last["probe"]["layers"]]
        assert layers[0] == "layers.0" and layers[-1] == "layers.11"
        assert last["probe"]["source"] == "heldout" and len(last["probe"]["output"]["probs"]) == 10
        # The finished run replays the same snapshots, and Last-Event-ID resumes among them.
        replay = read_sse(client, run_id)
        assert [m for m in replay if "id" in m] == [m for m in live if "id" in m]
        after = read_sse(client, run_id, {"Last-Event-ID": snaps[0]["id"]})
        resumed = [m["data"] for m in after if "id" in m and m["data"]["kind"] == "snapshot"]
        assert resumed == [m["data"] for m in snaps[1:]]


@pytest.mark.slow
def test_snapshots_can_be_switched_off(client: TestClient) -> None:
    r = client.post("/api/runs", json={"spec": lenet(), "config": {**CONV, "snapshots": False}})
    run_id = r.json()["id"]
    events = read_sse(client, run_id)
    assert not [m for m in events if "id" in m and m["data"]["kind"] == "snapshot"]


def test_a_bad_probe_is_refused_naming_the_field(client: TestClient) -> None:
    bad = {**CONV, "probe_image": "data:image/jpeg;base64,AAAA"}
    r = client.post("/api/runs", json={"spec": lenet(), "config": bad})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "config.probe_image"
    r = client.post("/api/runs", json={"spec": lenet(), "config": {**CONV, "probe_index": -1}})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "config.probe_index"
