from __future__ import annotations

from typing import Any

import pytest
import torch
import torch.nn.functional as F

from server.net.core.build import build_module
from server.net.core.spec import NetworkSpec
from server.net.data import mnist
from server.net.lab import gradflow as GF
from server.net.train.loop import TrainConfig, initialize, train


def _batch(n: int = 64) -> tuple[torch.Tensor, torch.Tensor]:
    train_idx, _ = mnist.split()
    return mnist.tensors(train_idx[:n])  # (n, 1, 28, 28) standardised, (n,)


def _built(key: str, depth: int = 10, width: int = 64, seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    module = build_module(GF.comparison_spec(key, depth, width))
    initialize(module, GF.comparison_init(key))
    return module


def _first_norm(key: str, depth: int = 10) -> float:
    x, y = _batch()
    return GF.at_init(_built(key, depth), x, y).layers[0].grad_norm


def test_watches_find_the_activation_after_each_weight_layer() -> None:
    ws = GF.watches(_built("batchnorm", depth=4))
    # flatten, (linear, batchnorm1d, sigmoid) x 3, linear: batch norm is skipped over.
    assert [(w.path, w.act_path, w.act_type) for w in ws] == [
        ("layers.1", "layers.3", "sigmoid"),
        ("layers.4", "layers.6", "sigmoid"),
        ("layers.7", "layers.9", "sigmoid"),
        ("layers.10", "layers.10", "linear"),
    ]
    res = GF.watches(_built("residual", depth=4))
    assert [w.path for w in res] == ["layers.1", "layers.2.body.1", "layers.3.body.1", "layers.5"]
    conv = NetworkSpec.model_validate(
        {
            "input": {"channels": 1, "height": 8, "width": 8},
            "layers": [
                {"type": "conv2d", "out_channels": 2, "kernel_size": 3},
                {"type": "dropout2d"},
                {"type": "relu"},
                {"type": "maxpool2d", "kernel_size": 2},
                {"type": "conv2d", "out_channels": 2, "kernel_size": 3},
                {"type": "flatten"},
                {"type": "linear", "out_features": 10},
                {"type": "tanh"},
            ],
        }
    )
    ws = GF.watches(build_module(conv))
    assert [(w.path, w.type, w.act_type) for w in ws] == [
        ("layers.0", "conv2d", "relu"),
        ("layers.4", "conv2d", "conv2d"),  # a pool follows: the layer's own output
        ("layers.6", "linear", "tanh"),
    ]


def test_at_init_numbers_are_torchs() -> None:
    x, y = _batch(32)
    module = _built("sigmoid", depth=5)
    flow = GF.at_init(module, x, y, bins=20)
    # The same by hand, on a copy with the same weights.
    twin = _built("sigmoid", depth=5)
    loss = F.cross_entropy(twin(x), y)
    loss.backward()
    assert flow.loss == pytest.approx(float(loss.detach()))
    linears = [m for m in twin.modules() if isinstance(m, torch.nn.Linear)]
    assert len(flow.layers) == len(linears) == 5
    for f, lin in zip(flow.layers, linears):
        assert f.grad_norm == pytest.approx(float(lin.weight.grad.norm()), rel=1e-5)
        assert f.weight_norm == pytest.approx(float(lin.weight.detach().norm()), rel=1e-6)
        assert f.ratio == pytest.approx(f.grad_norm / f.weight_norm)
    h1 = torch.sigmoid(linears[0](x.flatten(1)).detach())  # (32, 64)
    first = flow.layers[0]
    assert (first.lo, first.hi, len(first.hist)) == (0.0, 1.0, 20)
    assert sum(first.hist) == h1.numel()
    assert first.mean == pytest.approx(float(h1.mean()), rel=1e-5)
    assert first.std == pytest.approx(float(h1.std(unbiased=False)), rel=1e-4)
    assert not any(m._forward_hooks for m in module.modules())  # hooks removed


def test_sigmoid_gradients_vanish_by_orders_of_magnitude() -> None:
    sigmoid = _first_norm("sigmoid")
    relu = _first_norm("relu_he")
    # 10 linear layers: measured 1.3e-5 against 7.1 (about 5e5 times smaller).
    assert relu / sigmoid >= 1e4
    # Batch norm and skip connections each fix the sigmoid network too.
    assert _first_norm("batchnorm") / sigmoid >= 1e4
    assert _first_norm("residual") / sigmoid >= 1e4
    # Fewer layers: less to vanish through (still orders of magnitude at 5).
    assert _first_norm("sigmoid", depth=5) > sigmoid * 10


def test_maybe_probe_reports_the_current_gradients_and_leaves_no_hooks() -> None:
    x, y = _batch(16)
    module = _built("batchnorm", depth=3)
    F.cross_entropy(module(x), y).backward()
    before = [b.clone() for b in module.buffers()]
    events: list[dict[str, Any]] = []
    batch = torch.arange(16)
    GF.maybe_probe(module, x, batch, it=2, every=3, on_event=events.append)
    assert events == []  # iteration 2 is not 1 + a multiple of 3
    GF.maybe_probe(module, x, batch, it=4, every=3, on_event=events.append)
    GF.maybe_probe(module, x, batch, it=1, every=None, on_event=events.append)
    assert len(events) == 1 and events[0]["kind"] == "gradflow" and events[0]["iter"] == 4
    layers = events[0]["layers"]
    linears = [m for m in module.modules() if isinstance(m, torch.nn.Linear)]
    assert [layer["grad_norm"] for layer in layers] == pytest.approx(
        [float(m.weight.grad.norm()) for m in linears]
    )
    for layer in layers:
        assert {"path", "grad_norm", "weight_norm", "hist", "lo", "hi"} <= set(layer)
        assert len(layer["hist"]) == GF.BINS
    for b, saved in zip(module.buffers(), before):  # running statistics restored
        assert torch.equal(b, saved)
    assert not any(m._forward_hooks for m in module.modules())


def test_a_probed_run_trains_exactly_like_an_unprobed_one() -> None:
    spec = NetworkSpec.model_validate(
        {
            "input": {"channels": 1, "height": 28, "width": 28},  # MNIST's own: no resizing
            "layers": [
                {"type": "flatten"},
                {"type": "linear", "out_features": 16},
                {"type": "batchnorm1d"},
                {"type": "relu"},
                {"type": "dropout", "p": 0.5},
                {"type": "linear", "out_features": 10},
            ],
        }
    )
    runs = {}
    for every in (None, 2):
        events: list[dict[str, Any]] = []
        config = TrainConfig(dataset="mnist", epochs=1, batch_size=32, train_limit=200,
                             probe_every=every)  # fmt: skip
        result = train(spec, config, events.append)
        runs[every] = (result, events)
    plain, probed = runs[None], runs[2]
    a, b = plain[0].module.state_dict(), probed[0].module.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)  # buffers and dropout masks untouched
    losses = [[e["loss"] for e in ev if e["kind"] == "iter"] for _, ev in (plain, probed)]
    assert losses[0] == losses[1]
    flows = [e for e in probed[1] if e["kind"] == "gradflow"]
    assert [e["iter"] for e in flows] == [1, 3, 5, 7]  # 200 / 32 -> 7 iterations
    assert not [e for e in plain[1] if e["kind"] == "gradflow"]
