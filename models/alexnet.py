"""AlexNet as torchvision writes it (the one-GPU variant of Krizhevsky et al., 2012)."""

from __future__ import annotations

from models.layers import conv, dropout, flatten, linear, maxpool, network, relu
from models.naming import Pairs, named_sequentials
from models.registry import register
from server.net.core import spec as S

# (out_channels, kernel, stride, padding, pool after)
FEATURES: list[tuple[int, int, int, int, bool]] = [
    (64, 11, 4, 2, True),
    (192, 5, 1, 2, True),
    (384, 3, 1, 1, False),
    (256, 3, 1, 1, False),
    (256, 3, 1, 1, True),
]


def alexnet(num_classes: int = 1000) -> S.NetworkSpec:
    """(3,224,224) -> (64,55,55) -> ... -> (256,6,6) -> 4096 -> 4096 -> classes."""
    features: list[S.Layer] = []
    for out, k, s, p, pool in FEATURES:
        features += [conv(out, k, s, p), relu()]
        if pool:
            features.append(maxpool(3, 2))
    classifier: list[S.Layer] = [
        dropout(),
        linear(4096),
        relu(),
        dropout(),
        linear(4096),
        relu(),
        linear(num_classes),
    ]
    return network(
        "AlexNet",
        (3, 224, 224),
        [
            S.Sequential(name="features", layers=features),
            S.AdaptiveAvgPool2d(output_size=6),  # (256, 6, 6) whatever the input size
            flatten(),
            S.Sequential(name="classifier", layers=classifier),
        ],
    )


def torchvision_names(net: S.NetworkSpec) -> Pairs:
    """`features.i` and `classifier.i`: the two sequentials are torchvision's layer for
    layer (its avgpool and flatten hold no parameters)."""
    return named_sequentials(net)


register(
    "alexnet",
    "AlexNet",
    "The 2012 ImageNet winner that started the deep-learning wave: five convolutions "
    "with large early kernels (11x11 stride 4), ReLU, dropout, and three dense layers.",
    alexnet,
    "classic",
)
