"""EfficientNet-B0 (Tan & Le, 2019) as torchvision writes it: MBConv blocks (inverted
residuals with squeeze-and-excitation) and SiLU, in seven stages."""

from __future__ import annotations

from models.layers import linear
from models.mobilenet_blocks import block_stack, cna, imagenet_net, inverted, squeeze_excite
from models.naming import Pairs, indexed, mirrored
from models.registry import register
from server.net.core import spec as S

# (expand ratio, kernel, first stride, input channels, output channels, blocks): B0
STAGES = [(1, 3, 1, 32, 16, 1), (6, 3, 2, 16, 24, 2), (6, 5, 2, 24, 40, 2),
          (6, 3, 2, 40, 80, 3), (6, 5, 1, 80, 112, 3), (6, 5, 2, 112, 192, 4),
          (6, 3, 1, 192, 320, 1)]  # fmt: skip
LAST = 1280


def mbconv(in_ch: int, out_ch: int, expand: int, k: int, stride: int) -> S.Layer:
    """expand (1x1) -> depthwise kxk -> squeeze-and-excitation -> project (1x1, linear).
    torchvision drops the whole block at random while training (stochastic depth); here
    it is always kept, which is what torchvision computes in eval mode."""
    exp = in_ch * expand
    body: list[S.Layer] = []
    if exp != in_ch:
        body.append(cna(exp, 1, act="silu"))
    body += [
        cna(exp, k, stride, depthwise=True, act="silu"),
        squeeze_excite(exp, max(1, in_ch // 4), "silu", "sigmoid"),
        cna(out_ch, 1, act=None),
    ]
    return inverted(in_ch, out_ch, stride, body, f"MBConv{expand} {k}x{k}")


def efficientnet_b0(num_classes: int = 1000) -> S.NetworkSpec:
    """(3,224,224) -> stem (32,112,112) -> 7 stages, 16 blocks -> (320,7,7) -> 1x1
    (1280,7,7) -> pool -> classes."""
    features: list[S.Layer] = [cna(STAGES[0][3], 3, 2, act="silu")]
    for s, (expand, k, stride, in_ch, out_ch, n) in enumerate(STAGES):
        blocks = [
            mbconv(in_ch if i == 0 else out_ch, out_ch, expand, k, stride if i == 0 else 1)
            for i in range(n)
        ]
        features.append(S.Sequential(name=f"stage {s + 1}", layers=blocks))
    features.append(cna(LAST, 1, act="silu"))
    classifier = [S.Dropout(p=0.2), linear(num_classes)]
    return imagenet_net("EfficientNet-B0", features, classifier)


def torchvision_names(net: S.NetworkSpec) -> Pairs:
    """features.0 and features.8 are Conv2dNormActivations; stage k's j-th block is
    `features.k.j.block.u` (squeeze-and-excitation convs `fc1`, `fc2`); classifier.1."""
    pairs: Pairs = []
    features, classifier = net.layers[0], net.layers[-1]
    assert isinstance(features, S.Sequential) and isinstance(classifier, S.Sequential)
    last = len(features.layers) - 1
    for k, item in enumerate(features.layers):
        at = f"layers.0.layers.{k}"
        assert isinstance(item, S.Sequential)
        if k in (0, last):
            pairs += mirrored(item.layers, f"{at}.layers", f"features.{k}")
            continue
        for j, block in enumerate(item.layers):
            stack, prefix = block_stack(block, f"{at}.layers.{j}")
            pairs += mirrored(stack, prefix, f"features.{k}.{j}.block")
    last_path = f"layers.{len(net.layers) - 1}.layers"
    return pairs + indexed(classifier.layers, last_path, "classifier")


register(
    "efficientnet_b0",
    "EfficientNet-B0",
    "MBConv blocks (MobileNetV2's inverted residuals with squeeze-and-excitation) and "
    "SiLU, the baseline whose depth, width and resolution the EfficientNet family scales "
    "together; 5.3 M parameters (torchvision's efficientnet_b0).",
    efficientnet_b0,
    "classic",
)
