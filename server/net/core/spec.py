"""NetworkSpec: a network described as data, the one source of truth.

Layer specs are a discriminated union on "type". Shapes are per sample (no batch
axis): images are (C, H, W), feature vectors (F,), sequences (T, F).
A layer's path is its position (`layers.3`, `layers.4.body.0`); see DESIGN.md.

The leaf layers live by idea in layer_base.py (bounds, field types, the base model),
spatial_layers.py (convolutions, pooling, upsampling) and pointwise_layers.py (norms,
activations, dropout, dense, recurrent); this file holds the blocks, the union of every
type, NetworkSpec and the walks over nested blocks, and re-exports the leaves so that
`from server.net.core.spec import Conv2d` keeps working.
"""

from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field

from server.net.core.layer_base import (
    MAX_SIZE,
    MAX_UNITS,
    NonNeg,
    PadPair,
    Prob,
    Size,
    SizePair,
    Units,
    _Layer,
    _meta,
)
from server.net.core.pointwise_layers import (
    GELU,
    GRU,
    LSTM,
    BatchNorm1d,
    BatchNorm2d,
    Dropout,
    Dropout2d,
    Flatten,
    GroupNorm,
    Hardsigmoid,
    Hardswish,
    Identity,
    LayerNorm,
    LeakyReLU,
    Linear,
    ReLU,
    ReLU6,
    Sigmoid,
    SiLU,
    Softmax,
    Tanh,
)
from server.net.core.spatial_layers import (
    AdaptiveAvgPool2d,
    AvgPool2d,
    Conv2d,
    ConvTranspose2d,
    GlobalAvgPool2d,
    MaxPool2d,
    Upsample,
)

__all__ = [
    "ALL_TYPES",
    "BLOCK_TYPES",
    "GELU",
    "GRU",
    "LEAF_TYPES",
    "LSTM",
    "MAX_SIZE",
    "MAX_UNITS",
    "AdaptiveAvgPool2d",
    "AvgPool2d",
    "BatchNorm1d",
    "BatchNorm2d",
    "Conv2d",
    "ConvTranspose2d",
    "Dropout",
    "Dropout2d",
    "Flatten",
    "GlobalAvgPool2d",
    "GroupNorm",
    "Hardsigmoid",
    "Hardswish",
    "Identity",
    "InputSpec",
    "Layer",
    "LayerNorm",
    "LeakyReLU",
    "Linear",
    "MaxPool2d",
    "Merge",
    "NetworkSpec",
    "NonNeg",
    "PadPair",
    "Parallel",
    "Prob",
    "ReLU",
    "ReLU6",
    "Residual",
    "Sequential",
    "SiLU",
    "Sigmoid",
    "Size",
    "SizePair",
    "Softmax",
    "Tanh",
    "Units",
    "Upsample",
    "_Layer",
    "_meta",
    "children",
    "count_layers",
    "layer_paths",
    "measure",
    "nesting_depth",
]

# How a block joins its paths: sum, channel concatenation, or an elementwise product
# (which broadcasts: a (C, 1, 1) gate times a (C, H, W) map, squeeze-and-excitation).
Merge = Literal["add", "concat", "mul"]


# --- composite blocks ----------------------------------------------------------------


class Sequential(_Layer):
    model_config = _meta("Sequential group", "block", "A named group of layers applied in order.")
    type: Literal["sequential"] = "sequential"
    name: Annotated[str, Field(max_length=64)] = ""
    layers: list[Layer] = Field(default_factory=list)


class Residual(_Layer):
    model_config = _meta(
        "Residual / dense block",
        "block",
        "Runs the body and the shortcut (identity when empty) on the same input and "
        "merges them: 'add' is a ResNet block, 'concat' a DenseNet layer (the shortcut's "
        "channels first, then the body's, as torchvision's DenseNet), 'mul' scales the "
        "input by the body's output (squeeze-and-excitation: a (C, 1, 1) body).",
    )
    type: Literal["residual"] = "residual"
    body: list[Layer] = Field(default_factory=list)
    shortcut: list[Layer] = Field(default_factory=list)
    merge: Merge = "add"


