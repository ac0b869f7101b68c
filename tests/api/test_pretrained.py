"""GET /api/pretrained and runs that start from shipped weights (config.init_from)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

import models
from server.net.train.transfer import feature_extractor_paths
from tests.api.test_runs import wait_done


def head5() -> dict[str, Any]:
    """The zoo mnist_cnn with a 5-way head, as the Transfer section builds it."""
    spec = models.get("mnist_cnn").model_dump(mode="json")
    linears = [layer for layer in spec["layers"] if layer["type"] == "linear"]
    linears[-1]["out_features"] = 5
    return spec


def test_lists_the_shipped_weights(client: TestClient) -> None:
    r = client.get("/api/pretrained")
    assert r.status_code == 200
    by_name = {e["name"]: e for e in r.json()}
    src = by_name["mnist_cnn_digits04"]
    assert src["classes"] == [0, 1, 2, 3, 4]
    assert src["source_data"] == "MNIST digits 0-4"
    assert 0.9 < src["heldout_accuracy"] <= 1
    assert by_name["mnist_cnn"]["classes"] == list(range(10))


def test_frozen_transfer_run_finishes_through_the_runner(client: TestClient) -> None:
    spec = head5()
    frozen = feature_extractor_paths(models.get("mnist_cnn"))
    config = {
        "dataset": "mnist",
        "classes": [5, 6, 7, 8, 9],
        "per_class": 10,
        "epochs": 1,
        "batch_size": 25,
        "init_from": "mnist_cnn_digits04",
        "frozen": frozen,
    }
    r = client.post("/api/runs", json={"spec": spec, "config": config})
    assert r.status_code == 201, r.text
    run = wait_done(client, r.json()["id"])
    assert run["status"] == "done", run["message"]
    assert run["config"]["frozen"] == frozen
    assert 0 <= run["accuracy"] <= 1


def test_mismatched_conv_shapes_name_the_key(client: TestClient) -> None:
    spec = head5()
    conv = next(layer for layer in spec["layers"] if layer["type"] == "conv2d")
    conv["out_channels"] += 1
    config = {"dataset": "mnist", "classes": [5, 6, 7, 8, 9], "init_from": "mnist_cnn_digits04"}
    r = client.post("/api/runs", json={"spec": spec, "config": config})
    assert r.status_code == 422
    detail = str(r.json()["detail"])
    assert "layers.0" in detail and "weight" in detail


def test_unknown_weights_name_is_a_422(client: TestClient) -> None:
    config = {"dataset": "mnist", "classes": [5, 6, 7, 8, 9], "init_from": "nope"}
    r = client.post("/api/runs", json={"spec": head5(), "config": config})
    assert r.status_code == 422
    assert "nope" in str(r.json()["detail"])
