"""preparation: which preparation a network's input gets, and that it is applied."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import torch
from PIL import Image

import models
from server.net.core import features as F
from server.net.core.preparation import default_normalize, plan, preprocess_of
from server.net.data import imagenet
from server.net.weights.library import Entry

PREP = {"resize": 256, "crop": 224, "mean": list(imagenet.MEAN), "std": list(imagenet.STD)}


def _entry(
    spec_name: str = "mnist_cnn", preprocess: dict | None = None, **details: object
) -> Entry:
    return Entry(
        id="upload-x",
        title="t",
        kind="upload",
        spec=models.get(spec_name),
        path=Path("x"),
        details=details,
        preprocess=preprocess,
    )


def test_defaults_follow_the_weights_then_the_channels() -> None:
    mnist = F.NORMALIZE["mnist"]
    assert default_normalize(mnist, 1) == "mnist"
    assert default_normalize(((0.5,), (0.2,)), 1) == "trained"
    assert default_normalize(None, 3) == "imagenet" and default_normalize(None, 1) == "mnist"
    assert plan(None, (1, 28, 28), None, False).normalize == "mnist"
    assert plan(None, (1, 28, 28), "none", True).invert


def test_trained_needs_known_statistics() -> None:
    with pytest.raises(ValueError, match="'trained' needs weights"):
        plan(_entry(), (1, 28, 28), "trained", False)  # an imported file: stats unknown
    shipped = _entry(stats=[[0.1307], [0.3081]])
    assert plan(shipped, (1, 28, 28), "trained", False).stats == ((0.1307,), (0.3081,))


def test_torchvision_born_weights_get_its_preprocessing() -> None:
    entry = _entry("resnet18", preprocess=PREP)
    p = plan(entry, (3, 224, 224), None, False)
    assert p.preprocess is not None and p.preprocess.public() == {
        **PREP,
        "mean": imagenet.MEAN,
        "std": imagenet.STD,
    }
    assert p.normalize == "trained" and p.stats == (imagenet.MEAN, imagenet.STD)
    img = Image.new("RGB", (320, 300), (200, 100, 50))
    want = F.prepare_torchvision(img, 256, 224, (imagenet.MEAN, imagenet.STD))
    assert torch.equal(p.apply(img), want)
    # A normalisation picked by the user still gets torchvision's resize and crop.
    none = plan(entry, (3, 224, 224), "none", False).apply(img)
    assert torch.equal(none, F.prepare_torchvision(img, 256, 224, F.NORMALIZE["none"]))
    with pytest.raises(ValueError, match=r"\(3, 224, 224\)"):
        replace(p, shape=(3, 32, 32)).apply(img)


def test_preprocess_comes_from_the_entry() -> None:
    assert preprocess_of(None) is None and preprocess_of(_entry()) is None
    assert preprocess_of(_entry(preprocess={**PREP, "crop": 200})).crop == 200


def test_efficientnets_weights_are_resized_bicubic() -> None:
    """torchvision's EfficientNet-B0 preset resizes with bicubic interpolation (issue 16)."""
    from server.net.weights.official import preprocess

    prep = preprocess("efficientnet_b0")
    assert prep == {**PREP, "interpolation": "bicubic"} and "interpolation" not in preprocess(
        "mobilenet_v2"
    )
    p = plan(_entry("efficientnet_b0", preprocess=prep), (3, 224, 224), None, False)
    assert p.preprocess is not None and p.preprocess.public()["interpolation"] == "bicubic"
    g = torch.Generator().manual_seed(0)
    pixels = torch.randint(0, 256, (300, 330, 3), generator=g, dtype=torch.uint8)
    img = Image.fromarray(pixels.numpy(), mode="RGB")
    x = torch.from_numpy(pixels.numpy()).permute(2, 0, 1)[None].float() / 255  # (1, 3, H, W)
    x = torch.nn.functional.interpolate(
        x, size=(256, 281), mode="bicubic", align_corners=False, antialias=True
    )[0, :, 16:240, 28:252]
    mean, std = (
        torch.tensor(imagenet.MEAN)[:, None, None],
        torch.tensor(imagenet.STD)[:, None, None],
    )
    torch.testing.assert_close(p.apply(img), (x - mean) / std)
    bilinear = F.prepare_torchvision(img, 256, 224, (imagenet.MEAN, imagenet.STD))
    assert not torch.allclose(p.apply(img), bilinear)
