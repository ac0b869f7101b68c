from __future__ import annotations

import json
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient

import models
from server.config import Settings
from server.net.core.encode import png_data_url
from server.net.data import datasets
from server.store import Store
from tests.clients import open_client

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


def wait_done(client: TestClient, run_id: str, timeout: float = 240) -> dict:
    """The run once it has ended (any status but queued/running); shared by the API tests."""
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
    assert r.json()["errors"][0]["field"] == "config.optimizer"
    r = client.post("/api/runs", json={"spec": mlp(), "config": {"batch_size": 0}})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "config.batch_size"


def test_output_must_match_the_classes(client: TestClient) -> None:
    spec = mlp()
    spec["layers"][-1]["out_features"] = 7
    r = client.post("/api/runs", json={"spec": spec, "config": TINY})
    assert r.status_code == 422
    assert "(7,)" in r.json()["detail"] and "(10,)" in r.json()["detail"]


def test_input_channels_must_convert(client: TestClient) -> None:
    # 1 and 3 channels convert into each other (grey <-> RGB, issue 6); 2 do not.
    spec = mlp()
    spec["input"]["channels"] = 2
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
    assert run["ran_on"]["executor"] == "local" and run["ran_on"]["device"] == "cpu"
    assert run["ran_on"]["node"] and run["ran_on"]["pid"] > 0
    listed = client.get("/api/runs").json()
    assert listed[0]["id"] == run_id and listed[0]["config"]["dataset"] == "digits"
    assert listed[0]["task"] == "classification" and listed[0]["miou"] is None
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


def test_runs_left_running_are_queued_again_on_start(settings: Settings) -> None:
    """Issue 15: a run a crashed server left running trains again (not failed)."""
    store = Store(settings.db_path)
    store.create_run("a" * 32, json.dumps(mlp()), json.dumps(TINY))
    store.set_run_status("a" * 32, "running")
    with open_client(settings) as c:
        run = wait_done(c, "a" * 32)
        assert run["status"] == "done" and run["ran_on"]["executor"] == "local"
        assert read_sse(c, "a" * 32)[-1] == {"event": "end", "data": {"status": "done"}}


def test_an_unknown_frozen_path_is_named(client: TestClient) -> None:
    body = {
        "spec": models.get("mlp").model_dump(mode="json"),
        "config": {"dataset": "digits", "frozen": ["layers.99"]},
    }
    response = client.post("/api/runs", json=body)
    assert response.status_code == 422
    assert "layers.99" in response.json()["detail"]


def _finished_run(settings: Settings, items: list[list], total: int) -> str:
    """A done run stored directly (no worker): digits classes 5-9 on the mlp (28x28 input)."""
    store = Store(settings.db_path)
    spec = mlp()
    spec["layers"][-1]["out_features"] = 5
    config = {**TINY, "classes": [5, 6, 7, 8, 9]}
    run_id = "c" * 32
    store.create_run(run_id, json.dumps(spec), json.dumps(config))
    confusion = [[10 if i == j else 1 for j in range(5)] for i in range(5)]
    metrics = {
        "accuracy": 0.5,
        "per_class": [],
        "confusion": confusion,
        "labels": ["5", "6", "7", "8", "9"],
        "misclassified": {"total": total, "items": items},
    }
    store.set_run_status(run_id, "done", "", json.dumps(metrics))
    return run_id


def test_misclassified_pages_filters_and_labels(settings: Settings) -> None:
    items = [[0, 1, 2, 0.9], [3, 1, 2, 0.8], [5, 0, 4, 0.7], [7, 1, 2, 0.6]]
    run_id = _finished_run(settings, items, total=20)
    with open_client(settings) as c:
        url = f"/api/runs/{run_id}/misclassified"
        page = c.get(url, params={"limit": 2}).json()
        assert (page["total"], page["kept"], page["matching"]) == (20, 4, 4)
        assert [i["index"] for i in page["items"]] == [0, 3]
        first = page["items"][0]
        assert (first["true_label"], first["pred_label"], first["confidence"]) == ("6", "7", 0.9)
        assert first["image"].startswith("data:image/png;base64,")
        nxt = c.get(url, params={"limit": 2, "offset": 2}).json()
        assert [i["index"] for i in nxt["items"]] == [5, 7]
        cell = c.get(url, params={"true": 1, "pred": 2}).json()
        assert cell["matching"] == 3 and {i["index"] for i in cell["items"]} == {0, 3, 7}
        assert c.get(url, params={"true": 0, "pred": 1}).json()["items"] == []
        # The image is the run's own held-out sample 0 of digits 5-9 at the spec's size.
        data = datasets.load("digits", 28, 28, classes=[5, 6, 7, 8, 9])
        assert first["image"] == png_data_url(data.x_val[0][0])[0]
        bad = c.get(url, params={"true": 5})
        assert bad.status_code == 422 and "0..4" in bad.json()["detail"]
        bad = c.get(url, params={"limit": 1000})
        assert bad.status_code == 422 and "CNNPLAY_MAX_MISCLASSIFIED_PAGE" in bad.json()["detail"]
        assert c.get(url, params={"offset": -1}).status_code == 422


