"""MobileNetV3-Small (Howard et al., 2019) as torchvision writes it: inverted residual
blocks with squeeze-and-excitation (a hard-sigmoid gate) and hard-swish activations."""

from __future__ import annotations

from models.layers import linear
from models.mobilenet_blocks import cna, imagenet_net, inverted, make_divisible, squeeze_excite
from models.mobilenet_v2 import mobile_names
from models.naming import Pairs
from models.registry import register
from server.net.core import spec as S

EPS, MOMENTUM = 0.001, 0.01  # torchvision's batch norm for MobileNetV3
# (kernel, expanded channels, output channels, squeeze-and-excitation, activation,
# stride), torchvision's "mobilenet_v3_small" configuration; the input is the last output
SMALL = [
    (3, 16, 16, True, "relu", 2),
    (3, 72, 24, False, "relu", 2),
    (3, 88, 24, False, "relu", 1),
    (5, 96, 40, True, "hardswish", 2),
    (5, 240, 40, True, "hardswish", 1),
    (5, 240, 40, True, "hardswish", 1),
    (5, 120, 48, True, "hardswish", 1),
    (5, 144, 48, True, "hardswish", 1),
    (5, 288, 96, True, "hardswish", 2),
    (5, 576, 96, True, "hardswish", 1),
    (5, 576, 96, True, "hardswish", 1),
]
STEM, LAST = 16, 1024


def _cna(out: int, k: int, stride: int = 1, **kw: object) -> S.Sequential:
    return cna(out, k, stride, eps=EPS, momentum=MOMENTUM, **kw)  # type: ignore[arg-type]


def _block(in_ch: int, k: int, exp: int, out: int, se: bool, act: str, stride: int) -> S.Layer:
    body: list[S.Layer] = []
    if exp != in_ch:
        body.append(_cna(exp, 1, act=act))
    body.append(_cna(exp, k, stride, depthwise=True, act=act))
    if se:
        body.append(squeeze_excite(exp, make_divisible(exp // 4), "relu", "hardsigmoid"))
    body.append(_cna(out, 1, act=None))
    return inverted(in_ch, out, stride, body, f"block {k}x{k}")


def mobilenet_v3_small(num_classes: int = 1000) -> S.NetworkSpec:
    """(3,224,224) -> stem (16,112,112) -> 11 blocks -> (96,7,7) -> 1x1 (576,7,7) ->
    pool -> 1024 -> classes."""
    features: list[S.Layer] = [_cna(STEM, 3, 2, act="hardswish")]
    in_ch = STEM
    for k, exp, out, se, act, stride in SMALL:
        features.append(_block(in_ch, k, exp, out, se, act, stride))
        in_ch = out
    features.append(_cna(6 * in_ch, 1, act="hardswish"))
    classifier = [linear(LAST), S.Hardswish(), S.Dropout(p=0.2), linear(num_classes)]
    return imagenet_net("MobileNetV3-Small", features, classifier)


def torchvision_names(net: S.NetworkSpec) -> Pairs:
    """As MobileNetV2's, with each block's layers under `features.k.block.u` and a
    squeeze-and-excitation unit's convs `fc1`, `fc2`; classifier.0 and classifier.3."""
    return mobile_names(net, "block")


register(
    "mobilenet_v3_small",
    "MobileNetV3-Small",
    "MobileNetV2's inverted residual blocks found by architecture search, with "
    "squeeze-and-excitation (each channel scaled by a gate computed from the whole map) "
    "and hard-swish activations; 2.5 M parameters (torchvision's mobilenet_v3_small).",
    mobilenet_v3_small,
    "classic",
)
