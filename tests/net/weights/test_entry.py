"""server/net/weights/entry.py: what an entry tells a view (labels, zoo, preprocessing)."""

from __future__ import annotations

from pathlib import Path

import models
from server.net.core.head import with_head
from server.net.data import imagenet
from server.net.weights.entry import Entry, torchvision_preprocess


def _entry(outputs: int, **extra: object) -> Entry:
    spec = with_head(models.get("resnet18"), outputs)
    return Entry(id="upload-x", title="t", kind="upload", spec=spec, path=Path("/nope"), **extra)


def test_torchvision_heads_of_1000_units_are_named_by_imagenet() -> None:
    entry = _entry(1000, zoo="resnet18", preprocess=torchvision_preprocess())
    names = entry.labels(1000)
    assert names == list(imagenet.class_names()) and names[0] == "tench"
    public = entry.public()
    assert public["labels"] == names and public["zoo"] == "resnet18"
    assert public["preprocess"] == {
        "resize": 256,
        "crop": 224,
        "mean": [0.485, 0.456, 0.406],
        "std": [0.229, 0.224, 0.225],
    }


def test_other_entries_keep_their_numbers() -> None:
    assert _entry(5, zoo="resnet18").labels(5) == ["0", "1", "2", "3", "4"]
    assert _entry(5, zoo="resnet18").public()["labels"] is None
    plain = _entry(1000)  # not torchvision-born: no ImageNet names
    assert plain.public()["labels"] is None and plain.public()["preprocess"] is None
    assert plain.labels(3) == ["0", "1", "2"]
    assert _entry(3, classes=[5, 6, 7]).labels(3) == ["5", "6", "7"]
