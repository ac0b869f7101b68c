"""features.capture against module-by-module torch execution."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

import models
from server.net.core import features as F
from server.net.core.build import build_module
from server.net.core.shapes import infer
from server.net.core.spec import NetworkSpec


def _manual(module: nn.Module, x: torch.Tensor) -> dict[str, torch.Tensor]:
    """Every module's output by walking the tree by hand, with no hooks at all."""
    out: dict[str, torch.Tensor] = {}

    def run(m: nn.Module, prefix: str, t: torch.Tensor) -> torch.Tensor:
        if isinstance(m, nn.Sequential):
            for name, child in m.named_children():
                t = run(child, f"{prefix}.{name}" if prefix else name, t)
            out[prefix] = t
            return t
        kids = dict(m.named_children())
        if "body" in kids:  # Residual: body then shortcut, merged as cat([shortcut, body])
            b = run(kids["body"], f"{prefix}.body", t)
            s = run(kids["shortcut"], f"{prefix}.shortcut", t)
            r = s + b if m.merge == "add" else torch.cat([s, b], 1)
        elif "branches" in kids:
            outs = [run(br, f"{prefix}.branches.{i}", t) for i, br in enumerate(m.branches)]
            r = sum(outs[1:], outs[0]) if m.merge == "add" else torch.cat(outs, 1)
        elif "layers" in kids:  # Network / Group
            r = run(kids["layers"], f"{prefix}.layers" if prefix else "layers", t)
        else:
            r = m(t)
        out[prefix] = r
        return r

    with torch.no_grad():
        run(module, "", x)
    return out


@pytest.mark.parametrize("name", ["mnist_cnn", "tiny_resnet", "tiny_inception", "tiny_densenet"])
def test_capture_equals_manual_execution(name: str) -> None:
    torch.manual_seed(1)
    spec = models.get(name)
    net = build_module(spec).eval()
    paths = [row.path for row in infer(spec).layers]
    x = torch.randn(1, *spec.input.shape)
    cap = F.capture(net, x, paths)
    want = _manual(net, x)
    assert list(cap.layers) == paths
    for row in infer(spec).layers:
        got = cap.layers[row.path]
        assert list(got.shape) == row.output_shape, row.path
        torch.testing.assert_close(got, want[row.path][0], rtol=1e-5, atol=1e-5, msg=row.path)
    torch.testing.assert_close(cap.output, net(x)[0])


def test_capture_restores_mode_and_removes_hooks() -> None:
    net = build_module(models.get("mnist_cnn"))
    net.train()
    x = torch.randn(1, 28, 28)
    a = F.capture(net, x, ["layers.7"]).layers["layers.7"]
    b = F.capture(net, x, ["layers.7"]).layers["layers.7"]
    torch.testing.assert_close(a, b)  # dropout off: eval mode during capture
    assert net.training
    assert all(not m._forward_hooks for m in net.modules())


def test_capture_removes_hooks_when_forward_fails() -> None:
    net = build_module(models.get("mnist_cnn")).eval()
    with pytest.raises(RuntimeError):
        F.capture(net, torch.randn(1, 3, 28, 28), ["layers.0", "layers.3"])
    assert all(not m._forward_hooks for m in net.modules())
    assert not net.training


def test_capture_unknown_path_names_it() -> None:
    net = build_module(models.get("mnist_cnn"))
    with pytest.raises(KeyError, match="layers.99"):
        F.capture(net, torch.randn(1, 28, 28), ["layers.99"])


def test_prepare_resizes_converts_and_normalises() -> None:
    img = Image.new("RGB", (64, 32), (255, 0, 0))
    x = F.prepare(img, (3, 16, 16), "none")
    assert x.shape == (3, 16, 16)
    torch.testing.assert_close(x[:, 5, 5], torch.tensor([1.0, 0.0, 0.0]))
    g = F.prepare(Image.new("L", (28, 28), 0), (1, 28, 28), "mnist", invert=True)
    torch.testing.assert_close(g.max(), torch.tensor((1 - 0.1307) / 0.3081))
    with pytest.raises(ValueError, match="1 or 3"):
        F.prepare(img, (4, 8, 8))


def test_top_k_is_sorted_probabilities() -> None:
    top = F.top_k(torch.tensor([0.0, 3.0, 1.0, 2.0, -1.0, 0.5]), 5)
    assert [i for i, _ in top] == [1, 3, 2, 5, 0]
    assert top[0][1] == pytest.approx(torch.softmax(torch.tensor([0.0, 3, 1, 2, -1, 0.5]), 0)[1])


def test_capture_sequence_network() -> None:
    spec = NetworkSpec.model_validate(
        {
            "input": {"channels": 1, "height": 8, "width": 6},
            "layers": [{"type": "lstm", "hidden_size": 5}, {"type": "linear", "out_features": 3}],
        }
    )
    net = build_module(spec)
    cap = F.capture(net, torch.randn(1, 8, 6), ["layers.0", "layers.1"])
    assert cap.layers["layers.1"].shape == (3,)


def torchvision_by_hand(img: Image.Image, resize: int, crop: int, mean, std) -> torch.Tensor:
    """torchvision's ImageNet preparation written out with torch: shorter side -> resize
    (bilinear, antialias), centre crop, (x - mean) / std."""
    x = torch.from_numpy(np.asarray(img.convert("RGB"), dtype=np.float32) / 255)
    x = x.permute(2, 0, 1)  # (H, W, 3) -> (3, H, W)
    scale = resize / min(img.height, img.width)
    h, w = (
        (resize, int(img.width * scale))
        if img.height <= img.width
        else (int(img.height * scale), resize)
    )
    x = torch.nn.functional.interpolate(
        x[None], size=(h, w), mode="bilinear", antialias=True, align_corners=False
    )[0]
    top, left = round((h - crop) / 2), round((w - crop) / 2)
    x = x[:, top : top + crop, left : left + crop]
    return (x - torch.tensor(mean)[:, None, None]) / torch.tensor(std)[:, None, None]


@pytest.mark.parametrize("size", [(301, 257), (250, 390), (256, 256)])
def test_torchvision_preparation_equals_torchtorchvision_by_hand(size: tuple[int, int]) -> None:
    g = torch.Generator().manual_seed(0)
    pixels = torch.randint(0, 256, (size[1], size[0], 3), generator=g, dtype=torch.uint8)
    img = Image.fromarray(pixels.numpy(), mode="RGB")
    mean, std = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
    got = F.prepare_torchvision(img, 256, 224, (mean, std))
    assert got.shape == (3, 224, 224)
    assert float((got - torchvision_by_hand(img, 256, 224, mean, std)).abs().max()) < 1e-6
    inverted = F.prepare_torchvision(img, 256, 224, ((0.0,) * 3, (1.0,) * 3), invert=True)
    plain = F.prepare_torchvision(img, 256, 224, ((0.0,) * 3, (1.0,) * 3))
    torch.testing.assert_close(inverted, 1 - plain)


def test_resized_size_is_torchvisions() -> None:
    # torchvision's Resize(256): the longer side is int(256 * long / short), truncated
    assert F.resized_size(257, 301, 256) == (256, 299)
    assert F.resized_size(390, 250, 256) == (399, 256)
    with pytest.raises(ValueError, match="does not fit"):
        F.prepare_torchvision(Image.new("RGB", (10, 10)), 200, 224, ((0.0,) * 3, (1.0,) * 3))
