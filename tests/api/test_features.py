"""/api/features: overview, paged layers, exact channels, presets, limits."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from fastapi.testclient import TestClient
from PIL import Image
from safetensors.torch import save

import models
from server.api.shapes import checked_report
from server.config import Settings
from server.jobs.worker import save_weights
from server.net.core import encode
from server.net.core import features as F
from server.net.core.build import build_module
from server.net.core.head import with_head
from server.net.core.networks import Networks
from server.net.core.spec import NetworkSpec
from server.net.data import imagenet, mnist
from server.net.data.images import sample_photo
from server.net.train.transfer import feature_extractor_paths, load_pretrained, under
from server.net.weights import library as lib
from server.store import new_id
from tests.clients import open_client
from tests.net.core.test_features import torchvision_by_hand

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
    net = client.app.state.networks.get(models.get("mnist_cnn"), "mnist_cnn")
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
    net = client.app.state.networks.get(models.get("mnist_cnn"), "mnist_cnn")
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
    assert client.app.state.networks.builds == 1


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
    with open_client(settings) as c:
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
    with open_client(settings) as c:
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


# --- weights from the library: runs, fine-tuned runs, imported files (issues 5, 7) -----------


def run_with(client: TestClient, data_dir: Path, spec, module: torch.nn.Module, config) -> str:
    """A finished run row whose weights are `module`'s (nothing is trained)."""
    run_id = new_id()
    store = client.app.state.store
    store.create_run(run_id, spec.model_dump_json(), json.dumps(config))
    path = data_dir / "runs" / f"{run_id}.safetensors"
    save_weights(module, path)
    store.set_run_status(run_id, "done", "", json.dumps({"accuracy": 0.5}), str(path))
    return f"run-{run_id}"


def test_run_weights_give_torchs_activations(client: TestClient, settings: Settings) -> None:
    spec = with_head(models.get("mnist_cnn"), 5)
    torch.manual_seed(7)
    module = build_module(spec).eval()
    config = {"dataset": "mnist", "classes": [5, 6, 7, 8, 9], "normalize": "scale"}
    wid = run_with(client, settings.data_dir, spec, module, config)
    body = {"net": {"weights": wid}, "image": "mnist-6"}
    data = client.post("/api/features/overview", json=body).json()
    assert data["network"]["trained"] and data["network"]["kind"] == "run"
    assert data["input"]["normalize"] == "trained" and data["input"]["stats"] == [[0.0], [1.0]]
    img = Image.fromarray(mnist.load().images[mnist.digit_examples()[6]], mode="L")
    x = F.prepare(img, (1, 28, 28), "none")  # "scale": pixels in [0, 1] as they are
    with torch.no_grad():
        logits = module(x[None])[0]
        want = module.layers[:4](x[None])[0, 3]
    top = [int(i) for i in torch.softmax(logits, 0).argsort(descending=True)]
    assert [p["label"] for p in data["predictions"]] == [str(5 + i) for i in top]
    r = client.post("/api/features/channel", json={**body, "layer": "layers.3", "channel": 3})
    assert np.array_equal(encode.decode_exact(r.json()["values"]), want.numpy())
    assert data["finetune"] is None


def test_fine_tuned_run_shows_pretrained_filters(client: TestClient, settings: Settings) -> None:
    spec = with_head(models.get("mnist_cnn"), 5)
    frozen = feature_extractor_paths(spec)
    module = build_module(spec)
    load_pretrained(module, "mnist_cnn_digits04", new_head=False)
    start = {k: v.clone() for k, v in module.state_dict().items()}
    with torch.no_grad():  # "fine-tune" only what is not frozen, as training would
        for name, p in module.named_parameters():
            if not under(name, frozen):
                p.add_(0.1 * torch.randn_like(p))
    config = {"dataset": "mnist", "init_from": "mnist_cnn_digits04", "frozen": frozen}
    wid = run_with(client, settings.data_dir, spec, module, config)
    data = client.post("/api/features/overview", json={"net": {"weights": wid}, "image": "mnist-3"})
    ft = data.json()["finetune"]
    assert ft["source"] == "mnist_cnn_digits04"
    f = ft["filters"]
    assert f["layer"] == "layers.0" and f["frozen"] and f["identical"]
    assert (
        encode.decode_exact(f["pretrained"]).tobytes() == start["layers.0.weight"].numpy().tobytes()
    )
    assert f["change"] == [0.0] * 16
    moved = {d["path"]: d for d in ft["layers"]}
    assert all(moved[p]["change"] == 0.0 for p in moved if under(p, frozen))
    assert all(moved[p]["change"] > 0 for p in moved if not under(p, frozen))
    # unfrozen first layer: the change is each filter's relative L2 distance
    with torch.no_grad():
        module.layers[0].weight.mul_(1.5)
    wid2 = run_with(client, settings.data_dir, spec, module, {**config, "frozen": []})
    ft2 = client.post(
        "/api/features/overview", json={"net": {"weights": wid2}, "image": "mnist-3"}
    ).json()["finetune"]
    assert not ft2["filters"]["identical"] and not ft2["filters"]["frozen"]
    assert ft2["filters"]["change"] == pytest.approx([0.5] * 16)


