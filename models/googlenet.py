"""GoogLeNet / Inception v1 (Szegedy et al., 2014) as torchvision writes it, no aux heads."""

from __future__ import annotations

from models.layers import conv_bn_relu, dropout, flatten, linear, maxpool, network
from models.naming import Pairs, conv_units, unit_names
from models.registry import register
from server.net.core import spec as S

EPS = 0.001  # torchvision's BasicConv2d batch norm

# name -> (1x1, 3x3 reduce, 3x3, "5x5" reduce, "5x5", pool proj); "M" = pool
PLAN: list[str | tuple[int, int, int, int, int, int]] = [
    (64, 96, 128, 16, 32, 32),  # 3a (192 -> 256)
    (128, 128, 192, 32, 96, 64),  # 3b (-> 480)
    "M3",
    (192, 96, 208, 16, 48, 64),  # 4a (-> 512)
    (160, 112, 224, 24, 64, 64),  # 4b
    (128, 128, 256, 24, 64, 64),  # 4c
    (112, 144, 288, 32, 64, 64),  # 4d (-> 528)
    (256, 160, 320, 32, 128, 128),  # 4e (-> 832)
    "M2",
    (256, 160, 320, 32, 128, 128),  # 5a
    (384, 192, 384, 48, 128, 128),  # 5b (-> 1024)
]


def _cbr(out: int, k: int, stride: int = 1, padding: int = 0) -> list[S.Layer]:
    return conv_bn_relu(out, k, stride, padding, eps=EPS)


def inception(c1: int, r3: int, c3: int, r5: int, c5: int, proj: int, name: str = "") -> S.Parallel:
    """Four branches concatenated: c1 + c3 + c5 + proj channels at the same size.
    The "5x5" branch uses a 3x3 kernel, as torchvision's does (a known quirk it kept)."""
    return S.Parallel(
        branches=[
            _cbr(c1, 1),
            [*_cbr(r3, 1), *_cbr(c3, 3, 1, 1)],
            [*_cbr(r5, 1), *_cbr(c5, 3, 1, 1)],
            [maxpool(3, 1, 1, ceil=True), *_cbr(proj, 1)],
        ],
        merge="concat",
        name=name,
    )


def googlenet(num_classes: int = 1000) -> S.NetworkSpec:
    """(3,224,224) -> stem (192,28,28) -> nine Inception modules -> (1024,7,7) -> classes."""
    layers: list[S.Layer] = [
        S.Sequential(
            name="stem",
            layers=[
                *_cbr(64, 7, 2, 3),
                maxpool(3, 2, ceil=True),
                *_cbr(64, 1),
                *_cbr(192, 3, 1, 1),
                maxpool(3, 2, ceil=True),
            ],
        )
    ]
    names = iter(f"inception{s}" for s in ("3a", "3b", "4a", "4b", "4c", "4d", "4e", "5a", "5b"))
    for item in PLAN:
        if item == "M3":
            layers.append(maxpool(3, 2, ceil=True))
        elif item == "M2":
            layers.append(maxpool(2, 2, ceil=True))
        else:
            assert isinstance(item, tuple)
            layers.append(inception(*item, name=next(names)))
    layers += [S.AdaptiveAvgPool2d(output_size=1), flatten(), dropout(0.2), linear(num_classes)]
    return network("GoogLeNet", (3, 224, 224), layers)


def _inception_names(module: S.Parallel, path: str, name: str) -> Pairs:
    """Branch b is `{name}.branch{b+1}`: a lone BasicConv2d, or an nn.Sequential whose
    u-th unit (a pool counts) is `.u`."""
    pairs: Pairs = []
    for b, branch in enumerate(module.branches):
        units, index, count = conv_units(branch, f"{path}.branches.{b}")
        for paths, u in zip(units, index):
            unit = f"{name}.branch{b + 1}" + (f".{u}" if count > 1 else "")
            pairs += unit_names(paths, unit)
    return pairs


def torchvision_names(net: S.NetworkSpec) -> Pairs:
    """stem -> conv1, conv2, conv3 (BasicConv2d: .conv, .bn); Inception modules ->
    inception3a, 3b, then 4a... after each max pool; fc. No aux classifiers."""
    pairs: Pairs = []
    stage, letter = 3, 0
    for i, layer in enumerate(net.layers):
        path = f"layers.{i}"
        if isinstance(layer, S.Sequential):
            units, _, _ = conv_units(layer.layers, f"{path}.layers")
            for n, paths in enumerate(units, 1):
                pairs += unit_names(paths, f"conv{n}")
        elif isinstance(layer, S.Parallel):
            pairs += _inception_names(layer, path, f"inception{stage}{'abcdefghij'[letter]}")
            letter += 1
        elif isinstance(layer, S.MaxPool2d) and letter:
            stage, letter = stage + 1, 0
        elif isinstance(layer, S.Linear):
            pairs.append((path, "fc"))
    return pairs


register(
    "googlenet",
    "GoogLeNet (Inception v1)",
    "Nine Inception modules, each running 1x1, 3x3, 5x5-style and pooling branches side "
    "by side and concatenating them; 1x1 convs keep it cheap (torchvision's variant "
    "without the auxiliary classifiers, with batch norm).",
    googlenet,
    "classic",
)
