"""DenseNet (Huang et al., 2016) as torchvision writes it: each layer concatenates."""

from __future__ import annotations

from functools import partial

from models import layers as L
from models.naming import PARAMETRIC, Pairs, numbered
from models.registry import register
from server.net.core import spec as S

# depth -> (growth rate, layers per dense block, channels after the stem)
CONFIGS: dict[int, tuple[int, list[int], int]] = {
    121: (32, [6, 12, 24, 16], 64),
    161: (48, [6, 12, 36, 24], 96),
    169: (32, [6, 12, 32, 32], 64),
    201: (32, [6, 12, 48, 32], 64),
}
BN_SIZE = 4  # the bottleneck 1x1 makes bn_size * growth channels


def dense_layer(growth: int, bn_size: int = BN_SIZE) -> S.Residual:
    """(C,H,W) -> (C+growth,H,W): bn-relu-1x1-bn-relu-3x3 concatenated onto the input."""
    body: list[S.Layer] = [
        L.bn(),
        L.relu(),
        L.conv(bn_size * growth, 1, bias=False),
        L.bn(),
        L.relu(),
        L.conv(growth, 3, padding=1, bias=False),
    ]
    return S.Residual(body=body, merge="concat")


def transition(out: int) -> list[S.Layer]:
    """Halve channels (1x1 conv) and size (2x2 average pool) between dense blocks."""
    return [L.bn(), L.relu(), L.conv(out, 1, bias=False), L.avgpool(2, 2)]


def densenet(depth: int, num_classes: int = 1000) -> S.NetworkSpec:
    growth, counts, channels = CONFIGS[depth]
    layers: list[S.Layer] = [
        S.Sequential(name="stem", layers=[*L.conv_bn_relu(channels, 7, 2, 3), L.maxpool(3, 2, 1)])
    ]
    for i, count in enumerate(counts):
        block: list[S.Layer] = [dense_layer(growth) for _ in range(count)]
        channels += count * growth
        if i < len(counts) - 1:
            channels //= 2
            block += transition(channels)
        layers.append(S.Sequential(name=f"denseblock{i + 1}", layers=block))
    layers += [L.bn(), L.relu(), L.gap(), L.flatten(), L.linear(num_classes)]
    return L.network(f"DenseNet-{depth}", (3, 224, 224), layers)


WORDS = {"conv2d": "conv", "batchnorm2d": "norm"}


def torchvision_names(net: S.NetworkSpec) -> Pairs:
    """Everything but the classifier is under `features`: stem -> conv0, norm0; the j-th
    layer of `denseblockK` -> `denseblockK.denselayer{j+1}` (norm1, conv1, norm2, conv2);
    the transition after it -> `transitionK` (norm, conv); the last batch norm ->
    norm{blocks + 1}; the linear -> classifier."""
    pairs: Pairs = []
    blocks = 0
    for i, layer in enumerate(net.layers):
        path = f"layers.{i}"
        if isinstance(layer, S.Sequential) and layer.name == "stem":
            pairs += numbered(layer.layers, f"{path}.layers", "features", WORDS, start=0)
        elif isinstance(layer, S.Sequential):
            blocks += 1
            block = f"features.{layer.name}"
            dense = [(k, d) for k, d in enumerate(layer.layers) if isinstance(d, S.Residual)]
            for j, (k, d) in enumerate(dense):
                at = f"{path}.layers.{k}.body"
                pairs += numbered(d.body, at, f"{block}.denselayer{j + 1}", WORDS)
            for k, t in enumerate(layer.layers):  # the transition after the dense layers
                if t.type in PARAMETRIC:
                    pairs.append(
                        (f"{path}.layers.{k}", f"features.transition{blocks}.{WORDS[t.type]}")
                    )
        elif isinstance(layer, S.BatchNorm2d):
            pairs.append((path, f"features.norm{blocks + 1}"))
        elif isinstance(layer, S.Linear):
            pairs.append((path, "classifier"))
    return pairs


for _depth, (_growth, _counts, _) in CONFIGS.items():
    register(
        f"densenet{_depth}",
        f"DenseNet-{_depth}",
        f"Dense blocks of {_counts} layers; every layer adds {_growth} channels and sees "
        "all earlier ones, concatenated. Transitions halve channels and size in between.",
        partial(densenet, _depth),
        "classic",
    )
