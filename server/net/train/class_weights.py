"""Class weights of the cross-entropy (issue 16): TrainConfig.class_weights.

A shapes mask is 88% background and about 1% line, so with plain per-pixel cross-entropy
the rare classes give almost no gradient and are learned last. "inverse_sqrt" weighs each
class's term by 1 / sqrt(its share of the training targets: pixels of the masks, or
labels of a classification set), scaled so that the weights of the classes present
average 1; it is still per-pixel cross-entropy (F.cross_entropy's `weight`). A class
absent from the training targets gets weight 0 (it has no term to weigh).
"""

from __future__ import annotations

from typing import Literal

import torch

ClassWeights = Literal["none", "inverse_sqrt"]


def of(targets: torch.Tensor, k: int, kind: ClassWeights) -> torch.Tensor | None:
    """(k,) float32 weights for F.cross_entropy from the training targets (labels (N,)
    or masks (N, H, W) of class indices), or None for plain cross-entropy."""
    if kind == "none":
        return None
    counts = torch.bincount(targets.flatten(), minlength=k)[:k].to(torch.float64)
    present = counts > 0
    w = torch.zeros(k, dtype=torch.float64)
    w[present] = (counts.sum() / counts[present]).sqrt()
    w[present] /= w[present].mean()
    return w.to(torch.float32)
