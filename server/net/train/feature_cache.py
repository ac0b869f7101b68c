"""Frozen-extractor training on cached features (issue 17).

When the leading top-level layers of a network are all frozen, their output for an image
never changes during a run: train() computes it ONCE per image (train and held-out sets,
eval mode, no_grad, in batches) and trains only the remaining layers on those features. A
ResNet-18 head then costs one backbone pass over the images instead of one per epoch
(benchmarks/transfer.py measures how much that saves).

The cached run must compute what the uncached one computes, so caching is refused (and
`blocker` says why) where the frozen prefix would not give the same output every time:
  - a dropout layer in it: in train mode a frozen dropout still draws a new mask per batch;
  - a gradient-flow probe (probe_every): it reports every layer's gradients on the images;
  - features larger than the images: the cache would need more memory than the dataset.
Frozen batch norms are already in eval mode during training (transfer.keep_frozen_norms_eval),
so they normalise with their stored statistics in both. TrainConfig has no augmentation; one
would block caching too (the same image would give other features each epoch).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import nn

from server.net.core.shapes import infer
from server.net.core.spec import NetworkSpec
from server.net.train.report import eval_batch
from server.net.train.transfer import under


def frozen_prefix(spec: NetworkSpec, frozen: list[str] | tuple[str, ...]) -> int:
    """How many leading top-level layers lie entirely under the frozen paths."""
    n = 0
    while n < len(spec.layers) and under(f"layers.{n}", frozen):
        n += 1
    return n


def blocker(
    spec: NetworkSpec, module: nn.Module, prefix: int, probe_every: int | None
) -> str | None:
    """Why the first `prefix` top-level layers cannot be cached, or None when they can."""
    if prefix == 0:
        return "no leading layer is frozen"
    if prefix >= len(spec.layers):
        return "every layer is frozen"
    if probe_every:
        return "gradient flow is probed on every layer (probe_every)"
    backbone = module.layers[:prefix]  # type: ignore[index]
    if any(isinstance(m, nn.modules.dropout._DropoutNd) for m in backbone.modules()):
        return "a frozen dropout layer draws a new mask every batch"
    report = infer(spec)
    out = next(r for r in report.layers if r.path == f"layers.{prefix - 1}").output_shape
    if math.prod(out) > math.prod(report.input_shape):
        return "the frozen layers' output is larger than the images"
    return None


def extract(
    backbone: nn.Module,
    x: torch.Tensor,
    should_stop: Callable[[], bool] = lambda: False,
) -> torch.Tensor | None:
    """backbone(x) in eval mode without gradients, report.eval_batch(x) images at a time:
    (N, ...) from (N, C, H, W); None when `should_stop()` said so between two batches. The
    backbone's modules are left in the mode they had."""
    batch = eval_batch(x)
    modes = [(m, m.training) for m in backbone.modules()]
    backbone.eval()
    parts: list[torch.Tensor] = []
    try:
        with torch.no_grad():
            for i in range(0, len(x), batch):
                if should_stop():
                    return None
                parts.append(backbone(x[i : i + batch]))
    finally:
        for m, training in modes:
            m.training = training
    if not parts:
        with torch.no_grad():  # an empty set: the features' shape from one blank image
            shape = backbone.eval()(torch.zeros(1, *x.shape[1:])).shape[1:]
        for m, training in modes:
            m.training = training
        return torch.zeros(0, *shape)
    return torch.cat(parts)
