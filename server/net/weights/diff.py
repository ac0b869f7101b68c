"""Which layers moved in fine-tuning: fine-tuned weights against the ones they started from.

For a run started from shipped weights (config.init_from), the first conv layer's filters
before and after, each filter's relative L2 change ||w - w0|| / ||w0||, and the same number
per layer for every layer with parameters. A frozen layer's change is exactly 0 (issue 7).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from server.net.train.transfer import under

EPS = 1e-12


@dataclass
class FilterDiff:
    layer: str  # the first conv layer's path
    pretrained: torch.Tensor  # (out, in/groups, kh, kw) before fine-tuning
    tuned: torch.Tensor  # the same, after
    change: list[float]  # per filter: relative L2 change
    frozen: bool
    identical: bool  # bit for bit


@dataclass
class LayerDiff:
    path: str
    change: float | None  # relative L2 change of all its parameters; None: a new layer
    frozen: bool
    new: bool  # not in the pretrained file or another shape (a new head)


def relative(before: torch.Tensor, after: torch.Tensor) -> float:
    """||after - before|| / ||before|| over all values (0 when both are zero)."""
    b, a = before.detach().double().flatten(), after.detach().double().flatten()
    return float((a - b).norm() / max(float(b.norm()), EPS)) if b.numel() else 0.0


def first_conv(module: nn.Module, paths: list[str]) -> str | None:
    named = dict(module.named_modules())
    for path in paths:
        if isinstance(named.get(path), nn.Conv2d):
            return path
    return None


def filters(
    module: nn.Module, start: dict[str, torch.Tensor], paths: list[str], frozen: list[str]
) -> FilterDiff | None:
    """The first conv layer of `paths` (layer paths in order), before and after."""
    path = first_conv(module, paths)
    if path is None or f"{path}.weight" not in start:
        return None
    w0 = start[f"{path}.weight"].detach().float()
    w1 = module.get_submodule(path).weight.detach().float()
    if w0.shape != w1.shape:
        return None
    change = [relative(a, b) for a, b in zip(w0, w1)]
    return FilterDiff(path, w0, w1, change, under(path, frozen), bool(torch.equal(w0, w1)))


def layers(
    module: nn.Module, start: dict[str, torch.Tensor], paths: list[str], frozen: list[str]
) -> list[LayerDiff]:
    """Every layer path that owns parameters directly (conv, linear, norm...), in order."""
    named = dict(module.named_modules())
    out = []
    for path in paths:
        m = named.get(path)
        if m is None:
            continue
        own = {f"{path}.{k}": p for k, p in m.named_parameters(recurse=False)}
        if not own:
            continue
        new = any(k not in start or start[k].shape != p.shape for k, p in own.items())
        if new:
            out.append(LayerDiff(path, None, under(path, frozen), True))
            continue
        before = torch.cat([start[k].detach().double().flatten() for k in own])
        after = torch.cat([p.detach().double().flatten() for p in own.values()])
        out.append(LayerDiff(path, relative(before, after), under(path, frozen), False))
    return out
