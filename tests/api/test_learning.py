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
