from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

import models
from server.config import Settings
from tests.api.test_runs import wait_done
from tests.clients import open_client


def _post(client: TestClient, path: str, body: dict[str, Any]) -> Any:
    r = client.post(f"/api/learning/{path}", json=body)
    assert r.status_code == 200, r.text
    return r.json()


def test_gradflow_at_init_sigmoid_vs_relu(client: TestClient) -> None:
    sig = _post(client, "gradflow", {"preset": "sigmoid", "depth": 8, "width": 32})
    relu = _post(client, "gradflow", {"preset": "relu_he", "depth": 8, "width": 32})
    assert sig["init"] == "xavier" and relu["init"] == "kaiming" and sig["preset"] == "sigmoid"
    assert len(sig["layers"]) == 8 and sig["batch_size"] == 64
    assert relu["layers"][0]["grad_norm"] / sig["layers"][0]["grad_norm"] >= 1e3
    first = sig["layers"][0]
    assert first["path"] == "layers.1" and first["act_type"] == "sigmoid"
    assert (first["lo"], first["hi"]) == (0.0, 1.0) and len(first["hist"]) == 30
    assert sum(first["hist"]) == 64 * 32  # batch x units
    assert relu["layers"][0]["zeros"] > 0.2  # dead half of the ReLUs


def test_gradflow_of_a_zoo_spec(client: TestClient) -> None:
    spec = models.get("lenet5_mnist").model_dump(mode="json")
    body = _post(client, "gradflow", {"spec": spec, "batch_size": 8, "bins": 10})
    shapes = client.post("/api/shapes", json=spec).json()["layers"]
    weighted = [row["path"] for row in shapes if row["type"] in ("conv2d", "linear")]
    assert [layer["path"] for layer in body["layers"]] == weighted
    assert body["preset"] is None and body["init"] == "default"
    assert all(layer["grad_norm"] > 0 and len(layer["hist"]) == 10 for layer in body["layers"])


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"depth": 41}, "CNNPLAY_MAX_GRADFLOW_DEPTH"),
        ({"width": 5000}, "CNNPLAY_MAX_GRADFLOW_WIDTH"),
        ({"batch_size": 10_000}, "CNNPLAY_MAX_GRADFLOW_BATCH"),
        ({"preset": "nope"}, "preset"),
    ],
)
def test_gradflow_limits_are_named(client: TestClient, body: dict, needle: str) -> None:
    r = client.post("/api/learning/gradflow", json=body)
    assert r.status_code == 422 and needle in r.text


def test_gradflow_refuses_a_spec_that_cannot_take_mnist(client: TestClient) -> None:
    colour = models.get("lenet5_mnist").model_dump(mode="json")
    colour["input"]["channels"] = 3
    r = client.post("/api/learning/gradflow", json={"spec": colour})
    assert r.status_code == 422 and "channels" in r.text
    wrong_head = {
        "input": {"channels": 1, "height": 28, "width": 28},
        "layers": [{"type": "flatten"}, {"type": "linear", "out_features": 7}],
    }
    r = client.post("/api/learning/gradflow", json={"spec": wrong_head})
    assert r.status_code == 422 and "(10,)" in r.text
    broken = {
        "input": {"channels": 1, "height": 4, "width": 4},
        "layers": [{"type": "conv2d", "out_channels": 2, "kernel_size": 9}],
    }
    r = client.post("/api/learning/gradflow", json={"spec": broken})
    assert r.status_code == 422 and "layers.0" in r.text


def test_comparison_lists_four_runs_with_the_probe_on(client: TestClient) -> None:
    body = _post(client, "gradflow/comparison", {"depth": 6, "width": 16, "probe_every": 3})
    assert [r["key"] for r in body["runs"]] == ["sigmoid", "relu_he", "batchnorm", "residual"]
    for run in body["runs"]:
        assert run["config"]["probe_every"] == 3 and run["config"]["dataset"] == "mnist"
        shapes = client.post("/api/shapes", json=run["spec"]).json()
        assert shapes["valid"] and shapes["output_shape"] == [10]
        linears = [row for row in shapes["layers"] if row["type"] == "linear"]
        assert len(linears) == 6
    r = client.post("/api/learning/gradflow/comparison", json={"depth": 99})
    assert r.status_code == 422 and "CNNPLAY_MAX_GRADFLOW_DEPTH" in r.text


