"""The shipped ImageNet-1k class names (server/net/data/imagenet.py)."""

from __future__ import annotations

from server.net.data import imagenet


def test_thousand_names_in_class_order() -> None:
    names = imagenet.class_names()
    assert len(names) == imagenet.NUM_CLASSES == 1000
    # Indices every ImageNet course quotes: 0 tench, 1 goldfish, 985 daisy.
    assert names[0] == "tench" and names[1] == "goldfish" and names[985] == "daisy"
    assert all(isinstance(n, str) and n for n in names)
