"""Segmentation data (issue 16): per-pixel class masks beside the images.

A mask is (N, H, W) int64, each value a class index (0 is background). "shapes_masks" is
the synthetic shapes set with masks (server/net/data/synthetic.py); uploads may carry a
`masks/` folder (server/net/data/mask_archive.py). A segmentation split keeps masks where
a classification split keeps labels; this module holds what differs.
"""

from __future__ import annotations

from functools import lru_cache

import torch
import torch.nn.functional as F

from server.net.data import synthetic

SHAPES_MASKS = "shapes_masks"
SEED = 20261216  # not the shapes seed: a different set of images
TRAIN, VAL = 2_000, 500
SIDE = 64
TASK = "segmentation"


class NotForMasks(ValueError):
    """An option of classification sets asked of a segmentation set (-> 422)."""


@lru_cache(maxsize=2)
def shapes_masks(height: int, width: int) -> tuple[torch.Tensor, ...]:
    """(x, masks, vx, vmasks) of shapes_masks at (height, width): images (N, 3, H, W) in
    [0, 1], masks (N, H, W) int64 in 0..4 (synthetic.MASK_CLASSES)."""
    x, _, m = synthetic.generate_masks(TRAIN, height, width, SEED)
    vx, _, vm = synthetic.generate_masks(VAL, height, width, SEED + 1)
    return x, m, vx, vm


def resize(masks: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """(N, h, w) class indices -> (N, *size) by nearest neighbour: a resized mask never
    invents a class between two others (bilinear would)."""
    if tuple(masks.shape[-2:]) == size:
        return masks.long()
    m = masks.to(torch.float32).unsqueeze(1)  # class indices are small: exact in float32
    return F.interpolate(m, size=size, mode="nearest-exact").squeeze(1).long()


def refuse_options(name: str, classes: object, per_class: object, val_split: object) -> None:
    """Class subsets, per-class caps and a stratified re-split are about image labels; a
    segmentation set has masks instead, so they are refused by name."""
    for field, value in (("classes", classes), ("per_class", per_class), ("val_split", val_split)):
        if value is not None:
            raise NotForMasks(
                f"{field} is for classification datasets; {name!r} is a segmentation "
                "dataset (per-pixel masks): leave it empty"
            )
