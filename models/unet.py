"""A small U-Net (Ronneberger et al., 2015) for 64x64 images: the segmentation net of the
zoo (issue 16).

The skip connections are data like everything else: each level below the top is a
`residual` block with `merge: "concat"` whose body goes down (max pool), through the
deeper levels and back up (a 2x2 transposed convolution of stride 2), so the block's
output is [skip, upsampled] on the channel axis, as U-Net concatenates them; a double
conv then mixes the two. The head is a 1x1 conv with one score map per class.

    (3, 64, 64) -> enc 8 @64 -> [ skip | down: enc 16 @32 -> [ skip | down: enc 32 @16
    -> [ skip | down: 64 @8 -> [ 64 @8 | global max 64 @1 -> broadcast @8 ] -> up 32 @16 ]
    -> dec 32 @16 -> up 16 @32 ] -> dec 16 @32 -> up 8 @64 ] -> dec 8 @64 -> 1x1 conv
    -> (K, 64, 64)

The bottleneck also concatenates its own global max (a max pool over the whole 8x8 map,
repeated back to 8x8 by a nearest upsample): every pixel then sees what the whole image
holds, like DeepLab's image-level pooling. Which shape a pixel belongs to is a property of
the whole shape (a square's middle looks like a circle's); without this branch the net
learned background vs shape quickly but the shape's class slowly (mIoU 0.30 after 6,000
samples; with it and class-weighted cross-entropy, benchmarks/segmentation.py).

Narrow (8 channels at the top) so that it trains at CPU speed: a 16-channel top level
costs 2.7 times as much per image (benchmarks/segmentation.py).
"""

from __future__ import annotations

from models.layers import bn, conv, maxpool, network, relu
from models.registry import register
from server.net.core import spec as S

SIDE = 64
CLASSES = 5  # shapes_masks: background + circle, square, triangle, line
WIDTHS = (8, 16, 32, 64)  # channels per level, top to bottom: 129,405 parameters
# The Train view's starting settings for this net (benchmarks/segmentation.py measures
# them): rare classes weighted up, Adam.
TRAIN = {
    "epochs": 5,
    "batch_size": 32,
    "lr": 0.003,
    "optimizer": "adam",
    "class_weights": "inverse_sqrt",
}


def double_conv(out: int) -> list[S.Layer]:
    """Two 3x3 convs (padding 1: the size stays), each with batch norm and ReLU."""
    return [conv(out, 3, padding=1, bias=False), bn(), relu()] * 2


def up(out: int) -> S.ConvTranspose2d:
    """Doubles height and width: (n - 1) * 2 - 0 + (2 - 1) + 1 = 2n."""
    return S.ConvTranspose2d(out_channels=out, kernel_size=2, stride=2)


def global_context(side: int) -> S.Residual:
    """(c, n, n) -> (2c, n, n) at n = side: [x, x's per-channel max over the whole map,
    repeated at every pixel]."""
    return S.Residual(body=[maxpool(side), S.Upsample(scale_factor=side)], merge="concat")


def level(widths: tuple[int, ...], side: int = SIDE) -> list[S.Layer]:
    """The encoder at widths[0] channels, the levels below it as a concat skip block, and
    the decoder back at widths[0]: the input's height and width (side) in and out."""
    c, deeper = widths[0], widths[1:]
    if not deeper:
        return [*double_conv(c), global_context(side)]  # the bottleneck: (2c, n, n)
    body = [maxpool(2), *level(deeper, side // 2), up(c)]  # (c, n, n) -> (c, n, n)
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
    "Encoder-decoder with skip connections (concat) and a global-max context branch at "
    "the bottleneck, for per-pixel classes; with its Train settings (class-weighted "
    "cross-entropy) it reaches a held-out mIoU above 0.7 on the shapes masks in about "
    "90 s of one idle CPU core (benchmarks/segmentation.py).",
    unet_small,
    "small",
    task="segmentation",
    train=TRAIN,
)
