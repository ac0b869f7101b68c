"""How an image becomes a network's input: the policy, and what the preparation panel shows.

- Weights born in torchvision carry its `preprocess` (issue 17): the shorter side resized
  to 256 (bilinear, antialias), the centre 224 x 224, [0, 1], standardised with the
  ImageNet mean/std (GoogLeNet's official weights: 0.5 and 0.5).
- Anything else is stretched to the network's H x W (features.prepare) and normalised
  as asked, else as the weights were trained (MNIST's numbers say "mnist"), else
  "imagenet" for RGB and "mnist" for gray.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from PIL import Image

from server.net.core import features as F
from server.net.weights import library as lib

MNIST_STATS = F.NORMALIZE["mnist"]


@dataclass(frozen=True)
class Preprocess:
    """torchvision's ImageNet preparation of an entry."""

    resize: int  # the shorter side, before the crop
    crop: int
    mean: tuple[float, ...]
    std: tuple[float, ...]
    interpolation: str = "bilinear"  # EfficientNet's official weights: "bicubic" (issue 16)

    def public(self) -> dict[str, Any]:
        out = {"resize": self.resize, "crop": self.crop, "mean": self.mean, "std": self.std}
        if self.interpolation != "bilinear":
            out["interpolation"] = self.interpolation
        return out


def preprocess_of(entry: lib.Entry | None) -> Preprocess | None:
    """The entry's torchvision preprocessing (Entry.preprocess), or None."""
    found = entry.preprocess if entry is not None else None
    if not found:
        return None
    return Preprocess(
        int(found["resize"]),
        int(found["crop"]),
        tuple(found["mean"]),
        tuple(found["std"]),
        "bicubic" if found.get("interpolation") == "bicubic" else "bilinear",
    )


@dataclass(frozen=True)
class Plan:
    """Everything an input depends on besides the image: the cache key of prepared inputs."""

    shape: tuple[int, int, int]  # the network's (C, H, W)
    normalize: str  # none | mnist | imagenet | trained
    stats: F.Stats | None  # the (mean, std) the weights were trained with, when known
    invert: bool
    preprocess: Preprocess | None

    def apply(self, img: Image.Image) -> torch.Tensor:
        """The image as the network's input (C, H, W); ValueError when it cannot be."""
        if self.preprocess is None:
            return F.prepare(img, self.shape, self.normalize, self.invert, self.stats)
        p = self.preprocess
        if self.shape != (3, p.crop, p.crop):
            raise ValueError(
                f"the network reads {self.shape}, but its weights' preprocessing gives "
                f"(3, {p.crop}, {p.crop})"
            )
        stats = F.check_normalize(self.normalize, self.stats)
        return F.prepare_torchvision(img, p.resize, p.crop, stats, self.invert, p.interpolation)


def plan(
    entry: lib.Entry | None,
    shape: tuple[int, int, int],
    normalize: str | None,
    invert: bool,
    data_dir: Any = None,
) -> Plan:
    """The preparation for `entry`'s network (None: random weights); `normalize`: the
    user's choice, None for the default. ValueError for "trained" without known stats."""
    preprocess = preprocess_of(entry)
    if preprocess is not None:
        stats: F.Stats | None = (preprocess.mean, preprocess.std)
    else:
        stats = lib.input_stats(entry, data_dir) if entry is not None else None
    chosen = normalize or default_normalize(stats, shape[0])
    if chosen == "trained" and stats is None:
        raise ValueError(
            "'trained' needs weights whose training data is known (not an imported "
            "file); pick none, mnist or imagenet"
        )
    return Plan(tuple(shape), chosen, stats, invert, preprocess)  # type: ignore[arg-type]


def default_normalize(stats: F.Stats | None, channels: int) -> str:
    if stats is not None:
        same = all(abs(a - b) < 1e-6 for a, b in zip(stats[0] + stats[1], sum(MNIST_STATS, ())))
        return "mnist" if same and len(stats[0]) == 1 else "trained"
    return "imagenet" if channels == 3 else "mnist"
