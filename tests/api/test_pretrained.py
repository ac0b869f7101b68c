"""GET /api/pretrained (shipped sources, official ImageNet weights and their downloads),
GET /api/weights/usage, and runs that start from shipped weights (config.init_from)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch
from fastapi.testclient import TestClient
from safetensors.torch import load

import models
from models import torchvision
from models.torchvision import key_map
from server.api.pretrained import downloads_for
from server.config import Settings
from server.net.core.build import build_module
from server.net.train.transfer import feature_extractor_paths
from server.net.weights import files
from server.net.weights import library as lib
from server.net.weights.official import Official
from server.net.weights.torch_files import read_state_dict
from tests.api.test_runs import wait_done
from tests.clients import open_client
from tests.net.data.test_stream import RangeServer
from tests.net.weights.test_pretrained import TINY, convert, official, pth, read, tv_state


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


# --- official ImageNet weights (issue 17) ------------------------------------------------


@pytest.fixture
def web() -> Iterator[RangeServer]:
    with RangeServer() as server:
        yield server


def fake_resnet18(client: TestClient, web: RangeServer, data: bytes | None = None) -> Official:
    """The app's manager, with resnet18's manifest line pointing at a fake checkpoint served
    locally (a real sha256 prefix cannot be matched by a made-up file) and the test's
    converter; every other architecture keeps its real facts."""
    manager = downloads_for(client.app.state.settings)
    fake = official(web, "resnet18", data)
    manager.manifest["resnet18"] = fake
    manager.convert, manager.read, manager.base_url = convert, read, web.url
    client.app.state.pretrained = manager
    return fake


def _no_run(run_id: str) -> Any:
    raise LookupError(run_id)


def wait_ready(client: TestClient, name: str, timeout: float = 30) -> dict[str, Any]:
    end = time.monotonic() + timeout
    while (item := client.get(f"/api/pretrained/{name}").json())["status"] in (
        "downloading",
        "converting",
    ):
        assert time.monotonic() < end, item
        time.sleep(0.01)
    return item


def test_lists_the_imagenet_weights_of_the_zoo(client: TestClient) -> None:
    items = client.get("/api/pretrained").json()
    imagenet_items = [i for i in items if i["kind"] == "imagenet"]
    assert items[0]["kind"] == "shipped" and len(imagenet_items) == 22  # 19 + 3 (issue 16)
    r18 = next(i for i in imagenet_items if i["name"] == "imagenet-resnet18")
    assert r18 == {
        "name": "imagenet-resnet18",
        "kind": "imagenet",
        "zoo": "resnet18",
        "title": "ResNet-18 · ImageNet-1k",
        "source_data": "ImageNet-1k",
        "classes": None,
        "num_classes": 1000,
        "heldout_accuracy": 0.69758,
        "top5_accuracy": 0.89078,
        "weights": "IMAGENET1K_V1",
        "file_name": "resnet18-f37072fd.pth",
        "url": "https://download.pytorch.org/models/resnet18-f37072fd.pth",
        "bytes": 46830453,  # approx: 44.661 MiB (the file has 46,830,571)
        "status": "absent",
        "progress": None,
        "error": None,
    }
    assert client.get("/api/pretrained/imagenet-vgg16").json()["bytes"] > 500_000_000
    assert client.get("/api/pretrained/mnist_cnn").json()["kind"] == "shipped"


def test_unknown_and_shipped_names(client: TestClient) -> None:
    r = client.get("/api/pretrained/imagenet-lenet5")
    assert r.status_code == 404 and "imagenet-resnet18" in r.json()["detail"]
    r = client.post("/api/pretrained/mnist_cnn/download")
    assert r.status_code == 409 and "ships with cnnplay" in r.json()["detail"]
    assert client.delete("/api/pretrained/nope/download").status_code == 404


def test_download_converts_into_a_library_entry_that_opens_everywhere(
    client: TestClient, web: RangeServer, settings: Settings
) -> None:
    fake = fake_resnet18(client, web)
    web.flowing.clear()  # held until the test has asked twice
    r = client.post("/api/pretrained/imagenet-resnet18/download")
    assert r.status_code == 202 and r.json()["status"] == "downloading"
    again = client.post("/api/pretrained/imagenet-resnet18/download")
    assert again.status_code == 202  # joins the running download
    progress = client.get("/api/pretrained/imagenet-resnet18").json()["progress"]
    assert progress["done"] == 0 and progress["eta_s"] is None
    web.flowing.set()
    item = wait_ready(client, "imagenet-resnet18")
    assert item["status"] == "ready" and item["error"] is None and item["progress"] is None
    assert len(web.requests) == 1
    assert client.post("/api/pretrained/imagenet-resnet18/download").status_code == 200

    entry = client.get("/api/weights/imagenet-resnet18").json()
    assert entry["kind"] == "imagenet" and entry["accuracy"] == fake.acc1 / 100
    assert entry["labels"][:2] == ["tench", "goldfish"] and len(entry["labels"]) == 1000
    assert entry["preprocess"] == {
        "resize": 256,
        "crop": 224,
        "mean": [0.485, 0.456, 0.406],
        "std": [0.229, 0.224, 0.225],
    }
    assert "imagenet-resnet18" in [e["id"] for e in client.get("/api/weights").json()]
    got = load(client.get("/api/weights/imagenet-resnet18/file").content)
    want = convert("resnet18", tv_state())[1]
    assert set(got) == set(want) and all(torch.equal(got[k], want[k]) for k in want)

    # The library entry opens as a module computing the checkpoint's function.
    opened = lib.find("imagenet-resnet18", settings.data_dir, _no_run, models.get)
    x = torch.rand(2, 3, 32, 32)
    torch.manual_seed(0)  # tv_state(0)'s module
    original = build_module(TINY)
    with torch.no_grad():
        assert torch.equal(files.load(opened.spec, opened.path)(x), original(x))

    used = client.get("/api/weights/usage").json()
    assert used == {
        "bytes": sum(p.stat().st_size for p in (settings.data_dir / "weights").iterdir()),
        "limit": settings.max_library_bytes,
        "files": 1,
    }
    assert used["bytes"] > fake.bytes // 2

    # A new app on the same data dir (a restarted server) still has the entry.
    with open_client(settings) as c2:
        assert c2.get("/api/pretrained/imagenet-resnet18").json()["status"] == "ready"
        assert c2.get("/api/weights/imagenet-resnet18").json()["kind"] == "imagenet"

    assert client.delete("/api/pretrained/imagenet-resnet18/download").status_code == 204
    assert client.get("/api/pretrained/imagenet-resnet18").json()["status"] == "absent"
    assert client.get("/api/weights/imagenet-resnet18").status_code == 404
    assert client.get("/api/weights/usage").json()["files"] == 0


def test_a_wrong_checksum_fails_with_a_clear_message(client: TestClient, web: RangeServer) -> None:
    fake = fake_resnet18(client, web)
    web.files[fake.file_name] = pth(tv_state(seed=5))  # not the file the prefix names
    assert client.post("/api/pretrained/imagenet-resnet18/download").status_code == 202
    item = wait_ready(client, "imagenet-resnet18")
    assert item["status"] == "failed"
    assert f"does not match the published {fake.sha256_prefix}" in item["error"]
    assert client.get("/api/weights/usage").json()["bytes"] == 0


def test_cancel_a_download(client: TestClient, web: RangeServer) -> None:
    fake_resnet18(client, web)
    web.delay = 0.1  # 16 writes: 1.6 s in all
    client.post("/api/pretrained/imagenet-resnet18/download")
    end = time.monotonic() + 10
    while not (client.get("/api/pretrained/imagenet-resnet18").json()["progress"] or {}).get(
        "done"
    ):
        assert time.monotonic() < end
        time.sleep(0.01)
    assert client.delete("/api/pretrained/imagenet-resnet18/download").status_code == 204
    item = client.get("/api/pretrained/imagenet-resnet18").json()
    assert item["status"] == "absent" and item["progress"] is None
    assert client.get("/api/weights/usage").json()["bytes"] == 0


def test_the_library_bound_refuses_a_download(
    web: RangeServer, settings: Settings, tmp_path: Path
) -> None:
    small = Settings(warm_workers=0, data_dir=settings.data_dir, max_library_bytes=1000)
    with open_client(small) as c:
        fake_resnet18(c, web)
        r = c.post("/api/pretrained/imagenet-resnet18/download")
        assert r.status_code == 409 and "CNNPLAY_MAX_LIBRARY_BYTES" in r.json()["detail"]
        assert web.requests == []
        assert c.get("/api/weights/usage").json() == {"bytes": 0, "limit": 1000, "files": 0}


def test_official_resnet18_end_to_end_with_the_real_converter(
    client: TestClient, web: RangeServer, settings: Settings
) -> None:
    """A ResNet-18 checkpoint under torchvision's key names (cnnplay's module re-keyed by
    inverting the import's key map) goes through download, torch.hub's check,
    read_state_dict, models.torchvision.convert and the library: the entry computes the
    same function as the module it came from."""
    spec = models.get("resnet18")
    torch.manual_seed(7)
    module = build_module(spec).eval()
    to_cnnplay = key_map("resnet18", spec)
    state = module.state_dict()
    data = pth({tv: state[key] for tv, key in to_cnnplay.items()})
    fake = fake_resnet18(client, web, data)
    manager = client.app.state.pretrained
    manager.convert, manager.read = torchvision.convert, read_state_dict
    assert client.post("/api/pretrained/imagenet-resnet18/download").status_code == 202
    item = wait_ready(client, "imagenet-resnet18", timeout=120)
    assert item["status"] == "ready", item["error"]
    entry = client.get("/api/weights/imagenet-resnet18").json()
    assert entry["zoo"] == "resnet18" and entry["spec"]["name"] == spec.name
    assert entry["labels"][-1] == "toilet tissue" and entry["accuracy"] == fake.acc1 / 100
    opened = lib.find("imagenet-resnet18", settings.data_dir, _no_run, models.get)
    x = torch.rand(1, 3, 224, 224)
    with torch.no_grad():
        assert torch.equal(files.load(opened.spec, opened.path)(x), module(x))
    assert not list((settings.data_dir / "pretrained").iterdir())  # the .pth went
