"""Rules that name a zoo network's layers the way torchvision's modules are named.

A zoo builder writes an architecture as NetworkSpec data; its torchvision naming walks
the spec the builder returned, one rule per building block ("the n-th conv of a ResNet
block is `conv{n}`"), so a change of builder cannot drift from its naming
(models/torchvision.py turns the names into a state_dict key map; issue 17).

Only layers with parameters or buffers are named: conv2d, batch norm and linear.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from server.net.core import spec as S

# (cnnplay module path, torchvision module name)
Pairs = list[tuple[str, str]]
PARAMETRIC = frozenset({"conv2d", "batchnorm2d", "batchnorm1d", "linear"})


def leaves(layers: list[S.Layer], prefix: str) -> Iterator[tuple[str, S.Layer]]:
    """(path, layer) of every layer with parameters under `prefix`, in module order."""
    for i, layer in enumerate(layers):
        path = f"{prefix}.{i}"
        if layer.type in PARAMETRIC:
            yield path, layer
        for segment, stack in S.children(layer):
            yield from leaves(stack, f"{path}.{segment}")


def indexed(layers: list[S.Layer], prefix: str, module: str) -> Pairs:
    """A flat stack that is torchvision's nn.Sequential `module` layer for layer:
    the i-th layer is `module.i` (VGG's and AlexNet's `features` and `classifier`)."""
    return [(path, f"{module}.{path.rsplit('.', 1)[1]}") for path, _ in leaves(layers, prefix)]


def _join(module: str, name: str) -> str:
    return f"{module}.{name}" if module else name


def numbered(
    layers: list[S.Layer], prefix: str, module: str, words: dict[str, str], start: int = 1
) -> Pairs:
    """The n-th layer of a type is `module.{word}{n}`: a ResNet block's conv1, bn1,
    conv2, ...; a DenseNet layer's norm1, conv1, norm2, conv2 (its stem's conv0, norm0)."""
    seen: Counter[str] = Counter()
    out = []
    for path, layer in leaves(layers, prefix):
        n = start + seen[layer.type]
        seen[layer.type] += 1
        out.append((path, _join(module, f"{words[layer.type]}{n}")))
    return out


def named_sequentials(net: S.NetworkSpec) -> Pairs:
    """Top-level `sequential` blocks that are torchvision's nn.Sequential of the same name,
    layer for layer (AlexNet's and VGG's `features` and `classifier`)."""
    pairs: Pairs = []
    for i, layer in enumerate(net.layers):
        if isinstance(layer, S.Sequential):
            pairs += indexed(layer.layers, f"layers.{i}.layers", layer.name)
    return pairs


def conv_units(layers: list[S.Layer], prefix: str) -> tuple[list[list[str]], list[int], int]:
    """A flat stack read as torchvision's units: a conv with the batch norm after it is
    one unit (a BasicConv2d); a pool is a unit of torchvision's nn.Sequential too.
    -> (paths of each conv unit's conv and batch norm, each conv unit's index, units)."""
    paths: list[list[str]] = []
    index: list[int] = []
    count = 0
    for i, layer in enumerate(layers):
        path = f"{prefix}.{i}"
        if layer.type == "conv2d":
            paths.append([path])
            index.append(count)
            count += 1
        elif layer.type == "batchnorm2d":
            paths[-1].append(path)
        elif layer.type in ("maxpool2d", "avgpool2d"):
            count += 1
    return paths, index, count


def unit_names(paths: list[str], module: str) -> Pairs:
    """A BasicConv2d unit: its conv is `module.conv`, its batch norm `module.bn`."""
    return list(zip(paths, [f"{module}.conv", f"{module}.bn"]))


def mirrored(layers: list[S.Layer], prefix: str, module: str) -> Pairs:
    """A stack that mirrors torchvision's nn.Sequential `module`: its i-th layer is
    `module.i`, a `sequential` in it is a submodule of the same shape (a
    Conv2dNormActivation: `.0` conv, `.1` batch norm), and a squeeze-and-excitation
    block (a residual with merge `mul`) is `module.i` with its two 1x1 convs `fc1`, `fc2`
    (the mobile networks, issue 16)."""
    pairs: Pairs = []
    for i, layer in enumerate(layers):
        path, name = f"{prefix}.{i}", _join(module, str(i))
        if layer.type in PARAMETRIC:
            pairs.append((path, name))
        elif isinstance(layer, S.Sequential):
            pairs += mirrored(layer.layers, f"{path}.layers", name)
        elif isinstance(layer, S.Residual) and layer.merge == "mul":
            pairs += numbered(layer.body, f"{path}.body", name, {"conv2d": "fc"})
    return pairs
