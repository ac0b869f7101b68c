"""/api/learning/weights/{id}/histogram, /constraint, /gates (issue 8)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from fastapi.testclient import TestClient
from safetensors.torch import load_file

from models.train_mnist import WEIGHTS_DIR
from server.config import Settings
from server.net.data import mnist
from server.store import new_id
from tests.clients import open_client


def test_constraint_l1_lands_on_an_axis_and_l2_does_not(client: TestClient) -> None:
    r = client.post("/api/learning/constraint", json={"budget": 1.0})
    assert r.status_code == 200
    d = r.json()
    assert d["l1_zeros"] == 1 and d["l1"][1] == 0.0
    assert d["l2_zeros"] == 0 and min(abs(v) for v in d["l2"]) > 0.1
    assert sum(abs(v) for v in d["l1"]) == pytest.approx(1.0)
    assert np.hypot(*d["l2"]) == pytest.approx(1.0)
    assert len(d["l1_path"]) == len(d["path_budgets"])
    r = client.post("/api/learning/constraint", json={"budget": 0})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "budget"


def test_histogram_of_shipped_weights_equals_numpy(client: TestClient) -> None:
    r = client.get("/api/learning/weights/mnist_cnn/histogram", params={"bins": 30})
    assert r.status_code == 200
    d = r.json()
    tensors = load_file(str(WEIGHTS_DIR / "mnist_cnn.safetensors"))
    # mnist_cnn: conv, conv, linear, linear; every ".weight" is a conv or linear weight.
    flat = np.concatenate([v.numpy().ravel() for k, v in tensors.items() if k.endswith("weight")])
    m = float(np.abs(flat).max())
    counts, edges = np.histogram(flat.astype(np.float64), bins=30, range=(-m, m))
    assert d["counts"] == counts.tolist()
    np.testing.assert_allclose(d["edges"], edges)
    assert d["total"] == flat.size and d["accuracy"] == 0.985
    assert d["near_zero"] == int((np.abs(flat) < 1e-3).sum())
    assert [x["path"] for x in d["layers"]] == ["layers.0", "layers.3", "layers.8", "layers.10"]


def test_histogram_errors_name_the_problem(client: TestClient) -> None:
    r = client.get("/api/learning/weights/mnist_cnn/histogram", params={"bins": 100_000})
    assert r.status_code == 422 and "CNNPLAY_MAX_HISTOGRAM_BINS" in r.json()["detail"]
    assert client.get("/api/learning/weights/nope/histogram").status_code == 404
    assert client.get(f"/api/learning/weights/{new_id()}/histogram").status_code == 404
    run_id = new_id()
    client.app.state.store.create_run(run_id, "{}", "{}")  # type: ignore[attr-defined]
    r = client.get(f"/api/learning/weights/{run_id}/histogram")
    assert r.status_code == 409 and "once it is done" in r.json()["detail"]


def test_gates_of_the_shipped_lstm(client: TestClient) -> None:
    presets = client.get("/api/learning/gates/presets").json()
    names = {n["weights"]: n["layer"] for n in presets["networks"]}
    assert names["rnn_mnist_lstm"] == "lstm" and names["rnn_mnist_gru"] == "gru"
    seven = next(d["index"] for d in presets["digits"] if d["digit"] == 7)
    r = client.post("/api/learning/gates", json={"weights": "rnn_mnist_lstm", "mnist_index": seven})
    assert r.status_code == 200
    d = r.json()
    assert (d["kind"], d["steps"], d["features"], d["hidden"]) == ("lstm", 28, 28, 128)
    assert d["gate_names"] == ["input", "forget", "cell", "output"]
    for rows in [*d["gates"].values(), d["h"], d["c"]]:
        assert np.shape(rows) == (28, 128)
    assert d["params"] == 4 * 128 * (28 + 128) + 8 * 128
    assert d["label"] == 7 and d["prediction"] == 7 and max(d["probs"]) > 0.5
    # The last hidden state through the linear layer gives the logits.
    lin = load_file(str(WEIGHTS_DIR / "rnn_mnist_lstm.safetensors"))
    logits = torch.tensor(d["h"][-1]) @ lin["layers.1.weight"].T + lin["layers.1.bias"]
    np.testing.assert_allclose(logits.numpy(), d["logits"], atol=2e-3)
    image = mnist.load().images[seven] / 255.0
    np.testing.assert_allclose(d["image"], image, atol=1e-4)


def test_gates_of_a_gru_on_drawn_pixels(client: TestClient) -> None:
    pixels = [[1.0 if 10 <= j <= 14 else 0.0 for j in range(28)] for _ in range(28)]
    r = client.post("/api/learning/gates", json={"weights": "rnn_mnist_gru", "pixels": pixels})
    assert r.status_code == 200
    d = r.json()
    assert d["kind"] == "gru" and d["c"] is None and d["label"] is None
    assert d["gate_names"] == ["reset", "update", "new"]
    assert d["params"] == 3 * 128 * (28 + 128) + 6 * 128


def test_gates_of_a_design_with_random_weights(client: TestClient) -> None:
    spec = {
        "name": "mine",
        "input": {"channels": 1, "height": 28, "width": 28},
        "layers": [{"type": "gru", "hidden_size": 8, "output": "last"}],
    }
    d = client.post("/api/learning/gates", json={"spec": spec, "mnist_index": 0}).json()
    assert d["hidden"] == 8 and d["weights"] is None and len(d["logits"]) == 8


def test_gates_errors_name_the_problem(client: TestClient) -> None:
    def post(body: dict) -> tuple[int, str]:
        r = client.post("/api/learning/gates", json=body)
        return r.status_code, json.dumps(r.json()["detail"])

    code, msg = post({"zoo": "mnist_cnn", "mnist_index": 0})
    assert code == 422 and "no lstm or gru" in msg
    code, msg = post({"weights": "rnn_mnist_lstm", "mnist_index": 0, "pixels": [[0.0]]})
    assert code == 422 and "exactly one of mnist_index, pixels" in msg
    code, msg = post({"weights": "rnn_mnist_lstm", "pixels": [[0.0] * 28] * 27})
    assert code == 422 and "28 rows of 28" in msg
    code, msg = post({"weights": "rnn_mnist_lstm", "pixels": [[2.0] * 28] * 28})
    assert code == 422 and "[0, 1]" in msg
    code, msg = post({"weights": "rnn_mnist_lstm", "mnist_index": 10_000})
    assert code == 422 and "mnist_index" in msg
    code, _ = post({"weights": "nope", "mnist_index": 0})
    assert code == 404


def test_gates_past_the_value_limit_is_413(settings: Settings) -> None:
    small = settings.model_copy(update={"max_gate_values": 1000})
    with open_client(small) as c:
        r = c.post("/api/learning/gates", json={"zoo": "rnn_mnist_lstm", "mnist_index": 0})
    assert r.status_code == 413 and "CNNPLAY_MAX_GATE_VALUES" in r.json()["detail"]


def test_gates_refuse_before_building(client: TestClient) -> None:
    # issue 13: a 1 GB network was built to answer "no lstm or gru layer"
    nets = client.app.state.networks
    before = nets.builds
    no_rnn = {
        "name": "wide",
        "input": {"channels": 1, "height": 28, "width": 28},
        "layers": [{"type": "flatten"}, {"type": "linear", "out_features": 10}],
    }
    r = client.post("/api/learning/gates", json={"spec": no_rnn, "mnist_index": 0})
    assert r.status_code == 422 and "no lstm or gru" in r.json()["detail"]
    huge = {
        "name": "huge",
        "input": {"channels": 1, "height": 28, "width": 28},
        "layers": [{"type": "lstm", "hidden_size": 6_000}],
    }
    r = client.post("/api/learning/gates", json={"spec": huge, "mnist_index": 0})
    assert r.status_code == 413 and "CNNPLAY_MAX_GATE_VALUES" in r.json()["detail"]
    assert nets.builds == before
