"""Gradient checking: backprop's gradient against a centred finite difference, per layer.

For a seeded sample of each layer's parameters theta_i:
    g_num_i = (J(theta + eps e_i) - J(theta - eps e_i)) / (2 eps)
and the layer's relative difference is ||g_num - g|| / (||g_num|| + ||g||).
Everything runs in float64 and in eval mode (batch norm uses running statistics, dropout
is off) so that J is a deterministic function of theta.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from server.net.core import modules as M
from server.net.core import spec as S

FINE = 1e-7  # below: backprop agrees with the finite difference
BUG = 1e-3  # at or above: the gradient is wrong
BATCH = 4  # random inputs per check
CONTAINERS = (M.Network, M.Group, M.Residual, M.Parallel, nn.Sequential, nn.ModuleList)
BROKEN_PATH = "broken"


def verdict(rel: float) -> str:
    if rel < FINE:
        return "fine"
    return "look closer" if rel < BUG else "bug"


class _WrongScaledReLU(torch.autograd.Function):
    """y = w * relu(x). Its backward is correct for x but forgets relu's mask for w:
    it returns sum(grad * x) instead of sum(grad * relu(x))."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(x, w)
        return w * x.clamp(min=0)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x, w = ctx.saved_tensors
        grad_x = grad * w * (x > 0).to(grad.dtype)
        grad_w = (grad * x).sum().reshape(w.shape)  # the bug: negative inputs leak in
        return grad_x, grad_w


class BrokenScaledReLU(nn.Module):
    """A layer with a deliberately wrong backward, for the check to catch."""

    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.tensor([1.5]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _WrongScaledReLU.apply(x, self.scale)


def layer_paths(net: nn.Module) -> list[tuple[str, nn.Module]]:
    """Leaf layers (in spec order) that own parameters, e.g. `layers.3` or `layers.4.body.0`.

    A recurrent layer's inner nn.LSTM belongs to its layer: we do not descend into a taken one.
    """
    out: list[tuple[str, nn.Module]] = []
    for name, mod in net.named_modules():
        if not name or isinstance(mod, CONTAINERS):
            continue
        if any(name.startswith(p + ".") for p, _ in out):
            continue
        if next(mod.parameters(), None) is not None:
            out.append((name, mod))
    return out


def _loss(out: torch.Tensor, labels: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    if out.dim() == 2 and out.shape[1] > 1:  # (N, classes)
        return F.cross_entropy(out, labels)
    return (out * weights).sum()  # any other output: a seeded weighting of every value


@dataclass
class LayerCheck:
    path: str
    kind: str  # the module's class name, e.g. Conv2d
    params: int  # parameters the layer owns
    sampled: int
    rel_diff: float
    verdict: str
    inserted: bool  # the deliberately broken layer


@dataclass
class GradCheck:
    layers: list[LayerCheck]
    loss: str
    eps: float
    note: str


def check(
    net: nn.Module,
    input_shape: tuple[int, ...],
    *,
    samples_per_layer: int,
    eps: float,
    seed: int,
    broken: bool,
) -> GradCheck:
    gen = torch.Generator().manual_seed(seed)
    net = net.double().eval()
    layers = layer_paths(net)
    if broken and layers:
        # Inserted after the first layer with parameters: its output goes through the bad layer.
        bad = BrokenScaledReLU().double()
        net.add_module(BROKEN_PATH, bad)
        layers[0][1].register_forward_hook(lambda _m, _i, out: bad(out))
        layers.insert(1, (BROKEN_PATH, bad))
    x = torch.randn((BATCH, *input_shape), generator=gen, dtype=torch.float64)
    with torch.no_grad():
        probe = net(x)  # (N, ...) output shape picks the loss
    labels = torch.randint(0, max(1, probe.shape[-1]), (BATCH,), generator=gen)
    weights = torch.randn(probe.shape, generator=gen, dtype=torch.float64)
    is_ce = probe.dim() == 2 and probe.shape[1] > 1

    def objective() -> torch.Tensor:
        return _loss(net(x), labels, weights)

    net.zero_grad(set_to_none=True)
    objective().backward()

    results = []
    for path, mod in layers:
        params = [p for p in mod.parameters() if p.grad is not None or p.requires_grad]
        sizes = [p.numel() for p in params]
        total = sum(sizes)
        k = min(samples_per_layer, total)
        picks = torch.randperm(total, generator=gen)[:k].tolist()
        g, g_num = [], []
        with torch.no_grad():
            for flat in picks:
                i = 0
                while flat >= sizes[i]:  # which tensor of the layer holds this index
                    flat -= sizes[i]
                    i += 1
                p = params[i].view(-1)
                grad = params[i].grad
                g.append(0.0 if grad is None else float(grad.view(-1)[flat]))
                keep = float(p[flat])
                p[flat] = keep + eps
                up = float(objective())
                p[flat] = keep - eps
                down = float(objective())
                p[flat] = keep
                g_num.append((up - down) / (2 * eps))
        a, b = torch.tensor(g_num), torch.tensor(g)
        denom = float(a.norm() + b.norm())
        rel = float((a - b).norm()) / denom if denom > 0 else 0.0
        results.append(
            LayerCheck(
                path=path,
                kind=type(mod).__name__,
                params=total,
                sampled=k,
                rel_diff=rel,
                verdict=verdict(rel),
                inserted=path == BROKEN_PATH,
            )
        )
    return GradCheck(
        layers=results,
        loss="cross-entropy against random labels"
        if is_ce
        else "a seeded random weighting of the outputs",
        eps=eps,
        note="float64, eval mode: batch norm uses its running statistics and dropout is off, "
        "so the loss is a deterministic function of the parameters",
    )


def tiny_spec() -> S.NetworkSpec:
    """A few-hundred-parameter net with every kind of layer that owns parameters."""
    return S.NetworkSpec.model_validate(
        {
            "name": "gradcheck tiny",
            "input": {"channels": 1, "height": 6, "width": 6},
            "layers": [
                {"type": "conv2d", "out_channels": 3, "kernel_size": 3, "padding": "same"},
                {"type": "batchnorm2d"},
                {"type": "tanh"},
                {
                    "type": "residual",
                    "body": [
                        {"type": "conv2d", "out_channels": 3, "kernel_size": 3, "padding": "same"}
                    ],
                },
                {
                    "type": "parallel",
                    "branches": [
                        [{"type": "conv2d", "out_channels": 2, "kernel_size": 1}],
                        [{"type": "conv2d", "out_channels": 2, "kernel_size": 3, "padding": 1}],
                    ],
                },
                {"type": "gru", "hidden_size": 5, "output": "sequence"},
                {"type": "lstm", "hidden_size": 4},
                {"type": "linear", "out_features": 3},
            ],
        }
    )
