from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

FOUR = [
    {"name": "sgd", "lr": 0.05},
    {"name": "momentum", "lr": 0.02, "momentum": 0.9},
    {"name": "rmsprop", "lr": 0.05, "alpha": 0.99},
    {"name": "adam", "lr": 0.1, "beta1": 0.9, "beta2": 0.999},
]


def test_optimizers_returns_paths_and_a_contour_grid(client: TestClient) -> None:
    r = client.post(
        "/api/learning/optimizers",
        json={"surface": "elongated", "start": [-2.5, 2.5], "steps": 50, "optimizers": FOUR},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert [p["name"] for p in body["paths"]] == ["sgd", "momentum", "rmsprop", "adam"]
    for p in body["paths"]:
        assert len(p["points"]) == 51 and not p["diverged"]
        assert p["points"][0] == [-2.5, 2.5, pytest.approx(0.5 * (20 * 6.25 + 6.25))]
        assert p["points"][-1][2] < p["points"][0][2]
    grid = body["grid"]
    assert grid["size"] == 60 and len(grid["z"]) == 60 and len(grid["z"][0]) == 60
    assert grid["z_min"] == pytest.approx(min(min(row) for row in grid["z"]))


def test_a_diverging_path_is_flagged_not_an_error(client: TestClient) -> None:
    r = client.post(
        "/api/learning/optimizers",
        json={"surface": "elongated", "steps": 500, "optimizers": [{"name": "sgd", "lr": 0.3}]},
    )
    assert r.status_code == 200
    path = r.json()["paths"][0]
    assert path["diverged"] and len(path["points"]) < 500


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"steps": 501, "optimizers": FOUR}, "CNNPLAY_MAX_OPTIM_STEPS"),
        ({"steps": 10, "optimizers": []}, "optimizers"),
        ({"steps": 10, "optimizers": [{"name": "lbfgs", "lr": 1}]}, "optimizers.0.name"),
        ({"steps": 10, "optimizers": [{"name": "sgd", "lr": -1}]}, "optimizers.0.lr"),
        ({"surface": "moon", "optimizers": FOUR}, "surface"),
        ({"start": [1e9, 0], "optimizers": FOUR}, "start"),
    ],
)
def test_optimizers_validation_422(client: TestClient, body: dict, where: str) -> None:
    r = client.post("/api/learning/optimizers", json=body)
    assert r.status_code == 422
    assert where in r.text


def test_ewa_with_and_without_bias_correction(client: TestClient) -> None:
    body = {"beta": 0.9, "bias_correction": False, "n": 100, "seed": 1, "noise": 2}
    raw = client.post("/api/learning/ewa", json=body).json()
    fixed = client.post("/api/learning/ewa", json={**body, "bias_correction": True}).json()
    assert raw["theta"] == fixed["theta"] and len(raw["theta"]) == 100
    assert raw["window"] == pytest.approx(10)
    assert raw["v"] == raw["v_raw"] and fixed["v"] == fixed["v_corrected"]
    assert raw["v"][0] == pytest.approx(0.1 * raw["theta"][0])
    assert fixed["v"][0] == pytest.approx(fixed["theta"][0])


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"n": 5001}, "CNNPLAY_MAX_EWA_POINTS"),
        ({"beta": 1.0}, "beta"),
        ({"noise": -1}, "noise"),
    ],
)
def test_ewa_validation_422(client: TestClient, body: dict, where: str) -> None:
    r = client.post("/api/learning/ewa", json=body)
    assert r.status_code == 422
    assert where in r.text


def test_gradcheck_default_net_is_fine_and_broken_is_flagged(client: TestClient) -> None:
    ok = client.post("/api/learning/gradcheck", json={"samples_per_layer": 4})
    assert ok.status_code == 200, ok.text
    body = ok.json()
    assert body["thresholds"] == {"fine": 1e-7, "bug": 1e-3} and "eval mode" in body["mode"]
    assert all(c["verdict"] == "fine" for c in body["layers"])
    bad = client.post("/api/learning/gradcheck", json={"samples_per_layer": 4, "broken": True})
    verdicts = {c["path"]: c["verdict"] for c in bad.json()["layers"]}
    assert verdicts.pop("broken") == "bug" and set(verdicts.values()) == {"fine"}


def test_gradcheck_takes_a_spec(client: TestClient) -> None:
    spec = {
        "input": {"channels": 1, "height": 4, "width": 4},
        "layers": [{"type": "flatten"}, {"type": "linear", "out_features": 1}],
    }
    r = client.post("/api/learning/gradcheck", json={"spec": spec, "samples_per_layer": 3})
    assert r.status_code == 200, r.text
    assert r.json()["loss"].startswith("a seeded") and r.json()["layers"][0]["sampled"] == 3


@pytest.mark.parametrize(
    ("body", "word"),
    [
        ({"samples_per_layer": 21}, "samples_per_layer"),
        ({"eps": 0}, "eps"),
        (
            {"spec": {"layers": [{"type": "linear", "out_features": 3000}] * 2}},
            "CNNPLAY_MAX_GRADCHECK_PARAMS",
        ),
        (
            {
                "spec": {
                    "layers": [
                        {"type": "lstm", "hidden_size": 4},
                        {"type": "conv2d", "out_channels": 1, "kernel_size": 3},
                    ]
                }
            },
            "spec",
        ),
    ],
)
def test_gradcheck_limits_are_422(client: TestClient, body: dict, word: str) -> None:
    r = client.post("/api/learning/gradcheck", json=body)
    assert r.status_code == 422 and word in r.text, r.text


def test_modes_returns_both_runs(client: TestClient) -> None:
    r = client.post("/api/learning/modes", json={"p": 0.5, "batch": 6, "seed": 1})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["scale"] == 2.0 and len(body["kept"]) == 6 and len(body["kept"][0]) == 8
    assert len(body["train"]["mean"]) == 8 and len(body["eval"]["var"]) == 8


@pytest.mark.parametrize(
    ("body", "word"),
    [({"batch": 65}, "CNNPLAY_MAX_MODES_BATCH"), ({"p": 1.0}, "p"), ({"batch": 1}, "batch")],
)
def test_modes_limits_are_422(client: TestClient, body: dict, word: str) -> None:
    r = client.post("/api/learning/modes", json=body)
    assert r.status_code == 422 and word in r.text, r.text


def test_gradcheck_of_a_network_without_parameters_is_422(client: TestClient) -> None:
    # schemathesis found this 500 (issue 13)
    spec = {"name": "p", "input": {"channels": 1, "height": 4, "width": 4}, "layers": []}
    r = client.post("/api/learning/gradcheck", json={"spec": spec})
    assert r.status_code == 422 and "no parameters" in r.json()["detail"]
