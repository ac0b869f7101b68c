"""GET /api/zoo and GET /api/zoo/{name}."""

from __future__ import annotations

from fastapi.testclient import TestClient

from server.net.core.spec import NetworkSpec


def test_list_gives_every_entry_with_its_params(client: TestClient) -> None:
    r = client.get("/api/zoo")
    assert r.status_code == 200
    items = {item["name"]: item for item in r.json()}
    assert set(items["resnet50"]) == {
        "name", "title", "params", "input_shape", "description", "category", "task",
        "train",
    }  # fmt: skip
    assert items["resnet50"]["train"] is None
    assert items["resnet50"]["task"] == "classification"
    assert items["unet_small"]["task"] == "segmentation"  # issue 16
    assert items["resnet50"]["params"] == 25_557_032
    assert items["resnet50"]["input_shape"] == [3, 224, 224]
    assert items["resnet50"]["category"] == "classic"
    assert items["mnist_cnn"]["params"] == 105_866
    assert items["mnist_cnn"]["input_shape"] == [1, 28, 28]
    assert items["mnist_cnn"]["category"] == "small"


def test_one_entry_is_a_network_spec_that_shapes_accepts(client: TestClient) -> None:
    r = client.get("/api/zoo/tiny_resnet")
    assert r.status_code == 200
    spec = NetworkSpec.model_validate(r.json())
    assert spec.name == "Tiny ResNet"
    shapes = client.post("/api/shapes", json=r.json()).json()
    assert shapes["valid"] is True
    assert shapes["output_shape"] == [10]


def test_unknown_name_is_404_naming_it(client: TestClient) -> None:
    r = client.get("/api/zoo/resnet9000")
    assert r.status_code == 404
    assert "resnet9000" in r.json()["detail"]
    assert "resnet50" in r.json()["detail"]  # lists what exists


def test_names_are_case_insensitive(client: TestClient) -> None:
    mixed = client.get("/api/zoo/ResNet18")
    assert mixed.status_code == 200
    assert mixed.json() == client.get("/api/zoo/resnet18").json()