def test_imported_weights_in_features(client: TestClient) -> None:
    spec = models.get("mnist_cnn")
    torch.manual_seed(3)
    module = build_module(spec).eval()
    data = save({k: v.contiguous() for k, v in module.state_dict().items()})
    up = client.post(
        "/api/weights",
        files={"file": ("w.safetensors", data)},
        data={"spec": spec.model_dump_json()},
    )
    body = {"net": {"weights": up.json()["id"]}, "image": "mnist-2"}
    over = client.post("/api/features/overview", json=body).json()
    assert over["network"]["kind"] == "upload" and over["input"]["normalize"] == "mnist"
    got = client.post("/api/features/channel", json={**body, "layer": "layers.0", "channel": 1})
    img = Image.fromarray(mnist.load().images[mnist.digit_examples()[2]], mode="L")
    with torch.no_grad():
        want = module.layers[0](F.prepare(img, (1, 28, 28), "mnist")[None])[0, 1]
    assert np.array_equal(encode.decode_exact(got.json()["values"]), want.numpy())
    r = client.post("/api/features/overview", json={**body, "normalize": "trained"})
    assert r.status_code == 422 and "trained" in r.json()["detail"]
    r = client.post("/api/features/overview", json={**body, "net": {"weights": "run-" + "0" * 32}})
    assert r.status_code == 404 and "net.weights" in r.json()["detail"]


def test_shipped_digits04_uses_its_head_and_stats(client: TestClient) -> None:
    body = {"net": {"weights": "mnist_cnn_digits04"}, "image": "mnist-4"}
    data = client.post("/api/features/overview", json=body).json()
    assert data["input"]["normalize"] == "trained"
    assert [p["label"] for p in data["predictions"]][0] == "4"
    assert sorted(p["label"] for p in data["predictions"]) == ["0", "1", "2", "3", "4"]


def test_pages_after_an_overview_reuse_its_activations(client: TestClient) -> None:
    body = {"net": {"zoo": "tiny_resnet"}, "image": "mnist-5"}
    page = {**body, "layer": "layers.3.body.0", "count": 8}
    cold = client.post("/api/features/layer", json=page).content
    chan = {**body, "layer": "layers.3.body.0", "channel": 2}
    cold_values = client.post("/api/features/channel", json=chan).json()["values"]
    cache = client.app.state.feature_maps.activations
    assert cache.hits == 0
    client.post("/api/features/overview", json=body)
    assert client.post("/api/features/layer", json=page).content == cold
    assert client.post("/api/features/channel", json=chan).json()["values"] == cold_values
    assert cache.hits == 2
    other = {**page, "image": "mnist-6"}  # another input is not served from the cache
    assert client.post("/api/features/layer", json=other).content != cold
    assert cache.hits == 2


def test_activation_cache_keeps_to_its_budget(settings: Settings) -> None:
    settings.feature_cache_bytes = 1000  # smaller than one overview
    with open_client(settings) as c:
        c.post("/api/features/overview", json=MNIST)
        c.post("/api/features/layer", json={**MNIST, "layer": "layers.0"})
        assert c.app.state.feature_maps.activations.hits == 0


# --- ImageNet-aware feature maps (issue 17) ---------------------------------------------------


def test_imagenet_weights_get_torchvisions_preparation_and_top5(
    client: TestClient, settings: Settings
) -> None:
    spec = NetworkSpec.model_validate(
        {
            "name": "tiny ImageNet",
            "input": {"channels": 3, "height": 224, "width": 224},
            "layers": [
                {"type": "conv2d", "out_channels": 4, "kernel_size": 8, "stride": 8},
                {"type": "relu"},
                {"type": "global_avgpool2d"},
                {"type": "flatten"},
                {"type": "linear", "out_features": 1000},
            ],
        }
    )
    torch.manual_seed(5)
    module = build_module(spec).eval()
    path = settings.data_dir / "imagenet_tiny.safetensors"
    save_weights(module, path)
    prep = {"resize": 256, "crop": 224, "mean": list(imagenet.MEAN), "std": list(imagenet.STD)}
    # As the library makes a torchvision-born entry: its zoo name gives ImageNet's labels.
    entry = lib.Entry(
        id="upload-" + "a" * 32,
        title="tiny",
        kind="upload",
        spec=spec,
        path=path,
        zoo="resnet18",
        preprocess=prep,
    )
    service = client.app.state.networks
    client.app.state.networks = Networks(
        models.get,
        lambda wid: entry if wid == entry.id else service.entry(wid),
        lambda s: checked_report(s, settings),
        4,
    )
    body = {"net": {"weights": entry.id}, "image": "china"}
    data = client.post("/api/features/overview", json=body).json()
    assert data["input"]["preparation"] == prep and data["input"]["shape"] == [3, 224, 224]
    assert data["input"]["original"] == [640, 427] and data["input"]["normalize"] == "trained"
    want = torchvision_by_hand(sample_photo("china"), 256, 224, imagenet.MEAN, imagenet.STD)
    for c in range(3):
        r = client.post("/api/features/channel", json={**body, "layer": "input", "channel": c})
        got = torch.from_numpy(encode.decode_exact(r.json()["values"]).copy())
        assert float((got - want[c]).abs().max()) < 1e-6
    with torch.no_grad():
        probs = torch.softmax(module(want[None])[0], 0)
    p, index = probs.topk(5)
    top5 = data["prediction"]["top5"]
    assert [t["index"] for t in top5] == index.tolist()
    assert [t["label"] for t in top5] == [imagenet.class_names()[i] for i in index]
    assert [t["p"] for t in top5] == pytest.approx(p.tolist(), rel=1e-4)
    assert data["layers"][-1]["labels"] == list(imagenet.class_names())
    assert "labels" not in data["layers"][0]
