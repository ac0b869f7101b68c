"""GET /api/train/schema and POST /api/transfer/plan (server/api/train_rules.py)."""

from __future__ import annotations

from typing import Any

import torch
from fastapi.testclient import TestClient
from safetensors.torch import save

import models
from server.config import Settings
from server.net.core.build import build_module
from server.net.core.head import head_classes
from server.net.core.spec import NetworkSpec
from server.net.train import transfer
from server.net.train.loop import TrainConfig
from server.net.weights import library as lib


def imported(settings: Settings, spec: NetworkSpec, seed: int = 0) -> str:
    """A library entry of random weights for spec (a locally made "pretrained" network)."""
    torch.manual_seed(seed)
    state = {k: v.contiguous() for k, v in build_module(spec).state_dict().items()}
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return lib.import_file(settings.data_dir, save(state), spec, title=spec.name).id


def plan(client: TestClient, **body: Any) -> Any:
    return client.post("/api/transfer/plan", json=body)


def test_schema_is_train_configs_with_the_limits(client: TestClient, settings: Settings) -> None:
    got = client.get("/api/train/schema").json()
    limits = got.pop("x-limits")
    assert got == TrainConfig.model_json_schema()
    assert limits == {
        "max_train_params": settings.max_train_params,
        "max_finetune_params": settings.max_finetune_params,
    }
    props = got["properties"]
    assert props["optimizer"]["enum"] == ["sgd", "momentum", "rmsprop", "adam", "adamw"]
    assert props["lr"]["default"] == 1e-3 and props["batch_size"]["maximum"] == 4096


def test_each_mode_of_a_shipped_source(client: TestClient) -> None:
    body = {"zoo": "mnist_cnn", "source": "mnist_cnn_digits04", "classes": 5, "lr": 0.01}
    frozen = plan(client, mode="frozen", **body).json()
    spec = NetworkSpec.model_validate(frozen["spec"])
    assert head_classes(spec) == 5
    assert frozen["frozen"] == transfer.feature_extractor_paths(models.get("mnist_cnn"))
    assert frozen["init_from"] == "mnist_cnn_digits04" and frozen["pretrained_lr"] is None
    later = plan(client, mode="later", **body).json()
    assert later["frozen"] == ["layers.0", "layers.1", "layers.2"]
    everything = plan(client, mode="all", **body).json()
    assert everything["frozen"] == [] and everything["pretrained_lr"] == 0.001


def test_an_imagenet_shaped_resnet18_from_the_library(
    client: TestClient, settings: Settings
) -> None:
    source = imported(settings, models.get("resnet18"))
    r = plan(client, source=source, mode="frozen", classes=3)  # the source's own network
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["frozen"] == [f"layers.{i}" for i in range(7)]
    assert out["spec"]["layers"][-1] == {"type": "linear", "out_features": 3, "bias": True}
    later = plan(client, source=source, zoo="resnet18", mode="later", classes=3).json()
    assert later["frozen"] == [f"layers.0.layers.{i}" for i in range(4)]


def test_a_network_that_does_not_fit_names_the_key(client: TestClient) -> None:
    r = plan(client, zoo="tiny_resnet", source="mnist_cnn_digits04", mode="frozen", classes=5)
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert detail.startswith("source: ") and "layers.1.bias: missing from the file" in detail


def test_bad_requests(client: TestClient) -> None:
    r = plan(client, source="nope", mode="frozen", classes=5)
    assert r.status_code == 422 and "source" in r.json()["detail"] and "nope" in r.json()["detail"]
    r = plan(client, source="imagenet-resnet18", mode="frozen", classes=5)
    assert r.status_code == 409 and "/api/pretrained/imagenet-resnet18/download" in r.text
    r = plan(client, zoo="nope", source="mnist_cnn_digits04", mode="frozen", classes=5)
    assert r.status_code == 422 and "zoo" in r.json()["detail"]
    r = plan(client, zoo="mlp", source="mnist_cnn_digits04", mode="some", classes=5)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "mode"
    spec = {"input": {"channels": 1, "height": 28, "width": 28}, "layers": [{"type": "relu"}]}
    r = plan(client, spec=spec, source="mnist_cnn_digits04", mode="frozen", classes=5)
    assert r.status_code == 422 and "not linear" in r.json()["detail"]
