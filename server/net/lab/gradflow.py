"""Gradient flow (issue 8): per-layer gradient norms and activation histograms.

- `at_init(module, x, y)`: one batch through a freshly initialised network and back;
  for every conv/linear layer ||dL/dW||, ||W|| and their ratio, and a histogram of the
  activation that follows it (the next relu/sigmoid/tanh/... in the same stack, past any
  batch norm or dropout; the layer's own output when none follows).
- `maybe_probe(...)`: the same numbers while training, called by server/net/train/epoch.py after
  `backward()` and before `step()` on every `probe_every`-th iteration (1, k+1, 2k+1...).
  Gradients are the training step's own; activations come from a second forward pass of the
  same batch under no_grad with hooks that exist only for that pass, with the random
  generator and every buffer (batch-norm running statistics) restored afterwards, so a
  probed run trains exactly like an unprobed one (dropout masks of the probe's pass differ).
- `comparison(depth, width)`: the classic experiment as four NetworkSpecs with their
  training settings: a deep plain sigmoid network (gradients vanish), then the same fixed
  three ways: ReLU + He init, batch norm, skip connections (pre-activation residual blocks).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from server.net.core.spec import NetworkSpec
from server.net.lab.init_stats import histogram

BINS = 30
# The probe summarises at most this many values per activation (a strided sample).
PROBE_VALUES = 1 << 15
ACTIVATIONS: dict[type[nn.Module], str] = {
    nn.ReLU: "relu",
    nn.LeakyReLU: "leaky_relu",
    nn.Sigmoid: "sigmoid",
    nn.Tanh: "tanh",
    nn.GELU: "gelu",
}
# Between a weight layer and its activation: skipped when looking for the activation.
PASS_THROUGH = (nn.BatchNorm1d, nn.BatchNorm2d, nn.Dropout, nn.Dropout2d)


@dataclass(frozen=True)
class Watch:
    path: str  # the conv/linear layer
    type: str  # "conv2d" | "linear"
    act_path: str  # whose output the histogram shows
    act_type: str  # "relu", "sigmoid", ... or "conv2d"/"linear" for the layer's own output


def watches(module: nn.Module) -> list[Watch]:
    """Every conv/linear layer in forward order, with the activation that follows it."""
    out: list[Watch] = []
    for prefix, container in module.named_modules():
        if not isinstance(container, nn.Sequential):
            continue
        kids = list(container.named_children())
        for i, (name, child) in enumerate(kids):
            if not isinstance(child, nn.Conv2d | nn.Linear):
                continue
            path = f"{prefix}.{name}" if prefix else name
            kind = "conv2d" if isinstance(child, nn.Conv2d) else "linear"
            act_path, act_type = path, kind
            for later_name, later in kids[i + 1 :]:
                if isinstance(later, PASS_THROUGH):
                    continue
                if type(later) in ACTIVATIONS:
                    act_path = f"{prefix}.{later_name}" if prefix else later_name
                    act_type = ACTIVATIONS[type(later)]
                break
            out.append(Watch(path, kind, act_path, act_type))
    # named_modules() is depth-first in registration order, which is forward order for
    # the containers build.py makes; sort by position to be safe with nesting.
    order = {name: i for i, (name, _) in enumerate(module.named_modules())}
    return sorted(out, key=lambda w: order[w.path])


@contextmanager
def capture(module: nn.Module, paths: list[str]) -> Iterator[dict[str, torch.Tensor]]:
    """Forward hooks keeping each named module's output (detached) while the block runs;
    removed in `finally`."""
    named = dict(module.named_modules())
    store: dict[str, torch.Tensor] = {}
    handles = []

    def keeper(path: str) -> Callable[..., None]:
        def hook(_m: nn.Module, _inputs: object, output: object) -> None:
            if isinstance(output, torch.Tensor):
                store[path] = output.detach()

        return hook

    try:
        for path in dict.fromkeys(paths):
            handles.append(named[path].register_forward_hook(keeper(path)))
        yield store
    finally:
        for handle in handles:
            handle.remove()


@dataclass
class LayerFlow:
    path: str
    type: str
    grad_norm: float  # ||dL/dW|| (Frobenius); 0 for a frozen layer
    weight_norm: float  # ||W||
    ratio: float  # grad_norm / weight_norm: how big a step is, relative to the weights
    act_path: str
    act_type: str
    hist: list[int]
    lo: float
    hi: float
    mean: float
    std: float
    zeros: float
    saturated: float


def layer_flows(
    module: nn.Module,
    ws: list[Watch],
    acts: dict[str, torch.Tensor],
    bins: int,
    max_values: int | None = None,
) -> list[LayerFlow]:
    named = dict(module.named_modules())
    out = []
    for w in ws:
        weight = named[w.path].weight
        g = float(weight.grad.norm()) if weight.grad is not None else 0.0
        wn = float(weight.detach().norm())
        act = acts.get(w.act_path)
        hist = histogram(
            act if act is not None else torch.zeros(0), bins, w.act_type, max_values=max_values
        )
        out.append(
            LayerFlow(
                path=w.path,
                type=w.type,
                grad_norm=g,
                weight_norm=wn,
                ratio=g / wn if wn > 0 else 0.0,
                act_path=w.act_path,
                act_type=w.act_type,
                hist=hist.counts,
                lo=hist.lo,
                hi=hist.hi,
                mean=hist.mean,
                std=hist.std,
                zeros=hist.zeros,
                saturated=hist.saturated,
            )
        )
    return out


@dataclass
class InitFlow:
    loss: float
    layers: list[LayerFlow]


def at_init(module: nn.Module, x: torch.Tensor, y: torch.Tensor, bins: int = BINS) -> InitFlow:
    """Cross-entropy of one batch (x (N, C, H, W), y (N,)) and its backward pass, in train
    mode; the module's gradients are left set (and nothing is stepped)."""
    ws = watches(module)
    module.train()
    module.zero_grad(set_to_none=True)
    with capture(module, [w.act_path for w in ws]) as acts:
        loss = F.cross_entropy(module(x), y)
    loss.backward()
    return InitFlow(float(loss.detach()), layer_flows(module, ws, acts, bins))


