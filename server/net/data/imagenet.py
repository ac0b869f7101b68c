"""ImageNet-1k facts the views need: class names and torchvision's preprocessing.

torchvision's classification weights expect an RGB image resized (bilinear) so its
shorter side is 256, centre-cropped to 224x224, scaled to [0, 1] and standardised
per channel with the ImageNet mean and std below (its `ImageClassification` preset).
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

CLASSES_FILE = Path(__file__).resolve().parents[2] / "data" / "imagenet" / "classes.json"
NUM_CLASSES = 1000
RESIZE = 256  # the shorter side, before the crop
CROP = 224
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)
# GoogLeNet's official weights were trained on (x - 0.5) / 0.5: torchvision's
# `transform_input` turns ImageNet-standardised input into that, which is the same as
# standardising with these (issue 17).
GOOGLENET_MEAN = (0.5, 0.5, 0.5)
GOOGLENET_STD = (0.5, 0.5, 0.5)


@lru_cache(maxsize=1)
def class_names() -> tuple[str, ...]:
    """The 1,000 category names in class-index order ("tench", "goldfish", ...)."""
    names = json.loads(CLASSES_FILE.read_text())
    if len(names) != NUM_CLASSES:
        raise ValueError(f"{CLASSES_FILE}: {len(names)} names, expected {NUM_CLASSES}")
    return tuple(names)
