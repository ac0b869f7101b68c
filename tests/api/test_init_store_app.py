"""The app's network service keeps seeded random inits under <data dir>/init (issue 20)."""

from __future__ import annotations

import torch
from fastapi.testclient import TestClient

import models
from server.config import Settings
from server.net.core.init_store import seeded_build


def test_a_zoo_network_opened_twice_comes_back_from_its_file(
    client: TestClient, settings: Settings
) -> None:
    body = {"net": {"zoo": "tiny_resnet"}, "image": "mnist-3"}
    first = client.post("/api/features/overview", json=body)
    assert first.status_code == 200, first.text
    files = list((settings.data_dir / "init").glob("*.safetensors"))
    assert len(files) == 1
    client.app.state.networks._cache.clear()  # evicted
    client.app.state.feature_maps.activations.clear()
    again = client.post("/api/features/overview", json=body)
    assert again.status_code == 200 and again.content == first.content
    module = client.app.state.networks.open(zoo="tiny_resnet").module
    expected = seeded_build(models.get("tiny_resnet"), 0).state_dict()
    for name, tensor in module.state_dict().items():
        assert torch.equal(tensor, expected[name]), name