def probe(module: nn.Module, xb: torch.Tensor, bins: int = BINS) -> list[LayerFlow]:
    """Gradient norms as they are now, activations from a side forward pass of `xb` that
    leaves the random generator and every buffer as it found them."""
    ws = watches(module)
    saved = [b.detach().clone() for b in module.buffers()]
    try:
        with (
            torch.random.fork_rng(devices=[]),
            torch.no_grad(),
            capture(module, [w.act_path for w in ws]) as acts,
        ):
            module(xb)
    finally:
        with torch.no_grad():
            for b, s in zip(module.buffers(), saved):
                b.copy_(s)
    return layer_flows(module, ws, acts, bins, PROBE_VALUES)


def maybe_probe(
    module: nn.Module,
    x: torch.Tensor,
    batch: torch.Tensor,
    it: int,
    every: int | None,
    on_event: Callable[[dict[str, Any]], None],
) -> None:
    """The training loop's one line: on iterations 1, every+1, 2*every+1, ... emit
    {"kind": "gradflow", "iter", "layers": [{path, grad_norm, weight_norm, hist, lo, hi,
    ...}]}; otherwise (or with every=None) nothing, at the cost of one comparison."""
    if not every or (it - 1) % every:
        return
    layers = probe(module, x[batch])
    on_event({"kind": "gradflow", "iter": it, "layers": [asdict(f) for f in layers]})


# --- the classic comparison --------------------------------------------------------

COMPARISON = {
    "sigmoid": (
        "Sigmoid, plain",
        "xavier",
        "A deep stack of linear layers with sigmoid. σ'(z) <= 1/4, so every layer scales "
        "the gradient down on its way back: the first layers hardly learn.",
    ),
    "relu_he": (
        "ReLU + He init",
        "kaiming",
        "The same stack with ReLU (slope 1 where active) and He initialisation "
        "(variance 2 / fan_in), which keeps the signal's size from layer to layer.",
    ),
    "batchnorm": (
        "Sigmoid + batch norm",
        "xavier",
        "The sigmoid stack with batch norm before each sigmoid: inputs stay near 0, where "
        "the sigmoid's slope is largest.",
    ),
    "residual": (
        "Sigmoid + skip connections",
        "xavier",
        "The sigmoid stack as residual blocks x + W·σ(x): the identity path carries the "
        "gradient back to the first layer unchanged.",
    ),
}


def _linear(width: int) -> dict[str, Any]:
    return {"type": "linear", "out_features": width}


def comparison_spec(key: str, depth: int, width: int, classes: int = 10) -> NetworkSpec:
    """`depth` linear layers in all four (28x28 MNIST in, `classes` out)."""
    hidden = depth - 1
    layers: list[dict[str, Any]] = [{"type": "flatten"}]
    if key == "residual":
        layers.append(_linear(width))
        for _ in range(hidden - 1):
            body = [{"type": "sigmoid"}, _linear(width)]
            layers.append({"type": "residual", "body": body})
        layers.append({"type": "sigmoid"})
    else:
        act = {"type": "relu" if key == "relu_he" else "sigmoid"}
        for _ in range(hidden):
            layers.append(_linear(width))
            if key == "batchnorm":
                layers.append({"type": "batchnorm1d"})
            layers.append(act)
    layers.append(_linear(classes))
    title = COMPARISON[key][0]
    return NetworkSpec.model_validate(
        {
            "name": f"{title}, {depth} layers",
            "input": {"channels": 1, "height": 28, "width": 28},
            "layers": layers,
        }
    )


def comparison_init(key: str) -> str:
    """The TrainConfig.init of each comparison network."""
    return COMPARISON[key][1]
