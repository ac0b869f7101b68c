from __future__ import annotations

import json
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient

import models
from server.config import Settings
from server.main import create_app
from server.store import Store

TINY = {"dataset": "digits", "epochs": 1, "batch_size": 64, "train_limit": 320}


def mlp() -> dict[str, Any]:
    return models.get("mlp").model_dump(mode="json")


def read_sse(client: TestClient, run_id: str, headers: dict[str, str] | None = None) -> list[dict]:
    """Every message of the stream until it ends: {"id", "event", "data"}."""
    out: list[dict] = []
    with client.stream("GET", f"/api/runs/{run_id}/events", headers=headers or {}) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        msg: dict[str, Any] = {}
        for line in r.iter_lines():
            if not line:
                if msg:
                    out.append(msg)
                msg = {}
                continue
            key, _, value = line.partition(": ")
            msg[key] = json.loads(value) if key == "data" else value
    return out


def wait_done(client: TestClient, run_id: str, timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = client.get(f"/api/runs/{run_id}").json()
        if run["status"] not in ("queued", "running"):
            return run
        time.sleep(0.1)
    raise AssertionError("the run did not end")


def test_bad_config_names_the_field(client: TestClient) -> None:
    r = client.post("/api/runs", json={"spec": mlp(), "config": {"optimizer": "lbfgs"}})
    assert r.status_code == 422
    assert r.json()["detail"][0]["field"] == "config.optimizer"
    r = client.post("/api/runs", json={"spec": mlp(), "config": {"batch_size": 0}})
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "config.batch_size"


def test_output_must_match_the_classes(client: TestClient) -> None:
    spec = mlp()
    spec["layers"][-1]["out_features"] = 7
    r = client.post("/api/runs", json={"spec": spec, "config": TINY})
    assert r.status_code == 422
    assert "(7,)" in r.json()["detail"] and "(10,)" in r.json()["detail"]


def test_colour_input_is_refused(client: TestClient) -> None:
    spec = mlp()
    spec["input"]["channels"] = 3
    r = client.post("/api/runs", json={"spec": spec, "config": TINY})
    assert r.status_code == 422 and "channels" in r.json()["detail"]


def test_unknown_run_is_404(client: TestClient) -> None:
    assert client.get("/api/runs/" + "0" * 32).status_code == 404
    assert client.get("/api/runs/nope/events").status_code == 404


@pytest.mark.slow
def test_run_lifecycle_and_sse_resume(client: TestClient) -> None:
    r = client.post("/api/runs", json={"spec": mlp(), "config": TINY})
    assert r.status_code == 201, r.text
    run_id = r.json()["id"]
    assert r.json()["status"] in ("queued", "running")
    everything = read_sse(client, run_id)  # follows the run live until it ends
    assert everything[-1]["event"] == "end"
    ids = [int(m["id"]) for m in everything if "id" in m]
    assert ids == list(range(1, len(ids) + 1))
    kinds = [m["data"]["kind"] for m in everything if "id" in m]
    assert kinds.count("iter") == 5 and kinds[-1] == "end"
    # Reconnect as EventSource would after seeing id 3: the rest, no repeats, no gaps.
    resumed = read_sse(client, run_id, {"Last-Event-ID": "3"})
    assert [int(m["id"]) for m in resumed if "id" in m] == ids[3:]
    run = wait_done(client, run_id)
    assert run["status"] == "done" and run["has_weights"]
    assert 0 < run["accuracy"] <= 1 and len(run["metrics"]["confusion"]) == 10
    listed = client.get("/api/runs").json()
    assert listed[0]["id"] == run_id and listed[0]["config"]["dataset"] == "digits"
    assert client.post(f"/api/runs/{run_id}/cancel").status_code == 409
    assert client.delete(f"/api/runs/{run_id}").status_code == 204
    assert client.get(f"/api/runs/{run_id}").status_code == 404


@pytest.mark.slow
def test_cancel_a_running_run(client: TestClient) -> None:
    config = {**TINY, "epochs": 50, "batch_size": 8, "train_limit": None}
    run_id = client.post("/api/runs", json={"spec": mlp(), "config": config}).json()["id"]
    deadline = time.monotonic() + 60
    while client.get(f"/api/runs/{run_id}").json()["status"] != "running":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert client.delete(f"/api/runs/{run_id}").status_code == 409
    assert client.post(f"/api/runs/{run_id}/cancel").status_code == 200
    assert wait_done(client, run_id, timeout=20)["status"] == "cancelled"


def test_event_stream_refuses_a_foreign_origin(client: TestClient) -> None:
    r = client.get(
        "/api/runs/" + "0" * 32 + "/events",
        headers={"Origin": "http://evil.example", "Accept": "text/event-stream"},
    )
    assert r.status_code == 403


def test_datasets_listing(client: TestClient) -> None:
    got = {d["name"]: d for d in client.get("/api/train/datasets").json()}
    assert got["mnist"]["train_size"] == 8000 and got["mnist"]["val_size"] == 2000
    assert got["digits"]["train_size"] + got["digits"]["val_size"] == 1797


def test_runs_left_running_are_failed_on_start(settings: Settings) -> None:
    store = Store(settings.db_path)
    store.create_run("a" * 32, json.dumps(mlp()), json.dumps(TINY))
    store.set_run_status("a" * 32, "running")
    with TestClient(create_app(settings), base_url="http://127.0.0.1:8000") as c:
        run = c.get("/api/runs/" + "a" * 32).json()
        assert run["status"] == "failed" and run["message"] == "server restarted"
        # Its stream ends at once instead of waiting forever.
        assert read_sse(c, "a" * 32)[-1] == {"event": "end", "data": {"status": "failed"}}


def test_an_unknown_frozen_path_is_named(client: TestClient) -> None:
    body = {
        "spec": models.get("mlp").model_dump(mode="json"),
        "config": {"dataset": "digits", "frozen": ["layers.99"]},
    }
    response = client.post("/api/runs", json=body)
    assert response.status_code == 422
    assert "layers.99" in response.json()["detail"]
