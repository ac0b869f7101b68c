"""unet_small (issue 16): shapes and parameters as the engine reports them equal what
torch computes, and the built module is the U-Net a person would write in plain torch."""

from __future__ import annotations

import torch
from torch import nn

import models
from models.unet import unet_small
from server.net.core.build import build_module
from server.net.core.features import capture
from server.net.core.shapes import infer


class TorchUNet(nn.Module):
    """The same network written directly in torch, as the papers draw it."""

    def __init__(self, widths: tuple[int, ...], k: int) -> None:
        super().__init__()

        def double(cin: int, cout: int) -> nn.Sequential:
            return nn.Sequential(
                nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(),
                nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(),
            )  # fmt: skip

        chans = (3, *widths)
        self.enc = nn.ModuleList(double(chans[i], chans[i + 1]) for i in range(len(widths)))
        self.ups = nn.ModuleList(
            nn.ConvTranspose2d(widths[i + 1], widths[i], 2, stride=2)
            for i in range(len(widths) - 1)
        )
        self.dec = nn.ModuleList(double(2 * w, w) for w in widths[:-1])
        # The bottleneck's global context: [x, its global max repeated at every pixel],
        # so the deepest up-convolution takes twice the bottleneck's channels.
        self.ups[-1] = nn.ConvTranspose2d(2 * widths[-1], widths[-2], 2, stride=2)
        self.head = nn.Conv2d(widths[0], k, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for i, enc in enumerate(self.enc):
            x = enc(x if i == 0 else nn.functional.max_pool2d(x, 2))
            skips.append(x)
        x = torch.cat([x, x.amax((2, 3), keepdim=True).expand_as(x)], 1)
        for i in reversed(range(len(self.ups))):
            x = self.dec[i](torch.cat([skips[i], self.ups[i](x)], 1))  # [skip, up]
        return self.head(x)

    def in_spec_order(self) -> list[torch.Tensor]:
        """State tensors in the order the spec lists their layers (enc i, deeper..., up i,
        dec i), to copy them across."""
        out: list[torch.Tensor] = []

        def walk(i: int) -> None:
            out.extend(self.enc[i].state_dict().values())
            if i < len(self.ups):
                walk(i + 1)
                out.extend(self.ups[i].state_dict().values())
                out.extend(self.dec[i].state_dict().values())

        walk(0)
        return [*out, *self.head.state_dict().values()]


def test_listed_as_a_segmentation_net() -> None:
    e = models.entry("unet_small").summary()
    assert e["task"] == "segmentation" and e["input_shape"] == [3, 64, 64]
    assert models.entry("mnist_cnn").summary()["task"] == "classification"


def test_engine_shapes_and_params_equal_torch() -> None:
    spec = unet_small()
    report = infer(spec)
    assert report.error is None
    assert report.output_shape == [5, 64, 64]
    ref = TorchUNet((8, 16, 32, 64), 5)
    assert report.total_params == sum(p.numel() for p in ref.parameters()) == 129_405
    module = build_module(spec)
    acts = capture(module, torch.randn(3, 64, 64), [r.path for r in report.layers]).layers
    assert len(acts) == len(report.layers)
    for row in report.layers:  # every layer's shape, nested blocks included
        assert list(acts[row.path].shape) == list(row.output_shape), row.path
    # Skip blocks concatenate [skip, up]: twice the channels at the same size.
    skip = next(r for r in report.layers if r.type == "residual")
    assert skip.output_shape == [16, 64, 64]


def test_the_spec_computes_the_torch_unet() -> None:
    torch.manual_seed(0)
    ref = TorchUNet((8, 16, 32), 3).eval()
    module = build_module(unet_small(3, (8, 16, 32))).eval()
    theirs = ref.in_spec_order()
    ours = module.state_dict()
    assert [tuple(t.shape) for t in theirs] == [tuple(t.shape) for t in ours.values()]
    module.load_state_dict(dict(zip(ours, theirs, strict=True)))
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(module(x), ref(x), rtol=1e-5, atol=1e-5)
