"""The held-out sample the per-epoch curve is measured on (issue 20).

Every epoch ends with a held-out pass for the curve (val_loss, val_acc). On a run of many
short epochs (the transfer preset: 50 images, 80 steps, 40 epochs against ~4,900 held-out
digits) those passes were nearly all of its time. The curve is measured on a fixed random
sample of at most `TrainConfig.val_curve_samples` (250) held-out examples, drawn once per run
from its seed by a generator of its own (training draws nothing more, so it trains
exactly as before); the final metrics still use the whole held-out set.
"""

from __future__ import annotations

import torch


def sample(
    x: torch.Tensor, y: torch.Tensor, limit: int | None, seed: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """(x, y) as they are when `limit` is None or not below their size, else `limit` of
    them chosen by a permutation seeded by `seed` (kept in their original order)."""
    if limit is None or len(x) <= limit:
        return x, y
    gen = torch.Generator().manual_seed(seed)
    keep = torch.randperm(len(x), generator=gen)[:limit].sort().values
    return x[keep], y[keep]
