"""VGG (Simonyan & Zisserman, 2014): stacks of 3x3 convs, configured by a table."""

from __future__ import annotations

from functools import partial

from models.layers import bn, conv, dropout, flatten, linear, maxpool, network, relu
from models.naming import Pairs, named_sequentials
from models.registry import register
from server.net.core import spec as S

# Output channels of each 3x3 conv; "M" is a 2x2 max pool. Keys are the paper's columns.
CONFIGS: dict[str, list[int | str]] = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    "E": [
        64,
        64,
        "M",
        128,
        128,
        "M",
        256,
        256,
        256,
        256,
        "M",
        512,
        512,
        512,
        512,
        "M",
        512,
        512,
        512,
        512,
        "M",
    ],  # fmt: skip
}
DEPTHS = {11: "A", 13: "B", 16: "D", 19: "E"}


def vgg(depth: int, batch_norm: bool = False, num_classes: int = 1000) -> S.NetworkSpec:
    """(3,224,224) -> five pooled stages -> (512,7,7) -> 4096 -> 4096 -> classes."""
    features: list[S.Layer] = []
    for item in CONFIGS[DEPTHS[depth]]:
        if item == "M":
            features.append(maxpool(2, 2))
        else:
            assert isinstance(item, int)
            # torchvision keeps the conv bias even before a batch norm.
            features += [conv(item, 3, padding=1), *([bn()] if batch_norm else []), relu()]
    classifier: list[S.Layer] = [
        linear(4096),
        relu(),
        dropout(),
        linear(4096),
        relu(),
        dropout(),
        linear(num_classes),
    ]
    return network(
        f"VGG-{depth}" + (" (batch norm)" if batch_norm else ""),
        (3, 224, 224),
        [
            S.Sequential(name="features", layers=features),
            S.AdaptiveAvgPool2d(output_size=7),
            flatten(),  # (25088,)
            S.Sequential(name="classifier", layers=classifier),
        ],
    )


def torchvision_names(net: S.NetworkSpec) -> Pairs:
    """`features.i` and `classifier.i`: the two sequentials are torchvision's layer for
    layer (its avgpool and flatten hold no parameters)."""
    return named_sequentials(net)


for _depth in DEPTHS:
    for _bn in (False, True):
        register(
            f"vgg{_depth}" + ("_bn" if _bn else ""),
            f"VGG-{_depth}" + (" with batch norm" if _bn else ""),
            f"{_depth} weight layers: only 3x3 convolutions and 2x2 max pools, doubling the "
            "channels after each pool, then three huge dense layers (most of the parameters)"
            + ("; a batch norm after every conv." if _bn else "."),
            partial(vgg, _depth, _bn),
            "classic",
        )
