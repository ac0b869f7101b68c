"""feature_maps: prepared inputs and overview captures are cached; filters and top-5."""

from __future__ import annotations

from pathlib import Path

import torch
from PIL import Image

import models
from server.net.core import features as F
from server.net.core.feature_maps import FeatureMaps, first_filters, top5
from server.net.core.networks import Network, Networks
from server.net.core.preparation import plan
from server.net.core.shapes import infer
from server.net.weights.library import Entry


def _no_weights(weights_id: str) -> Entry:
    raise LookupError(weights_id)


def _net(weights: bool = False) -> Network:
    """mnist_cnn with random weights; `weights`: as if they were an entry's, classes 10-19."""
    net = Networks(models.get, _no_weights, infer, 2).open(zoo="mnist_cnn")
    if not weights:
        return net
    entry = Entry(
        id="e", title="t", kind="upload", spec=net.spec, path=Path("x"), classes=list(range(10, 20))
    )
    return Network(net.spec, net.module, net.rows, entry, ("k", "e"))


def test_inputs_are_prepared_once_and_layers_come_from_the_overview() -> None:
    net = _net()
    maps = FeatureMaps(max_bytes=10**8)
    loads = []

    def load() -> Image.Image:
        loads.append(1)
        return Image.new("L", (28, 28), 128)

    p = plan(None, net.spec.input.shape, "none", False)
    inp = maps.prepare("img", load, p)
    assert maps.prepare("img", load, p).x is inp.x and len(loads) == 1
    assert torch.equal(inp.x, F.prepare(load(), (1, 28, 28), "none"))
    cold = maps.layer(net, inp, "layers.3")
    assert maps.activations.hits == 0
    cap = maps.overview(net, inp)
    assert set(cap.layers) == {row.path for row in net.rows}
    assert torch.equal(maps.layer(net, inp, "layers.3"), cold) and maps.activations.hits == 1
    assert maps.layer(net, inp, "input") is inp.x


def test_filters_and_top5() -> None:
    net = _net()
    f = first_filters(net)
    assert f is not None and f["layer"] == "layers.0" and f["shape"] == [16, 1, 3, 3]
    out = torch.arange(10.0)
    assert top5(net, out) is None  # random weights predict nothing
    top = top5(_net(weights=True), out)
    assert [t["index"] for t in top] == [9, 8, 7, 6, 5]
    assert [t["label"] for t in top] == ["19", "18", "17", "16", "15"]
    assert abs(top[0]["p"] - float(torch.softmax(out, 0)[9])) < 1e-6


def test_a_segmentation_map_predicts_classes_by_share_of_pixels() -> None:
    # Issue 16: a (K, H, W) output is not K*H*W classes; each class's share of the pixels.
    from types import SimpleNamespace

    from server.net.core.feature_maps import top5

    out = torch.zeros(3, 2, 2)
    out[1, 0, :] = 1.0  # top row: class 1
    out[2, 1, 0] = 1.0  # one pixel: class 2; the last pixel ties at 0 -> class 0
    net = SimpleNamespace(weights=SimpleNamespace(labels=lambda k: ["bg", "cat", "dog"][:k]))
    got = top5(net, out)  # type: ignore[arg-type]
    assert got == [
        {"index": 1, "label": "cat", "p": 0.5},
        {"index": 0, "label": "bg", "p": 0.25},
        {"index": 2, "label": "dog", "p": 0.25},
    ]
