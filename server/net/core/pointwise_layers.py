"""Layer specs that act value by value or along one axis: normalization, activations,
regularization, dense layers and recurrent ones."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StrictBool, StrictInt

from server.net.core.layer_base import Prob, Units, _Layer, _meta

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


class GroupNorm(_Layer):
    model_config = _meta(
        "Group norm",
        "normalization",
        "Normalizes each sample on its own over groups of channels (and all pixels), "
        "then scales and shifts each channel; independent of the batch size.",
    )
    type: Literal["groupnorm"] = "groupnorm"
    num_groups: Units = Field(description="Groups of channels; must divide the channels.")
    eps: Annotated[float, Field(gt=0, le=1)] = 1e-5
    affine: StrictBool = Field(True, description="Learn a scale and shift per channel.")


class LayerNorm(_Layer):
    model_config = _meta(
        "Layer norm",
        "normalization",
        "Normalizes each sample on its own over all its values ('all': C, H, W) or over "
        "its last axis ('last': the features of each step), then scales and shifts "
        "each of them.",
    )
    type: Literal["layernorm"] = "layernorm"
    over: Literal["all", "last"] = Field("all", description="Which axes are normalized.")
    eps: Annotated[float, Field(gt=0, le=1)] = 1e-5
    elementwise_affine: StrictBool = Field(True, description="Learn a scale and shift per value.")


# --- activations ---------------------------------------------------------------


class ReLU(_Layer):
    model_config = _meta("ReLU", "activation", "max(0, x).")
    type: Literal["relu"] = "relu"


class ReLU6(_Layer):
    model_config = _meta("ReLU6", "activation", "min(max(0, x), 6): a ReLU capped at 6.")
    type: Literal["relu6"] = "relu6"


class SiLU(_Layer):
    model_config = _meta("SiLU (swish)", "activation", "x * sigmoid(x), a smooth ReLU.")
    type: Literal["silu"] = "silu"


class Hardswish(_Layer):
    model_config = _meta(
        "Hard swish", "activation", "x * relu6(x + 3) / 6: swish made of straight pieces."
    )
    type: Literal["hardswish"] = "hardswish"


class Hardsigmoid(_Layer):
    model_config = _meta(
        "Hard sigmoid", "activation", "relu6(x + 3) / 6: a sigmoid made of straight pieces."
    )
    type: Literal["hardsigmoid"] = "hardsigmoid"


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
