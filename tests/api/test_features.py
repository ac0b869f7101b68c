"""/api/features: overview, paged layers, exact channels, presets, limits."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from fastapi.testclient import TestClient
from PIL import Image

import models
from server.config import Settings
from server.main import create_app
from server.net import encode, mnist
from server.net import features as F
from server.net.build import build_module

MNIST = {"net": {"weights": "mnist_cnn"}, "image": "mnist-7"}


def test_presets_list_digits_and_photos(client: TestClient) -> None:
    ids = [p["id"] for p in client.get("/api/features/presets").json()]
    assert ids[:10] == [f"mnist-{d}" for d in range(10)] and {"china", "flower"} <= set(ids)


def test_overview_trained_predicts_every_digit(client: TestClient) -> None:
    for digit in (0, 3, 7):
        body = client.post("/api/features/overview", json={**MNIST, "image": f"mnist-{digit}"})
        assert body.status_code == 200
        data = body.json()
        assert data["predictions"][0]["label"] == str(digit)
        assert len(data["predictions"]) == 5
    assert data["network"]["trained"] and data["input"]["normalize"] == "mnist"
    assert [row["path"] for row in data["layers"]][:3] == ["layers.0", "layers.1", "layers.2"]
    assert data["filters"]["shape"] == [16, 1, 3, 3]


def test_untrained_says_random(client: TestClient) -> None:
    data = client.post(
        "/api/features/overview", json={"net": {"zoo": "lenet5_mnist"}, "image": "mnist-1"}
    ).json()
    assert data["predictions"] is None and "random" in data["network"]["note"]


def test_layer_page_matches_torch(client: TestClient) -> None:
    req = {**MNIST, "layer": "layers.3", "start": 8, "count": 8}
    r = client.post("/api/features/layer", json=req)
    assert r.status_code == 200
    meta, png = encode.unframe(r.content)
    assert meta["count"] == 8 and meta["channels"] == 32 and meta["tile"] == [14, 14]
    net = client.app.state.feature_nets.get(models.get("mnist_cnn"), "mnist_cnn", Settings())
    img = Image.fromarray(mnist.load().images[mnist.digit_examples()[7]], mode="L")
    x = F.prepare(img, (1, 28, 28), "mnist")
    with torch.no_grad():
        want = net.module.layers[:4](x[None])[0, 8:16]
    for i, (lo, hi) in enumerate(meta["ranges"]):
        assert lo == pytest.approx(float(want[i].min()), abs=1e-5)
        assert hi == pytest.approx(float(want[i].max()), abs=1e-5)


def test_channel_exact_values_and_filter(client: TestClient) -> None:
    r = client.post("/api/features/channel", json={**MNIST, "layer": "layers.0", "channel": 5})
    data = r.json()
    values = encode.decode_exact(data["values"])
    net = client.app.state.feature_nets.get(models.get("mnist_cnn"), "mnist_cnn", Settings())
    img = Image.fromarray(mnist.load().images[mnist.digit_examples()[7]], mode="L")
    with torch.no_grad():
        want = net.module.layers[0](F.prepare(img, (1, 28, 28), "mnist")[None])[0, 5]
    assert np.array_equal(values, want.numpy())
    w = encode.decode_exact(data["filter"]["weights"])
    assert np.array_equal(w, net.module.layers[0].weight.detach()[5].numpy())


def test_networks_are_cached(client: TestClient) -> None:
    body = {"net": {"zoo": "tiny_resnet"}, "image": "mnist-2"}
    client.post("/api/features/overview", json=body)
    client.post("/api/features/layer", json={**body, "layer": "layers.3.body.0"})
    assert client.app.state.feature_nets.builds == 1


def test_upload_then_features(client: TestClient) -> None:
    buf = io.BytesIO()
    Image.new("RGB", (50, 40), (10, 200, 30)).save(buf, format="PNG")
    up = client.post("/api/images", files={"file": ("x.png", buf.getvalue(), "image/png")})
    assert up.status_code == 200
    body = {"net": {"weights": "mnist_cnn"}, "image": up.json()["id"], "normalize": "none"}
    data = client.post("/api/features/overview", json=body).json()
    assert data["input"]["original"] == [50, 40] and data["input"]["mode"] == "grayscale"


def test_paging_is_capped(settings: Settings) -> None:
    settings.max_feature_channels = 4
    with TestClient(create_app(settings), base_url="http://127.0.0.1:8000") as c:
        r = c.post("/api/features/layer", json={**MNIST, "layer": "layers.3", "count": 32})
        assert encode.unframe(r.content)[0]["count"] == 4


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({**MNIST, "image": "nope"}, 404, "nope"),
        ({"net": {"zoo": "nonet"}, "image": "mnist-1"}, 404, "nonet"),
        ({"net": {}, "image": "mnist-1"}, 422, "exactly one"),
        ({**MNIST, "layer": "layers.99"}, 404, "layers.99"),
    ],
)
def test_bad_requests_are_clear(client: TestClient, body: dict, status: int, words: str) -> None:
    url = "/api/features/layer" if "layer" in body else "/api/features/overview"
    if "layer" not in body and status == 404 and words == "layers.99":
        url = "/api/features/layer"
    r = client.post(url, json=body)
    assert r.status_code == status and words in str(r.json()["detail"])


def test_bad_channel_and_shapes(client: TestClient) -> None:
    r = client.post("/api/features/channel", json={**MNIST, "layer": "layers.0", "channel": 16})
    assert r.status_code == 422 and "16 channels" in r.json()["detail"]
    spec = {
        "input": {"channels": 1, "height": 4, "width": 4},
        "layers": [{"type": "conv2d", "out_channels": 2, "kernel_size": 7}],
    }
    r = client.post("/api/features/overview", json={"net": {"spec": spec}, "image": "mnist-1"})
    assert r.status_code == 422 and "layers.0" in r.json()["detail"]
    spec["input"]["channels"] = 2
    spec["layers"][0]["kernel_size"] = 1
    r = client.post("/api/features/overview", json={"net": {"spec": spec}, "image": "mnist-1"})
    assert r.status_code == 422 and "1 or 3" in r.json()["detail"]


def test_too_large_network_is_413(settings: Settings) -> None:
    settings.max_params = 1000
    with TestClient(create_app(settings), base_url="http://127.0.0.1:8000") as c:
        r = c.post("/api/features/overview", json=MNIST)
        assert r.status_code == 413 and "CNNPLAY_MAX_PARAMS" in r.json()["detail"]


def test_seeded_random_weights_are_reproducible(client: TestClient) -> None:
    body = {"net": {"zoo": "lenet5_mnist"}, "image": "mnist-1", "layer": "layers.0"}
    got = encode.decode_exact(client.post("/api/features/channel", json=body).json()["values"])
    with torch.random.fork_rng():
        torch.manual_seed(0)
        net = build_module(models.get("lenet5_mnist")).eval()
    img = Image.fromarray(mnist.load().images[mnist.digit_examples()[1]], mode="L")
    with torch.no_grad():
        want = net.layers[0](F.prepare(img, (1, 28, 28), "mnist")[None])[0, 0]
    assert np.array_equal(got, want.numpy())
