"""Each leaf layer as one line of PyTorch source, for export.py's file.

LEAVES mirrors build.BUILDERS one for one: the same classes with the same arguments,
keyword arguments at PyTorch's defaults left out.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from server.net.core import spec as S
from server.net.core.build import norm_shape
from server.net.core.leaf_shapes import conv_groups, pair, sequence_shape

Shape = tuple[int, ...]


def _str(text: str) -> str:
    """A string literal in double quotes (only spec literals such as 'same' reach here)."""
    return json.dumps(text)


def _size(value: int | tuple[int, int]) -> str:
    """An int, or a pair written as an int when both sides agree."""
    h, w = pair(value)
    return str(h) if h == w else f"({h}, {w})"


def _call(cls: str, args: list[str], kwargs: dict[str, Any], defaults: dict[str, Any]) -> str:
    """`nn.Cls(a, b, key=value)` leaving out keyword arguments at PyTorch's defaults."""
    parts = list(args)
    for key, value in kwargs.items():
        if key in defaults and value == defaults[key]:
            continue
        parts.append(f"{key}={value}")
    return f"{cls}({', '.join(parts)})"


def _conv2d(x: S.Conv2d, shape: Shape) -> str:
    padding = _str(x.padding) if isinstance(x.padding, str) else _size(x.padding)
    return _call(
        "nn.Conv2d",
        [str(shape[0]), str(x.out_channels), _size(x.kernel_size)],
        {
            "stride": _size(x.stride),
            "padding": padding,
            "dilation": _size(x.dilation),
            "groups": conv_groups(x, shape[0]),
            "bias": x.bias,
        },
        {"stride": "1", "padding": "0", "dilation": "1", "groups": 1, "bias": True},
    )


def _conv_transpose2d(x: S.ConvTranspose2d, shape: Shape) -> str:
    return _call(
        "nn.ConvTranspose2d",
        [str(shape[0]), str(x.out_channels), _size(x.kernel_size)],
        {
            "stride": _size(x.stride),
            "padding": _size(x.padding),
            "output_padding": _size(x.output_padding),
            "groups": x.groups,
            "bias": x.bias,
            "dilation": _size(x.dilation),
        },
        {"stride": "1", "padding": "0", "output_padding": "0", "groups": 1, "bias": True,
         "dilation": "1"},
    )  # fmt: skip


def _upsample(x: S.Upsample, shape: Shape) -> str:
    mode = {"mode": _str(x.mode)}
    if x.mode == "bilinear":
        mode["align_corners"] = str(x.align_corners)
    if x.size is not None:
        return _call("nn.Upsample", [], {"size": _size(x.size), **mode}, {})
    h, w = pair(x.scale_factor or 1)
    factor = f"{float(h)}" if h == w else f"({float(h)}, {float(w)})"
    return _call("nn.Upsample", [], {"scale_factor": factor, **mode}, {})


def _layernorm(x: S.LayerNorm, shape: Shape) -> str:
    kwargs = {"eps": x.eps, "elementwise_affine": x.elementwise_affine}
    defaults = {"eps": 1e-5, "elementwise_affine": True}
    return _call("nn.LayerNorm", [str(norm_shape(x, shape))], kwargs, defaults)


def _pool(x: S.MaxPool2d | S.AvgPool2d) -> dict[str, Any]:
    return {
        "stride": _size(x.stride) if x.stride is not None else None,
        "padding": _size(x.padding),
    }


def _maxpool2d(x: S.MaxPool2d, shape: Shape) -> str:
    kwargs = _pool(x) | {"dilation": _size(x.dilation), "ceil_mode": x.ceil_mode}
    defaults = {"stride": None, "padding": "0", "dilation": "1", "ceil_mode": False}
    return _call("nn.MaxPool2d", [_size(x.kernel_size)], kwargs, defaults)


def _avgpool2d(x: S.AvgPool2d, shape: Shape) -> str:
    kwargs = _pool(x) | {"ceil_mode": x.ceil_mode, "count_include_pad": x.count_include_pad}
    defaults = {"stride": None, "padding": "0", "ceil_mode": False, "count_include_pad": True}
    return _call("nn.AvgPool2d", [_size(x.kernel_size)], kwargs, defaults)


def _batchnorm(cls: str) -> Callable[[Any, Shape], str]:
    def emit(x: S.BatchNorm2d | S.BatchNorm1d, shape: Shape) -> str:
        kwargs = {"eps": x.eps, "momentum": x.momentum, "affine": x.affine}
        defaults = {"eps": 1e-5, "momentum": 0.1, "affine": True}
        return _call(cls, [str(shape[0])], kwargs, defaults)

    return emit


def _recurrent(x: S.LSTM | S.GRU, shape: Shape) -> str:
    features = sequence_shape(shape)[1]
    return _call(
        "Recurrent",
        [_str(x.type), str(features), str(x.hidden_size)],
        {"num_layers": x.num_layers, "bidirectional": x.bidirectional, "output": _str(x.output)},
        {},  # modules.Recurrent has no defaults: every argument is written
    )


# Mirrors build.BUILDERS one for one: the same classes with the same arguments.
LEAVES: dict[str, Callable[[Any, Shape], str]] = {
    "conv2d": _conv2d,
    "conv_transpose2d": _conv_transpose2d,
    "upsample": _upsample,
    "maxpool2d": _maxpool2d,
    "avgpool2d": _avgpool2d,
    "adaptive_avgpool2d": lambda x, _: f"nn.AdaptiveAvgPool2d({_size(x.output_size)})",
    "global_avgpool2d": lambda x, _: "nn.AdaptiveAvgPool2d(1)",
    "batchnorm2d": _batchnorm("nn.BatchNorm2d"),
    "batchnorm1d": _batchnorm("nn.BatchNorm1d"),
    "groupnorm": lambda x, s: _call(
        "nn.GroupNorm",
        [str(x.num_groups), str(s[0])],
        {"eps": x.eps, "affine": x.affine},
        {"eps": 1e-5, "affine": True},
    ),
    "layernorm": _layernorm,
    "relu": lambda x, _: "nn.ReLU()",
    "relu6": lambda x, _: "nn.ReLU6()",
    "leaky_relu": lambda x, _: _call(
        "nn.LeakyReLU", [], {"negative_slope": x.negative_slope}, {"negative_slope": 0.01}
    ),
    "sigmoid": lambda x, _: "nn.Sigmoid()",
    "tanh": lambda x, _: "nn.Tanh()",
    "gelu": lambda x, _: "nn.GELU()",
    "silu": lambda x, _: "nn.SiLU()",
    "hardswish": lambda x, _: "nn.Hardswish()",
    "hardsigmoid": lambda x, _: "nn.Hardsigmoid()",
    "softmax": lambda x, _: "nn.Softmax(dim=1)",  # the first per-sample axis
    "dropout": lambda x, _: _call("nn.Dropout", [], {"p": x.p}, {"p": 0.5}),
    "dropout2d": lambda x, _: _call("nn.Dropout2d", [], {"p": x.p}, {"p": 0.5}),
    "flatten": lambda x, _: "nn.Flatten()",
    "linear": lambda x, s: _call(
        "nn.Linear", [str(s[-1]), str(x.out_features)], {"bias": x.bias}, {"bias": True}
    ),
    "identity": lambda x, _: "nn.Identity()",
    "lstm": _recurrent,
    "gru": _recurrent,
}
