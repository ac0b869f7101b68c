"""Choosing a run's samples: a class subset, a per-class cap, a fresh stratified split.

datasets.load applies them in this order: resplit (val_split), select_classes (classes),
cap_per_class (per_class); each keeps the samples' order.
"""

from __future__ import annotations

import math

import torch

Raw = tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]


def select_classes(
    x: torch.Tensor, y: torch.Tensor, classes: list[int]
) -> tuple[torch.Tensor, torch.Tensor]:
    """Keep samples whose label is in `classes`, relabelled 0..k-1 in the list's order."""
    size = max([*classes, int(y.max()) if len(y) else 0]) + 1
    relabel = torch.full((size,), -1, dtype=torch.long)
    relabel[torch.tensor(classes, dtype=torch.long)] = torch.arange(len(classes))
    keep = relabel[y] >= 0
    return x[keep], relabel[y[keep]]


def cap_per_class(
    x: torch.Tensor, y: torch.Tensor, n: int, seed: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """At most n samples of each label, drawn by a seeded shuffle; original order kept."""
    gen = torch.Generator().manual_seed(seed)
    picked = []
    for label in torch.unique(y):
        idx = torch.nonzero(y == label).flatten()
        picked.append(idx[torch.randperm(len(idx), generator=gen)[:n]])
    keep = torch.sort(torch.cat(picked)).values if picked else torch.zeros(0, dtype=torch.long)
    return x[keep], y[keep]


VAL_SPLIT_MIN, VAL_SPLIT_MAX = 0.05, 0.5  # bounds of TrainConfig.val_split


def held_count(total: int, fraction: float) -> int:
    """How many of `total` samples a re-split holds out: fraction * total rounded half up
    (the Train view's hint computes the same)."""
    return math.floor(total * fraction + 0.5)


def resplit(
    x: torch.Tensor,
    y: torch.Tensor,
    vx: torch.Tensor,
    vy: torch.Tensor,
    fraction: float,
    seed: int,
) -> Raw:
    """Pool the train and held-out parts and split them again so `held_count(N, fraction)`
    samples are held out, stratified: each class gives its share (largest remainders get
    the extra ones, ties to the lower label), picked by a shuffle seeded by `seed`. Both new
    parts keep the pooled order (train part first, then held-out)."""
    if not 0 < fraction < 1:
        raise ValueError(f"val_split must be between 0 and 1, got {fraction}")
    px, py = torch.cat([x, vx]), torch.cat([y, vy])
    labels, counts = torch.unique(py, return_counts=True)
    quota = counts.double() * fraction
    held = quota.floor().long()
    extra = held_count(len(py), fraction) - int(held.sum())
    if extra > 0:
        # Largest fractional parts first; a stable sort breaks ties by label.
        order = torch.sort(quota - held, descending=True, stable=True).indices
        held[order[:extra]] += 1
    gen = torch.Generator().manual_seed(seed)
    picked = []
    for label, k in zip(labels.tolist(), held.tolist(), strict=True):
        idx = torch.nonzero(py == label).flatten()
        picked.append(idx[torch.randperm(len(idx), generator=gen)[:k]])
    is_held = torch.zeros(len(py), dtype=torch.bool)
    if picked:
        is_held[torch.cat(picked)] = True
    return px[~is_held], py[~is_held], px[is_held], py[is_held]
