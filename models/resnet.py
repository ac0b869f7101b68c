"""ResNet (He et al., 2015) as torchvision's v1.5: the bottleneck strides on its 3x3."""

from __future__ import annotations

from functools import partial

from models.layers import bn, conv, conv_bn_relu, flatten, gap, linear, maxpool, network, relu
from models.naming import Pairs, indexed, numbered
from models.registry import register
from server.net.core import spec as S

# depth -> (block kind, blocks per stage)
CONFIGS: dict[int, tuple[str, list[int]]] = {
    18: ("basic", [2, 2, 2, 2]),
    34: ("basic", [3, 4, 6, 3]),
    50: ("bottleneck", [3, 4, 6, 3]),
    101: ("bottleneck", [3, 4, 23, 3]),
    152: ("bottleneck", [3, 8, 36, 3]),
}
WIDTHS = [64, 128, 256, 512]
EXPANSION = {"basic": 1, "bottleneck": 4}


def _body(kind: str, width: int, stride: int) -> list[S.Layer]:
    if kind == "basic":  # 3x3 -> 3x3
        return [*conv_bn_relu(width, 3, stride, 1), conv(width, 3, padding=1, bias=False), bn()]
    # bottleneck: 1x1 squeeze -> 3x3 (the stride, v1.5) -> 1x1 expand by 4
    return [
        *conv_bn_relu(width, 1),
        *conv_bn_relu(width, 3, stride, 1),
        conv(width * 4, 1, bias=False),
        bn(),
    ]


def _block(kind: str, in_ch: int, width: int, stride: int) -> list[S.Layer]:
    out = width * EXPANSION[kind]
    # The identity only adds when the shape is unchanged; else a strided 1x1 conv projects.
    shortcut = [conv(out, 1, stride, bias=False), bn()] if stride != 1 or in_ch != out else []
    return [S.Residual(body=_body(kind, width, stride), shortcut=shortcut, merge="add"), relu()]


def resnet(depth: int, num_classes: int = 1000) -> S.NetworkSpec:
    """(3,224,224) -> stem (64,56,56) -> stages to (512*e,7,7) -> pool -> classes."""
    kind, counts = CONFIGS[depth]
    layers: list[S.Layer] = [
        S.Sequential(name="stem", layers=[*conv_bn_relu(64, 7, 2, 3), maxpool(3, 2, 1)])
    ]
    in_ch = 64
    for i, (width, count) in enumerate(zip(WIDTHS, counts)):
        blocks: list[S.Layer] = []
        for j in range(count):
            stride = 2 if i > 0 and j == 0 else 1
            blocks += _block(kind, in_ch, width, stride)
            in_ch = width * EXPANSION[kind]
        layers.append(S.Sequential(name=f"layer{i + 1}", layers=blocks))
    layers += [gap(), flatten(), linear(num_classes)]
    return network(f"ResNet-{depth}", (3, 224, 224), layers)


BLOCK_WORDS = {"conv2d": "conv", "batchnorm2d": "bn"}


def torchvision_names(net: S.NetworkSpec) -> Pairs:
    """stem -> conv1, bn1; the j-th block of stage `layerK` -> `layerK.j` (its body's n-th
    conv and batch norm are conv{n}, bn{n}; its projection `downsample.0`, `.1`); fc."""
    pairs: Pairs = []
    for i, layer in enumerate(net.layers):
        path = f"layers.{i}"
        if isinstance(layer, S.Sequential) and layer.name == "stem":
            pairs += numbered(layer.layers, f"{path}.layers", "", BLOCK_WORDS)
        elif isinstance(layer, S.Sequential):
            blocks = [(k, b) for k, b in enumerate(layer.layers) if isinstance(b, S.Residual)]
            for j, (k, block) in enumerate(blocks):
                at, module = f"{path}.layers.{k}", f"{layer.name}.{j}"
                pairs += numbered(block.body, f"{at}.body", module, BLOCK_WORDS)
                pairs += indexed(block.shortcut, f"{at}.shortcut", f"{module}.downsample")
        elif isinstance(layer, S.Linear):
            pairs.append((path, "fc"))
    return pairs


for _depth, (_kind, _counts) in CONFIGS.items():
    register(
        f"resnet{_depth}",
        f"ResNet-{_depth}",
        f"Residual network with {_kind} blocks {_counts} per stage: each block adds its "
        "input back to its output, so very deep stacks still train.",
        partial(resnet, _depth),
        "classic",
    )
