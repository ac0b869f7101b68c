"""MobileNetV2 (Sandler et al., 2018) as torchvision writes it: inverted residual blocks
whose 3x3 convs are depthwise, ReLU6, and a linear (activation-free) 1x1 projection."""

from __future__ import annotations

from models.layers import linear
from models.mobilenet_blocks import block_stack, cna, imagenet_net, inverted, make_divisible
from models.naming import Pairs, indexed, mirrored
from models.registry import register
from server.net.core import spec as S

# (expand ratio t, output channels c, blocks n, first stride s), the paper's Table 2
SETTINGS = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
            (6, 160, 3, 2), (6, 320, 1, 1)]  # fmt: skip
STEM, LAST = 32, 1280


def _block(in_ch: int, out_ch: int, stride: int, t: int, index: int) -> S.Layer:
    hidden = round(in_ch * t)
    body: list[S.Layer] = []
    if t != 1:  # a 1x1 expansion; the first block has none
        body.append(cna(hidden, 1, act="relu6"))
    body += [
        cna(hidden, 3, stride, depthwise=True, act="relu6"),
        S.Conv2d(out_channels=out_ch, kernel_size=1, bias=False),  # linear bottleneck
        S.BatchNorm2d(),
    ]
    return inverted(in_ch, out_ch, stride, body, f"block {index}")


def mobilenet_v2(num_classes: int = 1000) -> S.NetworkSpec:
    """(3,224,224) -> stem (32,112,112) -> 17 blocks -> (320,7,7) -> 1x1 (1280,7,7) ->
    pool -> classes."""
    in_ch = make_divisible(STEM)
    features: list[S.Layer] = [cna(in_ch, 3, 2, act="relu6")]
    for t, c, n, s in SETTINGS:
        out_ch = make_divisible(c)
        for i in range(n):
            features.append(_block(in_ch, out_ch, s if i == 0 else 1, t, len(features)))
            in_ch = out_ch
    features.append(cna(LAST, 1, act="relu6"))
    classifier = [S.Dropout(p=0.2), linear(num_classes)]
    return imagenet_net("MobileNetV2", features, classifier)


def torchvision_names(net: S.NetworkSpec) -> Pairs:
    """features.0 and the last features entry are Conv2dNormActivations (`.0` conv, `.1`
    batch norm); each block in between is `features.k.conv.u`; classifier.1 the head."""
    return mobile_names(net, "conv")


def mobile_names(net: S.NetworkSpec, block_attr: str) -> Pairs:
    """MobileNetV2's and V3's features: stem, blocks (`features.k.{block_attr}.u`), last conv."""
    pairs: Pairs = []
    features, classifier = net.layers[0], net.layers[-1]
    assert isinstance(features, S.Sequential) and isinstance(classifier, S.Sequential)
    last = len(features.layers) - 1
    for k, item in enumerate(features.layers):
        at = f"layers.0.layers.{k}"
        if k in (0, last):
            assert isinstance(item, S.Sequential)
            pairs += mirrored(item.layers, f"{at}.layers", f"features.{k}")
        else:
            stack, prefix = block_stack(item, at)
            pairs += mirrored(stack, prefix, f"features.{k}.{block_attr}")
    last_path = f"layers.{len(net.layers) - 1}.layers"
    return pairs + indexed(classifier.layers, last_path, "classifier")


register(
    "mobilenet_v2",
    "MobileNetV2",
    "Inverted residual blocks: a 1x1 conv widens the channels six times, a depthwise 3x3 "
    "filters each channel on its own, and a linear 1x1 narrows them again; a fraction of "
    "the multiply-adds of a ResNet for phones (torchvision's mobilenet_v2).",
    mobilenet_v2,
    "classic",
)
