"""A small U-Net (Ronneberger et al., 2015) for 64x64 images: the segmentation net of the
zoo (issue 16).

The skip connections are data like everything else: each level below the top is a
`residual` block with `merge: "concat"` whose body goes down (max pool), through the
deeper levels and back up (a 2x2 transposed convolution of stride 2), so the block's
output is [skip, upsampled] on the channel axis, as U-Net concatenates them; a double
conv then mixes the two. The head is a 1x1 conv with one score map per class.

    (3, 64, 64) -> enc 8 @64 -> [ skip | down: enc 16 @32 -> [ skip | down: enc 32 @16
    -> [ skip | down: 64 @8 -> up 32 @16 ] -> dec 32 @16 -> up 16 @32 ] -> dec 16 @32
    -> up 8 @64 ] -> dec 8 @64 -> 1x1 conv -> (K, 64, 64)

Narrow (8 channels at the top) so that it trains at CPU speed: a 16-channel top level
costs 2.7 times as much per image (benchmarks/segmentation.py).
"""

from __future__ import annotations

from models.layers import bn, conv, maxpool, network, relu
from models.registry import register
from server.net.core import spec as S

SIDE = 64
CLASSES = 5  # shapes_masks: background + circle, square, triangle, line
WIDTHS = (8, 16, 32, 64)  # channels per level, top to bottom: 121,213 parameters


def double_conv(out: int) -> list[S.Layer]:
    """Two 3x3 convs (padding 1: the size stays), each with batch norm and ReLU."""
    return [conv(out, 3, padding=1, bias=False), bn(), relu()] * 2


def up(out: int) -> S.ConvTranspose2d:
    """Doubles height and width: (n - 1) * 2 - 0 + (2 - 1) + 1 = 2n."""
    return S.ConvTranspose2d(out_channels=out, kernel_size=2, stride=2)


def level(widths: tuple[int, ...]) -> list[S.Layer]:
    """The encoder at widths[0] channels, the levels below it as a concat skip block, and
    the decoder back at widths[0]: the input's height and width in and out."""
    c, deeper = widths[0], widths[1:]
    if not deeper:
        return double_conv(c)  # the bottleneck
    body = [maxpool(2), *level(deeper), up(c)]  # (c, n, n) -> (c, n, n)
    return [
        *double_conv(c),
        S.Residual(body=body, merge="concat"),  # [skip, up]: (2c, n, n)
        *double_conv(c),
    ]


def unet_small(classes: int = CLASSES, widths: tuple[int, ...] = WIDTHS) -> S.NetworkSpec:
    return network(
        "Small U-Net",
        (3, SIDE, SIDE),
        [*level(widths), conv(classes, 1)],
    )


register(
    "unet_small",
    "Small U-Net (segmentation, 64x64)",
    "Encoder-decoder with skip connections (concat) for per-pixel classes; trains on "
    "the shapes masks in about a minute on a CPU.",
    unet_small,
    "small",
    task="segmentation",
)
