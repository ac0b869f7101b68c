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


def load(name: str, height: int, width: int, train_limit: int | None = None) -> Split:
    """The dataset at (1, height, width); `train_limit` keeps the first n training samples
    (a class-balanced prefix is not promised; it is for quick runs and tests)."""
    x, y, vx, vy = _raw(name)
    if train_limit is not None:
        x, y = x[:train_limit], y[:train_limit]
    return Split(
        _resize(x, (height, width)), y, _resize(vx, (height, width)), vy, NUM_CLASSES[name]
    )