def test_pause_resume_and_misclassified_refusals(settings: Settings) -> None:
    store = Store(settings.db_path)
    store.create_run("d" * 32, json.dumps(mlp()), json.dumps(TINY))
    store.set_run_status("d" * 32, "done")
    store.create_run("e" * 32, json.dumps(mlp()), json.dumps(TINY))
    store.set_run_status("e" * 32, "failed", "boom")
    with open_client(settings) as c:
        r = c.post("/api/runs/" + "d" * 32 + "/pause")
        assert r.status_code == 409 and "it is done" in r.json()["detail"]
        r = c.post("/api/runs/" + "d" * 32 + "/resume")
        assert r.status_code == 409 and "paused" in r.json()["detail"]
        r = c.post("/api/runs/" + "e" * 32 + "/resume")
        assert r.status_code == 409 and "without a checkpoint" in r.json()["detail"]
        assert c.get("/api/runs/" + "e" * 32).json()["resumable"] is False
        r = c.get("/api/runs/" + "d" * 32 + "/misclassified")
        assert r.status_code == 409 and "no results" in r.json()["detail"]
        assert c.post("/api/runs/" + "0" * 32 + "/pause").status_code == 404


def _sse_ids(messages: list[dict]) -> list[int]:
    return [int(m["id"]) for m in messages if "id" in m]


@pytest.mark.slow
def test_pause_survives_a_restart_and_resumes(settings: Settings) -> None:
    config = {**TINY, "epochs": 20, "batch_size": 16, "train_limit": 480}  # 600 iterations
    with open_client(settings) as c:
        run_id = c.post("/api/runs", json={"spec": mlp(), "config": config}).json()["id"]
        deadline = time.monotonic() + 60
        while Store(settings.db_path).last_seq(run_id) < 5:  # "start" and a few points
            assert time.monotonic() < deadline
            time.sleep(0.1)
        r = c.post(f"/api/runs/{run_id}/pause")
        assert r.status_code == 200 and r.json()["pausing"] is True
        first = read_sse(c, run_id)  # ends once the worker has checkpointed and stopped
        assert first[-1] == {"event": "end", "data": {"status": "paused"}}
        run = c.get(f"/api/runs/{run_id}").json()
        assert run["status"] == "paused" and run["resumable"]
        assert c.post(f"/api/runs/{run_id}/pause").status_code == 409
    with open_client(settings) as c:
        run = c.get(f"/api/runs/{run_id}").json()
        assert run["status"] == "paused" and run["resumable"]  # the restart kept it
        last = _sse_ids(first)[-1]
        r = c.post(f"/api/runs/{run_id}/resume")
        assert r.status_code == 200 and r.json()["status"] in ("queued", "running")
        # EventSource reconnecting with the last id it saw: the rest, no repeats, no gaps.
        rest = read_sse(c, run_id, {"Last-Event-ID": str(last)})
        assert rest[-1]["event"] == "end" and rest[-1]["data"]["status"] == "done"
        assert _sse_ids(rest) == list(range(last + 1, last + 1 + len(_sse_ids(rest))))
        kinds = [m["data"]["kind"] for m in first + rest if "id" in m]
        assert kinds.count("start") == 1 and kinds.count("resume") == 1
        its = [m["data"]["iter"] for m in first + rest if "id" in m and m["data"]["kind"] == "iter"]
        assert its == list(range(1, 601))
        run = wait_done(c, run_id)
        assert run["status"] == "done" and not run["resumable"] and run["has_weights"]
        cm = run["metrics"]["confusion"]
        wrong = sum(cm[i][j] for i in range(10) for j in range(10) if i != j)
        page = c.get(f"/api/runs/{run_id}/misclassified", params={"limit": 5}).json()
        assert page["total"] == run["metrics"]["misclassified"]["total"] == wrong
        assert len(page["items"]) == min(5, wrong)
        assert c.delete(f"/api/runs/{run_id}").status_code == 204
        assert not (settings.data_dir / "runs" / f"{run_id}.ckpt.safetensors").exists()


def test_val_split_out_of_range_names_the_field(client: TestClient) -> None:
    r = client.post("/api/runs", json={"spec": mlp(), "config": {**TINY, "val_split": 0.9}})
    assert r.status_code == 422
    detail = r.json()["errors"][0]
    assert detail["field"] == "config.val_split" and "0.5" in detail["msg"], detail
