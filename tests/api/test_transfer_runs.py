"""Runs that start from any weights of the library (config.init_from = an upload, a run or
ImageNet-style weights with their preprocessing; issue 17), and the input statistics each
run stores (issue 12)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch
from fastapi.testclient import TestClient

from models.layers import conv, flatten, linear, maxpool, network, relu
from server.config import Settings
from server.net.core.build import build_module
from server.net.core.spec import NetworkSpec
from server.net.train import inputs
from server.net.train.loop import TrainConfig
from server.net.train.transfer import feature_extractor_paths
from server.net.weights import library as lib
from server.net.weights.entry import torchvision_preprocess
from server.store import Store
from tests.api.test_pretrained import fake_resnet18, wait_ready
from tests.api.test_runs import wait_done
from tests.api.test_train_rules import imported
from tests.clients import open_client
from tests.net.data.test_archive import png, zip_of
from tests.net.data.test_stream import RangeServer

# An RGB network for the 4 synthetic shapes: (3,16,16) -> conv (4,16,16) -> pool (4,8,8)
# -> flatten (256,) -> linear 4
RGB = network(
    "tiny rgb", (3, 16, 16), [conv(4, 3, padding=1), relu(), maxpool(2), flatten(), linear(4)]
)
TINY_SHAPES = {"dataset": "shapes", "epochs": 1, "train_limit": 100}
IMAGENET = torchvision_preprocess()


def config(source: str, **extra: Any) -> dict[str, Any]:
    return {
        "dataset": "shapes",
        "epochs": 1,
        "batch_size": 50,
        "train_limit": 200,
        "init_from": source,
        "frozen": feature_extractor_paths(RGB),
        **extra,
    }


def start(client: TestClient, cfg: dict[str, Any], spec: NetworkSpec = RGB) -> dict[str, Any]:
    r = client.post("/api/runs", json={"spec": spec.model_dump(mode="json"), "config": cfg})
    assert r.status_code == 201, r.text
    run = wait_done(client, r.json()["id"])
    assert run["status"] == "done", run["message"]
    return run


def stored_config(settings: Settings, run_id: str) -> dict[str, Any]:
    store = Store(settings.db_path)
    try:
        return json.loads(store.get_run(run_id).config_json)
    finally:
        store.close()


def test_imagenet_style_weights_scale_inputs_with_their_preprocess(
    client: TestClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A locally made "ImageNet" entry: random weights with torchvision's preprocessing.
    torch.manual_seed(0)
    tensors = dict(build_module(RGB).state_dict())
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    details = {"zoo": "tiny", "preprocess": torchvision_preprocess()}
    source = lib.import_tensors(settings.data_dir, RGB, tensors, details=details).id
    run = start(client, config(source))
    want = {"mean": IMAGENET["mean"], "std": IMAGENET["std"]}
    assert run["config"]["input_stats"] == want
    assert stored_config(settings, run["id"])["input_stats"] == want
    # The run's weights in the library scale images by the stored stats, no data reloaded.
    monkeypatch.setattr(inputs, "run_data", lambda *a, **k: pytest.fail("reloaded"))
    entry = client.get(f"/api/weights/run-{run['id']}").json()
    assert entry["kind"] == "run" and entry["init_from"] == source
    store = Store(settings.db_path)
    try:
        run_entry = lib.from_run(store.get_run(run["id"]), settings.data_dir)
    finally:
        store.close()
    assert run_entry is not None
    assert lib.input_stats(run_entry, settings.data_dir) == (
        tuple(IMAGENET["mean"]),
        tuple(IMAGENET["std"]),
    )


def test_a_run_stores_its_training_set_stats_and_seeds_the_next(
    client: TestClient, settings: Settings
) -> None:
    source = imported(settings, RGB, seed=1)
    first = start(client, config(source))
    stats = stored_config(settings, first["id"])["input_stats"]
    plain = TrainConfig.model_validate({**first["config"], "input_stats": None})
    x = inputs.run_data(plain, 3, 16, 16).x_train
    assert stats["mean"] == pytest.approx(x.mean((0, 2, 3)).tolist(), rel=1e-5)
    # A finished run is a source too (run-<id>), and a frozen one keeps the backbone.
    second = start(client, config(f"run-{first['id']}", new_head=False, frozen=["layers.0"]))
    assert second["config"]["init_from"] == f"run-{first['id']}"


def test_unknown_and_unfit_sources(client: TestClient, settings: Settings) -> None:
    spec = RGB.model_dump(mode="json")
    r = client.post("/api/runs", json={"spec": spec, "config": config("upload-" + "0" * 32)})
    assert r.status_code == 422 and "upload-000" in r.json()["detail"]
    r = client.post("/api/runs", json={"spec": spec, "config": config("imagenet-resnet18")})
    assert r.status_code == 409 and "download" in r.json()["detail"]
    other = network("other", (3, 16, 16), [conv(8, 3, padding=1), flatten(), linear(4)])
    source = imported(settings, other)
    r = client.post("/api/runs", json={"spec": spec, "config": config(source)})
    assert r.status_code == 422
    assert "config.init_from" in r.json()["detail"] and "layers.0.weight" in r.json()["detail"]
    grey = {"mean": [0.0], "std": [1.0]}  # one channel for an RGB network
    body = {"spec": spec, "config": {**TINY_SHAPES, "input_stats": grey}}
    r = client.post("/api/runs", json=body)
    assert r.status_code == 422 and "input_stats" in r.json()["detail"]


def test_pretrained_networks_have_their_own_size_limit(tmp_path: Path) -> None:
    settings = Settings(warm_workers=0, data_dir=tmp_path / "data", max_finetune_params=100)
    with open_client(settings) as client:
        source = imported(settings, RGB)
        body = {"spec": RGB.model_dump(mode="json"), "config": config(source)}
        r = client.post("/api/runs", json=body)
        assert r.status_code == 422 and "CNNPLAY_MAX_FINETUNE_PARAMS" in r.json()["detail"]


def test_fine_tune_downloaded_imagenet_weights_on_a_zip_of_photos(client: TestClient) -> None:
    """The issue's flow through the API: official weights (a small fake checkpoint served
    locally), a zip of the user's photos, the plan, the run."""
    with RangeServer() as web:
        fake_resnet18(client, web)
        assert client.post("/api/pretrained/imagenet-resnet18/download").status_code == 202
        assert wait_ready(client, "imagenet-resnet18")["status"] == "ready"
    photos = {
        f"{kind}/{i}.png": png(color, size=(260, 240))
        for kind, color in (("daisy", (240, 230, 40)), ("rose", (200, 20, 40)))
        for i in range(5)
    }
    files = {"file": ("flowers.zip", zip_of(photos), "application/zip")}
    dataset = client.post("/api/datasets", files=files).json()
    assert dataset["height"] == 224  # stored at ImageNet size
    plan = client.post(
        "/api/transfer/plan",
        json={"source": "imagenet-resnet18", "mode": "frozen", "classes": 2},
    ).json()
    cfg = {
        "dataset": dataset["name"],
        "epochs": 2,
        "batch_size": 4,
        "init_from": plan["init_from"],
        "frozen": plan["frozen"],
    }
    run = start(client, cfg, NetworkSpec.model_validate(plan["spec"]))
    assert run["config"]["input_stats"] == {"mean": IMAGENET["mean"], "std": IMAGENET["std"]}
    assert run["metrics"]["labels"] == ["daisy", "rose"]
    assert client.get(f"/api/weights/run-{run['id']}").json()["init_from"] == "imagenet-resnet18"