class Parallel(_Layer):
    model_config = _meta(
        "Parallel branches (Inception)",
        "block",
        "Runs each branch on the same input and concatenates (or adds, or multiplies) "
        "their outputs.",
    )
    type: Literal["parallel"] = "parallel"
    branches: list[list[Layer]] = Field(default_factory=list)
    merge: Merge = "concat"


LEAF_TYPES: tuple[type[_Layer], ...] = (
    Conv2d,
    ConvTranspose2d,
    Upsample,
    MaxPool2d,
    AvgPool2d,
    AdaptiveAvgPool2d,
    GlobalAvgPool2d,
    BatchNorm2d,
    BatchNorm1d,
    GroupNorm,
    LayerNorm,
    ReLU,
    ReLU6,
    LeakyReLU,
    Sigmoid,
    Tanh,
    GELU,
    SiLU,
    Hardswish,
    Hardsigmoid,
    Softmax,
    Dropout,
    Dropout2d,
    Flatten,
    Linear,
    Identity,
    LSTM,
    GRU,
)
BLOCK_TYPES: tuple[type[_Layer], ...] = (Sequential, Residual, Parallel)
ALL_TYPES = LEAF_TYPES + BLOCK_TYPES

# Every layer type, discriminated on "type": the union is ALL_TYPES itself.
Layer = Annotated[Union[ALL_TYPES], Field(discriminator="type")]  # noqa: UP007 - a discriminated union needs the explicit Union


class InputSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    channels: Units = 1
    height: Size = 28
    width: Size = 28

    @property
    def shape(self) -> tuple[int, int, int]:
        return (self.channels, self.height, self.width)


class NetworkSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: Annotated[str, Field(max_length=200)] = "Untitled"
    input: InputSpec = Field(default_factory=InputSpec)
    layers: list[Layer] = Field(default_factory=list)


for _model in (Sequential, Residual, Parallel, NetworkSpec):
    _model.model_rebuild()


def children(layer: _Layer) -> list[tuple[str, list[Layer]]]:
    """The sub-stacks of a block with their path segments (`body`, `branches.2`)."""
    if isinstance(layer, Sequential):
        return [("layers", layer.layers)]
    if isinstance(layer, Residual):
        return [("body", layer.body), ("shortcut", layer.shortcut)]
    if isinstance(layer, Parallel):
        return [(f"branches.{i}", branch) for i, branch in enumerate(layer.branches)]
    return []


def measure(layers: list[Layer]) -> tuple[int, int]:
    """(every layer, nested ones included; how deep blocks nest) in one walk.

    A loop over a to-do list, not recursion: cheap enough to run before anything
    else on every request (ResNet-152's 520 layers), and safe at any depth."""
    count = depth = 0
    todo: list[tuple[list[Layer], int]] = [(layers, 1)]
    while todo:
        stack, level = todo.pop()
        if not stack:
            continue
        count += len(stack)
        depth = max(depth, level)
        for layer in stack:
            if isinstance(layer, Sequential):
                todo.append((layer.layers, level + 1))
            elif isinstance(layer, Residual):
                todo += ((layer.body, level + 1), (layer.shortcut, level + 1))
            elif isinstance(layer, Parallel):
                todo += ((branch, level + 1) for branch in layer.branches)
    return count, depth


def count_layers(layers: list[Layer]) -> int:
    """Every layer, nested ones included."""
    return measure(layers)[0]


def nesting_depth(layers: list[Layer]) -> int:
    """1 for a flat stack, 2 when a block holds layers, and so on; 0 when empty."""
    return measure(layers)[1]


def layer_paths(layers: list[Layer], prefix: str = "layers") -> set[str]:
    """The path of every layer, nested ones included ("layers.3", "layers.4.body.1");
    no shape is worked out, so a design whose shapes fail still has all its paths."""
    paths: set[str] = set()
    todo: list[tuple[list[Layer], str]] = [(layers, prefix)]
    while todo:
        stack, at = todo.pop()
        for i, layer in enumerate(stack):
            path = f"{at}.{i}"
            paths.add(path)
            todo += ((sub, f"{path}.{key}") for key, sub in children(layer))
    return paths
