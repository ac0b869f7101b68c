"""Datasets a run can train on: the shipped MNIST and scikit-learn's 8x8 digits.

Both come as (train, held-out) pairs of float tensors in [0, 1], (N, 1, H, W), and int64
labels (N,). Images are resized to the network's input height and width, so the 8x8
digits can feed a 28x28 network (bilinear upscaling) and MNIST a smaller one.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F

from server.net import mnist

NAMES = ("mnist", "digits")
NUM_CLASSES = {"mnist": 10, "digits": 10}
TITLES = {
    "mnist": "MNIST digits, 28x28 (8,000 train / 2,000 held out)",
    "digits": "scikit-learn digits, 8x8 (upscaled to the network input)",
}
CHANNELS = 1
DIGITS_SPLIT_SEED = 20240502
DIGITS_TRAIN_FRACTION = 0.8


@dataclass(frozen=True)
class Split:
    x_train: torch.Tensor  # (N, 1, H, W) float32 in [0, 1]
    y_train: torch.Tensor  # (N,) int64
    x_val: torch.Tensor  # (M, 1, H, W)
    y_val: torch.Tensor  # (M,)
    num_classes: int


@lru_cache(maxsize=1)
def _digits_split() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Stratified 80/20 split of the 1,797 digits, fixed by a seed."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = bunch.images.astype(np.float32) / 16.0  # (1797, 8, 8), values 0..16
    labels = bunch.target.astype(np.int64)
    rng = np.random.default_rng(DIGITS_SPLIT_SEED)
    train: list[np.ndarray] = []
    held: list[np.ndarray] = []
    for digit in range(10):
        idx = np.flatnonzero(labels == digit)
        rng.shuffle(idx)
        k = round(len(idx) * DIGITS_TRAIN_FRACTION)
        train.append(idx[:k])
        held.append(idx[k:])
    tr, he = np.sort(np.concatenate(train)), np.sort(np.concatenate(held))
    return images[tr], labels[tr], images[he], labels[he]


def _raw(name: str) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    if name == "mnist":
        train_idx, held_idx = mnist.split()  # the shared fixed 8,000 / 2,000 split
        x, y = mnist.tensors(train_idx, normalize=False)
        vx, vy = mnist.tensors(held_idx, normalize=False)
        return x, y, vx, vy
    if name == "digits":
        x, y, vx, vy = _digits_split()
        return (
            torch.from_numpy(x).unsqueeze(1),
            torch.from_numpy(y),
            torch.from_numpy(vx).unsqueeze(1),
            torch.from_numpy(vy),
        )
    raise ValueError(f"unknown dataset {name!r}; known: {', '.join(NAMES)}")


def _resize(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    if tuple(x.shape[-2:]) == size:
        return x
    return F.interpolate(x, size=size, mode="bilinear", align_corners=False).clamp(0, 1)


def sizes(name: str) -> tuple[int, int]:
    """(train samples, held-out samples), without loading pixels into a network size."""
    x, _, vx, _ = _raw(name)
    return len(x), len(vx)


def select_classes(
    x: torch.Tensor, y: torch.Tensor, classes: list[int]
) -> tuple[torch.Tensor, torch.Tensor]:
    """Keep samples whose label is in `classes`, relabelled 0..k-1 in the list's order."""
    relabel = torch.full((max(NUM_CLASSES.values()),), -1, dtype=torch.long)
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


def load(
    name: str,
    height: int,
    width: int,
    train_limit: int | None = None,
    classes: list[int] | None = None,
    per_class: int | None = None,
    seed: int = 0,
) -> Split:
    """The dataset at (1, height, width); `train_limit` keeps the first n training samples
    (a class-balanced prefix is not promised; it is for quick runs and tests).
    `classes` keeps only those labels in both parts (relabelled 0..k-1 in order);
    `per_class` caps each class of the training part at n samples (seeded)."""
    x, y, vx, vy = _raw(name)
    k = NUM_CLASSES[name]
    if classes is not None:
        bad = [c for c in classes if not 0 <= c < k]
        if bad:
            raise ValueError(f"classes {bad} are not labels of {name!r} (0..{k - 1})")
        x, y = select_classes(x, y, classes)
        vx, vy = select_classes(vx, vy, classes)
        k = len(classes)
    if per_class is not None:
        x, y = cap_per_class(x, y, per_class, seed)
    if train_limit is not None:
        x, y = x[:train_limit], y[:train_limit]
    return Split(_resize(x, (height, width)), y, _resize(vx, (height, width)), vy, k)