@pytest.mark.slow
def test_comparison_runs_through_the_job_runner(client: TestClient) -> None:
    body = _post(
        client,
        "gradflow/comparison",
        {"depth": 6, "width": 16, "train_limit": 128, "batch_size": 32, "probe_every": 2},
    )
    ids = {}
    for run in body["runs"][:2]:  # sigmoid and ReLU + He: the two the issue compares
        r = client.post("/api/runs", json={"spec": run["spec"], "config": run["config"]})
        assert r.status_code == 201, r.text
        ids[run["key"]] = r.json()["id"]
    flows: dict[str, list[dict]] = {}
    for key, run_id in ids.items():
        assert wait_done(client, run_id)["status"] == "done"
        events = [e for _, e in client.app.state.runner.events(run_id)]  # type: ignore[attr-defined]
        flows[key] = [e for e in events if e["kind"] == "gradflow"]
    assert [e["iter"] for e in flows["sigmoid"]] == [1, 3]  # 128 / 32 = 4 iterations
    first = {k: [e["layers"][0]["grad_norm"] for e in v] for k, v in flows.items()}
    assert all(r >= 100 * s for r, s in zip(first["relu_he"], first["sigmoid"]))


def test_init_histograms(client: TestClient) -> None:
    body = _post(client, "init", {"depth": 6, "width": 64, "batch": 128, "activation": "tanh"})
    assert [r["init"] for r in body["runs"]] == ["zeros", "small", "xavier", "he"]
    runs = {r["init"]: r["layers"] for r in body["runs"]}
    assert all(layer["identical_units"] and layer["std"] == 0 for layer in runs["zeros"])
    assert runs["small"][-1]["std"] < 1e-3 * runs["small"][0]["std"]
    assert runs["xavier"][-1]["std"] > 0.3 * runs["xavier"][0]["std"]
    for layer in runs["xavier"]:
        assert (layer["lo"], layer["hi"]) == (-1.0, 1.0) and sum(layer["hist"]) == 128 * 64
    # He + ReLU: E[h^2] stays near E[x^2] = 1 (width 128; narrower layers drift more).
    relu = _post(client, "init", {"depth": 6, "activation": "relu", "inits": ["he"]})
    assert [r["init"] for r in relu["runs"]] == ["he"]
    assert all(0.5 < layer["second_moment"] < 2 for layer in relu["runs"][0]["layers"])


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"depth": 51}, "CNNPLAY_MAX_INIT_DEPTH"),
        ({"width": 2000}, "CNNPLAY_MAX_INIT_WIDTH"),
        ({"batch": 5000}, "CNNPLAY_MAX_INIT_BATCH"),
        ({"width": 1024, "batch": 2048}, "CNNPLAY_MAX_INIT_MACS"),
        ({"activation": "softmax"}, "activation"),
        ({"inits": []}, "inits"),
    ],
)
def test_init_limits_are_named(client: TestClient, body: dict, needle: str) -> None:
    r = client.post("/api/learning/init", json=body)
    assert r.status_code == 422 and needle in r.text


def test_init_cost_limit_says_how_deep_fits(client: TestClient) -> None:
    # 4 inits x 128^2 x 256 = 16,777,216 multiply-adds a layer: 29 layers fit in 500M, 30 not.
    r = client.post("/api/learning/init", json={"depth": 30, "width": 128, "batch": 256})
    assert r.status_code == 422
    assert "at most 29 layers" in r.json()["detail"]
    ok = client.post("/api/learning/init", json={"depth": 29, "width": 128, "batch": 256})
    assert ok.status_code == 200


def test_a_batch_past_the_activation_limit_is_refused_before_building(
    settings: Settings,
) -> None:
    # issue 13: the per-image activation check let 512 images of a big spec through
    small = settings.model_copy(update={"max_activation_bytes": 10 * 2**20})
    spec = {
        "name": "wide",
        "input": {"channels": 1, "height": 28, "width": 28},
        "layers": [
            {"type": "conv2d", "out_channels": 32, "kernel_size": 3, "padding": 1},
            {"type": "relu"},
            {"type": "flatten"},
            {"type": "linear", "out_features": 10},
        ],
    }
    with open_client(small) as c:
        r = c.post("/api/learning/gradflow", json={"spec": spec, "batch_size": 512})
        assert r.status_code == 413 and "batch_size" in r.json()["detail"]
        assert "CNNPLAY_MAX_ACTIVATION_BYTES" in r.json()["detail"]
        ok = c.post("/api/learning/gradflow", json={"spec": spec, "batch_size": 8})
        assert ok.status_code == 200, ok.text


def test_comparison_probe_every_is_bounded_as_a_runs_is(client) -> None:
    # schemathesis found a 500: a probe_every past TrainConfig's bound failed inside
    r = client.post("/api/learning/gradflow/comparison", json={"probe_every": 7_037_146_345_605})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "probe_every"
