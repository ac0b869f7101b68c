"""weight_diff: how far fine-tuning moved each filter and layer; frozen ones not at all."""

from __future__ import annotations

import torch

import models
from server.net.core.build import build_module
from server.net.core.head import with_head
from server.net.core.shapes import infer
from server.net.weights import diff as D

SPEC = models.get("mnist_cnn")
PATHS = [row.path for row in infer(SPEC).layers]


def test_relative_change() -> None:
    assert D.relative(torch.tensor([3.0, 4.0]), torch.tensor([3.0, 4.0])) == 0.0
    assert D.relative(torch.tensor([3.0, 4.0]), torch.tensor([6.0, 8.0])) == 1.0
    assert D.relative(torch.zeros(2), torch.zeros(2)) == 0.0


def test_filters_and_layers_against_a_hand_computed_change() -> None:
    torch.manual_seed(0)
    module = build_module(SPEC)
    start = {k: v.clone() for k, v in module.state_dict().items()}
    with torch.no_grad():
        module.layers[0].weight[2] *= 3.0  # filter 2 moves by 200%
        module.layers[3].bias.add_(1.0)
    fd = D.filters(module, start, PATHS, frozen=[])
    assert fd is not None and fd.layer == "layers.0" and not fd.identical
    assert abs(fd.change[2] - 2.0) < 1e-6  # float32 weights: 3w - w = 2w to rounding
    assert [c for i, c in enumerate(fd.change) if i != 2] == [0.0] * 15
    moved = {d.path: d for d in D.layers(module, start, PATHS, frozen=["layers.0"])}
    assert set(moved) == {"layers.0", "layers.3", "layers.8", "layers.10"}
    assert moved["layers.0"].frozen and moved["layers.8"].change == 0.0
    w, b = start["layers.3.weight"].double(), start["layers.3.bias"].double()
    want = float(torch.ones_like(b).norm() / torch.cat([w.flatten(), b]).norm())
    assert abs((moved["layers.3"].change or 0) - want) < 1e-7  # bias + 1 in float32


def test_a_new_head_is_new_and_frozen_is_identical() -> None:
    module = build_module(with_head(SPEC, 5))
    start = build_module(SPEC).state_dict()
    module.load_state_dict({k: v for k, v in start.items() if "layers.10" not in k}, strict=False)
    moved = {d.path: d for d in D.layers(module, start, PATHS, frozen=["layers.0"])}
    assert moved["layers.10"].new and moved["layers.10"].change is None
    fd = D.filters(module, start, PATHS, frozen=["layers.0"])
    assert fd is not None and fd.identical and fd.frozen and fd.change == [0.0] * 16
