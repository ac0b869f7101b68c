"""NetworkSpec: a network described as data, the one source of truth.

Layer specs are a discriminated union on "type". Shapes are per sample (no batch
axis): images are (C, H, W), feature vectors (F,), sequences (T, F).
A layer's path is its position (`layers.3`, `layers.4.body.0`); see DESIGN.md.
"""

from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

# Sanity bounds of the schema (not resource limits: those live in Settings).
# They keep every number a spec can hold far from overflow and refuse
# `out_channels=10**9` with a message naming the field.
MAX_SIZE = 1 << 16  # a height, width, kernel, stride, padding or dilation
MAX_UNITS = 1 << 16  # channels, features, hidden units

Size = Annotated[StrictInt, Field(ge=1, le=MAX_SIZE)]
NonNeg = Annotated[StrictInt, Field(ge=0, le=MAX_SIZE)]
Units = Annotated[StrictInt, Field(ge=1, le=MAX_UNITS)]
Prob = Annotated[float, Field(ge=0.0, lt=1.0)]

# An int or [h, w]; JSON has no tuples, so a pair arrives as a two-item list.
SizePair = Size | tuple[Size, Size]
PadPair = NonNeg | tuple[NonNeg, NonNeg]


class _Layer(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _meta(title: str, category: str, description: str) -> ConfigDict:
    return ConfigDict(
        extra="forbid",
        frozen=True,
        title=title,
        json_schema_extra={"category": category, "description": description},
    )


# --- convolution and pooling -------------------------------------------------


class Conv2d(_Layer):
    model_config = _meta(
        "Convolution 2D",
        "convolution",
        "Slides out_channels filters of kernel_size over the input; each output value "
        "is the sum of the products of a filter with the pixels under it, plus a bias.",
    )
    type: Literal["conv2d"] = "conv2d"
    out_channels: Units = Field(description="Number of filters (output channels).")
    kernel_size: SizePair = Field(description="Filter size f, an int or [h, w].")
    stride: SizePair = Field(1, description="Step s between filter positions.")
    padding: PadPair | Literal["same", "valid"] = Field(
        0, description="Zeros p added on each side; 'same' keeps the size (stride 1)."
    )
    dilation: SizePair = Field(1, description="Spacing d between filter taps.")
    groups: Units = Field(1, description="Split channels into groups (depthwise: = in).")
    bias: StrictBool = Field(True, description="Add a learned bias per filter.")


class MaxPool2d(_Layer):
    model_config = _meta("Max pooling 2D", "pooling", "Keeps the largest value of each window.")
    type: Literal["maxpool2d"] = "maxpool2d"
    kernel_size: SizePair = Field(description="Window size f.")
    stride: SizePair | None = Field(None, description="Step s; defaults to kernel_size.")
    padding: PadPair = Field(0, description="Padding p (at most half the window).")
    dilation: SizePair = Field(1, description="Spacing d between window taps.")
    ceil_mode: StrictBool = Field(False, description="Round the output size up.")


class AvgPool2d(_Layer):
    model_config = _meta("Average pooling 2D", "pooling", "Averages each window.")
    type: Literal["avgpool2d"] = "avgpool2d"
    kernel_size: SizePair = Field(description="Window size f.")
    stride: SizePair | None = Field(None, description="Step s; defaults to kernel_size.")
    padding: PadPair = Field(0, description="Padding p (at most half the window).")
    ceil_mode: StrictBool = Field(False, description="Round the output size up.")
    count_include_pad: StrictBool = Field(True, description="Count padding zeros in the average.")


class AdaptiveAvgPool2d(_Layer):
    model_config = _meta(
        "Adaptive average pooling",
        "pooling",
        "Averages into a fixed output size whatever the input size.",
    )
    type: Literal["adaptive_avgpool2d"] = "adaptive_avgpool2d"
    output_size: SizePair = Field(description="Output height and width.")


class GlobalAvgPool2d(_Layer):
    model_config = _meta(
        "Global average pooling",
        "pooling",
        "Averages each channel to one value: (C, H, W) -> (C, 1, 1).",
    )
    type: Literal["global_avgpool2d"] = "global_avgpool2d"


# --- normalization -------------------------------------------------------------


class BatchNorm2d(_Layer):
    model_config = _meta(
        "Batch norm 2D",
        "normalization",
        "Normalizes each channel over the batch, then scales and shifts it.",
    )
    type: Literal["batchnorm2d"] = "batchnorm2d"
    eps: Annotated[float, Field(gt=0, le=1)] = 1e-5
    momentum: Annotated[float, Field(ge=0, le=1)] = 0.1
    affine: StrictBool = Field(True, description="Learn a scale and shift per channel.")


class BatchNorm1d(_Layer):
    model_config = _meta(
        "Batch norm 1D",
        "normalization",
        "Normalizes each feature over the batch, then scales and shifts it.",
    )
    type: Literal["batchnorm1d"] = "batchnorm1d"
    eps: Annotated[float, Field(gt=0, le=1)] = 1e-5
    momentum: Annotated[float, Field(ge=0, le=1)] = 0.1
    affine: StrictBool = Field(True, description="Learn a scale and shift per feature.")


# --- activations ---------------------------------------------------------------


class ReLU(_Layer):
    model_config = _meta("ReLU", "activation", "max(0, x).")
    type: Literal["relu"] = "relu"


class LeakyReLU(_Layer):
    model_config = _meta("Leaky ReLU", "activation", "x if x > 0 else slope * x.")
    type: Literal["leaky_relu"] = "leaky_relu"
    negative_slope: Annotated[float, Field(ge=0, le=1)] = 0.01


class Sigmoid(_Layer):
    model_config = _meta("Sigmoid", "activation", "1 / (1 + exp(-x)), into (0, 1).")
    type: Literal["sigmoid"] = "sigmoid"


class Tanh(_Layer):
    model_config = _meta("Tanh", "activation", "Hyperbolic tangent, into (-1, 1).")
    type: Literal["tanh"] = "tanh"


class GELU(_Layer):
    model_config = _meta("GELU", "activation", "x * Phi(x), a smooth ReLU.")
    type: Literal["gelu"] = "gelu"


class Softmax(_Layer):
    model_config = _meta(
        "Softmax", "activation", "Turns scores into probabilities over the first axis."
    )
    type: Literal["softmax"] = "softmax"


# --- regularization ----------------------------------------------------------------


class Dropout(_Layer):
    model_config = _meta(
        "Dropout",
        "regularization",
        "While training, zeroes each value with probability p and scales the rest "
        "by 1/(1-p); does nothing in eval mode.",
    )
    type: Literal["dropout"] = "dropout"
    p: Prob = 0.5


class Dropout2d(_Layer):
    model_config = _meta(
        "Dropout 2D",
        "regularization",
        "While training, zeroes whole channels with probability p.",
    )
    type: Literal["dropout2d"] = "dropout2d"
    p: Prob = 0.5


# --- reshaping and dense -------------------------------------------------------------


class Flatten(_Layer):
    model_config = _meta("Flatten", "dense", "(C, H, W) -> (C*H*W,).")
    type: Literal["flatten"] = "flatten"


class Linear(_Layer):
    model_config = _meta(
        "Linear (fully connected)",
        "dense",
        "Every output is a weighted sum of every input plus a bias; acts on the last axis.",
    )
    type: Literal["linear"] = "linear"
    out_features: Units = Field(description="Number of outputs.")
    bias: StrictBool = True


class Identity(_Layer):
    model_config = _meta("Identity", "dense", "Passes the input through unchanged.")
    type: Literal["identity"] = "identity"


# --- recurrent -----------------------------------------------------------------------


class _Recurrent(_Layer):
    hidden_size: Units = Field(description="Units in the hidden state.")
    num_layers: Annotated[StrictInt, Field(ge=1, le=16)] = 1
    bidirectional: StrictBool = False
    output: Literal["sequence", "last"] = Field(
        "last",
        description="'last': the final hidden state (H,); 'sequence': every step (T, H).",
    )


class LSTM(_Recurrent):
    model_config = _meta(
        "LSTM",
        "recurrent",
        "Long short-term memory over a sequence: an image (C, H, W) is read as H steps "
        "of C*W values, row by row. Four gates (input, forget, cell, output).",
    )
    type: Literal["lstm"] = "lstm"


class GRU(_Recurrent):
    model_config = _meta(
        "GRU",
        "recurrent",
        "Gated recurrent unit over a sequence: an image (C, H, W) is read as H steps "
        "of C*W values, row by row. Three gates (reset, update, new).",
    )
    type: Literal["gru"] = "gru"


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
        "channels first, then the body's, as torchvision's DenseNet).",
    )
    type: Literal["residual"] = "residual"
    body: list[Layer] = Field(default_factory=list)
    shortcut: list[Layer] = Field(default_factory=list)
    merge: Literal["add", "concat"] = "add"


class Parallel(_Layer):
    model_config = _meta(
        "Parallel branches (Inception)",
        "block",
        "Runs each branch on the same input and concatenates (or adds) their outputs.",
    )
    type: Literal["parallel"] = "parallel"
    name: Annotated[str, Field(max_length=64)] = ""  # issue 18: "inception3a", as torchvision
    branches: list[list[Layer]] = Field(default_factory=list)
    merge: Literal["add", "concat"] = "concat"


LEAF_TYPES: tuple[type[_Layer], ...] = (
    Conv2d,
    MaxPool2d,
    AvgPool2d,
    AdaptiveAvgPool2d,
    GlobalAvgPool2d,
    BatchNorm2d,
    BatchNorm1d,
    ReLU,
    LeakyReLU,
    Sigmoid,
    Tanh,
    GELU,
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
