"""NetworkSpec -> nn.Module whose submodule names are the layer paths.

One table maps a leaf type to its builder. Shapes come from `shapes.infer`, so
every builder knows its input shape and in_channels are never asked of a user.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torch import nn

from server.net.core import spec as S
from server.net.core.leaf_shapes import conv_groups, pair, sequence_shape
from server.net.core.modules import Group, Network, Parallel, Recurrent, Residual
from server.net.core.shapes import ShapeError, ShapeReport, infer

Shape = tuple[int, ...]


class TooLarge(ValueError):
    """The network exceeds a resource limit; nothing was allocated."""


def _conv2d(layer: S.Conv2d, shape: Shape) -> nn.Module:
    return nn.Conv2d(
        shape[0],
        layer.out_channels,
        pair(layer.kernel_size),
        stride=pair(layer.stride),
        padding=layer.padding if isinstance(layer.padding, str) else pair(layer.padding),
        dilation=pair(layer.dilation),
        groups=conv_groups(layer, shape[0]),
        bias=layer.bias,
    )


def _conv_transpose2d(layer: S.ConvTranspose2d, shape: Shape) -> nn.Module:
    return nn.ConvTranspose2d(
        shape[0],
        layer.out_channels,
        pair(layer.kernel_size),
        stride=pair(layer.stride),
        padding=pair(layer.padding),
        output_padding=pair(layer.output_padding),
        groups=layer.groups,
        bias=layer.bias,
        dilation=pair(layer.dilation),
    )


def _upsample(layer: S.Upsample, shape: Shape) -> nn.Module:
    corners = layer.align_corners if layer.mode == "bilinear" else None
    if layer.size is not None:
        return nn.Upsample(size=pair(layer.size), mode=layer.mode, align_corners=corners)
    factor = tuple(float(k) for k in pair(layer.scale_factor or 1))
    return nn.Upsample(scale_factor=factor, mode=layer.mode, align_corners=corners)


def norm_shape(layer: S.LayerNorm, shape: Shape) -> list[int]:
    """The axes a layernorm normalizes: the whole per-sample shape, or its last axis."""
    return list(shape) if layer.over == "all" else [shape[-1]]


def _stride(layer: S.MaxPool2d | S.AvgPool2d) -> Any:
    return pair(layer.stride) if layer.stride is not None else None


def _recurrent(layer: S.LSTM | S.GRU, shape: Shape) -> nn.Module:
    return Recurrent(
        layer.type,  # type: ignore[arg-type]
        sequence_shape(shape)[1],
        layer.hidden_size,
        layer.num_layers,
        layer.bidirectional,
        layer.output,
    )


BUILDERS: dict[str, Callable[[Any, Shape], nn.Module]] = {
    "conv2d": _conv2d,
    "conv_transpose2d": _conv_transpose2d,
    "upsample": _upsample,
    "maxpool2d": lambda x, _: nn.MaxPool2d(
        pair(x.kernel_size), _stride(x), pair(x.padding), pair(x.dilation), ceil_mode=x.ceil_mode
    ),
    "avgpool2d": lambda x, _: nn.AvgPool2d(
        pair(x.kernel_size),
        _stride(x),
        pair(x.padding),
        ceil_mode=x.ceil_mode,
        count_include_pad=x.count_include_pad,
    ),
    "adaptive_avgpool2d": lambda x, _: nn.AdaptiveAvgPool2d(pair(x.output_size)),
    "global_avgpool2d": lambda x, _: nn.AdaptiveAvgPool2d(1),
    "batchnorm2d": lambda x, s: nn.BatchNorm2d(s[0], x.eps, x.momentum, x.affine),
    "batchnorm1d": lambda x, s: nn.BatchNorm1d(s[0], x.eps, x.momentum, x.affine),
    "groupnorm": lambda x, s: nn.GroupNorm(x.num_groups, s[0], x.eps, x.affine),
    "layernorm": lambda x, s: nn.LayerNorm(norm_shape(x, s), x.eps, x.elementwise_affine),
    "relu": lambda x, _: nn.ReLU(),  # never inplace: hooks must see each output
    "relu6": lambda x, _: nn.ReLU6(),
    "leaky_relu": lambda x, _: nn.LeakyReLU(x.negative_slope),
    "sigmoid": lambda x, _: nn.Sigmoid(),
    "tanh": lambda x, _: nn.Tanh(),
    "gelu": lambda x, _: nn.GELU(),
    "silu": lambda x, _: nn.SiLU(),
    "hardswish": lambda x, _: nn.Hardswish(),
    "hardsigmoid": lambda x, _: nn.Hardsigmoid(),
    "softmax": lambda x, _: nn.Softmax(dim=1),  # the first per-sample axis
    "dropout": lambda x, _: nn.Dropout(x.p),
    "dropout2d": lambda x, _: nn.Dropout2d(x.p),
    "flatten": lambda x, _: nn.Flatten(),
    "linear": lambda x, s: nn.Linear(s[-1], x.out_features, bias=x.bias),
    "identity": lambda x, _: nn.Identity(),
    "lstm": _recurrent,
    "gru": _recurrent,
}


def check_limits(
    report: ShapeReport, max_params: int | None, max_activation_bytes: int | None
) -> None:
    """Refuse, before anything is allocated, a network past the limits."""
    if max_params is not None and report.total_params > max_params:
        raise TooLarge(
            f"the network has {report.total_params:,} parameters; the limit is "
            f"{max_params:,} (CNNPLAY_MAX_PARAMS)"
        )
    if max_activation_bytes is not None and report.activations * 4 > max_activation_bytes:
        raise TooLarge(
            f"one image through this network makes {report.activations * 4:,} bytes of "
            f"activations; the limit is {max_activation_bytes:,} "
            "(CNNPLAY_MAX_ACTIVATION_BYTES)"
        )


def build_module(
    spec: S.NetworkSpec,
    *,
    max_params: int | None = None,
    max_activation_bytes: int | None = None,
) -> Network:
    """Build the spec; raises ShapeError if its shapes do not work out, TooLarge past a limit."""
    report = infer(spec)
    if report.error:
        raise ShapeError(report.error["layer"], report.error["message"])
    check_limits(report, max_params, max_activation_bytes)
    inputs = {row.path: tuple(row.input_shape) for row in report.layers}

    def stack(layers: list[S.Layer], prefix: str) -> list[nn.Module]:
        return [one(layer, f"{prefix}.{i}") for i, layer in enumerate(layers)]

    def one(layer: S.Layer, path: str) -> nn.Module:
        if isinstance(layer, S.Sequential):
            return Group(stack(layer.layers, f"{path}.layers"))
        if isinstance(layer, S.Residual):
            return Residual(
                stack(layer.body, f"{path}.body"),
                stack(layer.shortcut, f"{path}.shortcut"),
                layer.merge,
            )
        if isinstance(layer, S.Parallel):
            branches = [stack(b, f"{path}.branches.{i}") for i, b in enumerate(layer.branches)]
            return Parallel(branches, layer.merge)
        return BUILDERS[layer.type](layer, inputs[path])

    return Network(stack(spec.layers, "layers"))
