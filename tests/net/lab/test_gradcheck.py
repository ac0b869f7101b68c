from __future__ import annotations

import pytest
import torch

from server.net.core.build import build_module
from server.net.lab import gradcheck as G


def _run(broken: bool) -> list[G.LayerCheck]:
    spec = G.tiny_spec()
    torch.manual_seed(0)
    net = build_module(spec)
    return G.check(
        net, spec.input.shape, samples_per_layer=8, eps=1e-6, seed=0, broken=broken
    ).layers


def test_every_layer_of_a_mixed_net_passes() -> None:
    layers = _run(broken=False)
    kinds = {c.kind for c in layers}
    assert {"Conv2d", "BatchNorm2d", "Recurrent", "Linear"} <= kinds
    paths = [c.path for c in layers]
    assert "layers.3.body.0" in paths and "layers.4.branches.1.0" in paths  # residual, parallel
    for c in layers:
        assert c.rel_diff < 1e-6, c
        assert c.sampled == min(8, c.params)


def test_the_broken_layer_is_flagged_and_the_rest_stay_fine() -> None:
    layers = _run(broken=True)
    assert layers[1].path == G.BROKEN_PATH and layers[1].inserted
    assert layers[1].rel_diff >= 1e-3 and layers[1].verdict == "bug"
    for c in layers[:1] + layers[2:]:
        assert c.rel_diff < 1e-6 and c.verdict == "fine", c


def test_the_wrong_backward_really_differs_from_autograd() -> None:
    x = torch.tensor([-1.0, 2.0], dtype=torch.float64, requires_grad=True)
    layer = G.BrokenScaledReLU().double()
    layer(x).sum().backward()
    assert layer.scale.grad.item() == pytest.approx(1.0)  # sum(x), the bug
    assert x.grad.tolist() == [0.0, 1.5]  # correct for the input


@pytest.mark.parametrize(
    ("rel", "word"), [(1e-9, "fine"), (1e-5, "look closer"), (1e-3, "bug"), (0.5, "bug")]
)
def test_verdict_bands(rel: float, word: str) -> None:
    assert G.verdict(rel) == word
