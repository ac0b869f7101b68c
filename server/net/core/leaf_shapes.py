"""What each leaf layer does to a per-sample shape: output shape, parameters, MACs,
the window it slides (for receptive fields) and its size formula.

Each rule maps (layer, input shape, memo) to an _Out or raises ValueError with a
message for a person; shapes.infer walks the spec and names the layer's path.
"""

from __future__ import annotations

from math import prod

from server.net.core import spec as S
from server.net.core.formula import Axis, conv_out, formula_2d, span
from server.net.core.shape_types import (
    Memo,
    Shape,
    Window,
    _Geometry,
    _Out,
    fmt,
    pair,
)
from server.net.core.shape_types import need_image as _need_image
from server.net.core.upsampling_shapes import UPSAMPLING_RULES

__all__ = ["LEAF_RULES", "Memo", "Shape", "Window", "conv_groups", "fmt", "pair", "sequence_shape"]


def _conv_geometry(layer: S.Conv2d, h: int, w: int) -> _Geometry:
    """Output height and width, window and formula of a conv on an h x w input."""
    (fh, fw), (sh, sw), (dh, dw) = map(pair, (layer.kernel_size, layer.stride, layer.dilation))
    window = (span(fh, dh), span(fw, dw), sh, sw)
    if layer.padding == "same":
        if (sh, sw) != (1, 1):
            raise ValueError("padding='same' needs stride 1; set padding to a number")
        return _Geometry(h, w, window, f"padding 'same' keeps the size: {h} x {w}")
    ph, pw = (0, 0) if layer.padding == "valid" else pair(layer.padding)
    ah, aw = Axis(h, fh, ph, sh, dh), Axis(w, fw, pw, sw, dw)
    for a, name in ((ah, "height"), (aw, "width")):
        if a.effective_kernel > a.padded:
            kernel = f"{a.f}" if a.d == 1 else f"{a.effective_kernel} (dilated)"
            raise ValueError(
                f"kernel {kernel} is larger than the padded input {name} "
                f"{a.padded} = {a.n} + 2*{a.p}; lower kernel_size or add padding"
            )
    return _Geometry(conv_out(ah), conv_out(aw), window, formula_2d(ah, aw))


def conv_groups(layer: S.Conv2d, channels: int) -> int:
    """The number of groups: 'depthwise' is one group per input channel."""
    return channels if layer.groups == "depthwise" else layer.groups


def _conv2d(layer: S.Conv2d, shape: Shape, memo: Memo) -> _Out:
    c, h, w = _need_image(shape, "conv2d")
    g = conv_groups(layer, c)
    if c % g or layer.out_channels % g:
        if layer.groups == "depthwise":
            raise ValueError(
                f"depthwise: out_channels ({layer.out_channels}) must be a multiple of the "
                f"input channels ({c})"
            )
        raise ValueError(
            f"groups={g} must divide both the input channels ({c}) and "
            f"out_channels ({layer.out_channels})"
        )
    key = ("conv2d", h, w, layer.kernel_size, layer.stride, layer.padding, layer.dilation)
    geometry = memo.get(key)
    if geometry is None:
        geometry = memo[key] = _conv_geometry(layer, h, w)
    oh, ow, window, formula = geometry
    fh, fw = pair(layer.kernel_size)
    per_out = (c // g) * fh * fw
    params = layer.out_channels * per_out + (layer.out_channels if layer.bias else 0)
    variant = None
    if g == c and c > 1:  # each channel filtered on its own (MobileNet's depthwise conv)
        variant = "depthwise"
        many = layer.out_channels // c
        each = "its own filter" if many == 1 else f"{many} filters of its own"
        formula = f"depthwise: each of the {c} channels gets {each}; {formula}"
    elif g > 1:
        formula = f"{g} groups of {c // g} channels; {formula}"
    return _Out(
        (layer.out_channels, oh, ow),
        params,
        layer.out_channels * oh * ow * per_out,
        window,
        formula,
        variant,
    )


def _pool_geometry(layer: S.MaxPool2d | S.AvgPool2d, h: int, w: int) -> _Geometry:
    f = pair(layer.kernel_size)
    s = pair(layer.stride) if layer.stride is not None else f
    p = pair(layer.padding)
    d = pair(layer.dilation) if isinstance(layer, S.MaxPool2d) else (1, 1)
    axes = [Axis(n, f[i], p[i], s[i], d[i], layer.ceil_mode) for i, n in enumerate((h, w))]
    for a in axes:
        if a.p > a.f // 2:
            raise ValueError(
                f"padding {a.p} is more than half the window {a.f}; use padding <= {a.f // 2}"
            )
    oh, ow = conv_out(axes[0]), conv_out(axes[1])
    if oh < 1 or ow < 1:
        a = axes[0] if oh < 1 else axes[1]
        raise ValueError(
            f"window {a.effective_kernel} is larger than the padded input {a.padded} "
            f"= {a.n} + 2*{a.p}; lower kernel_size or pool earlier"
        )
    window = (axes[0].effective_kernel, axes[1].effective_kernel, s[0], s[1])
    return _Geometry(oh, ow, window, formula_2d(axes[0], axes[1]))


def _pool2d(layer: S.MaxPool2d | S.AvgPool2d, shape: Shape, memo: Memo) -> _Out:
    c, h, w = _need_image(shape, layer.type)
    dilation = layer.dilation if isinstance(layer, S.MaxPool2d) else 1
    key = ("pool", h, w, layer.kernel_size, layer.stride, layer.padding, dilation, layer.ceil_mode)
    geometry = memo.get(key)
    if geometry is None:
        geometry = memo[key] = _pool_geometry(layer, h, w)
    return _Out(
        (c, geometry.height, geometry.width), window=geometry.window, formula=geometry.formula
    )


def _adaptive(layer: S.AdaptiveAvgPool2d, shape: Shape, memo: Memo) -> _Out:
    c, h, w = _need_image(shape, "adaptive_avgpool2d")
    oh, ow = pair(layer.output_size)
    # The widest window, and the stride between windows.
    window = (-(-h // oh), -(-w // ow), max(h // oh, 1), max(w // ow, 1))
    return _Out((c, oh, ow), window=window, formula=f"adaptive: any {h} x {w} -> {oh} x {ow}")


def _global_pool(layer: S.GlobalAvgPool2d, shape: Shape, memo: Memo) -> _Out:
    c, h, w = _need_image(shape, "global_avgpool2d")
    return _Out((c, 1, 1), window=(h, w, h, w), formula=f"mean over {h} x {w}")


def _batchnorm2d(layer: S.BatchNorm2d, shape: Shape, memo: Memo) -> _Out:
    c, _, _ = _need_image(shape, "batchnorm2d")
    return _Out(shape, 2 * c if layer.affine else 0)


def _batchnorm1d(layer: S.BatchNorm1d, shape: Shape, memo: Memo) -> _Out:
    if len(shape) not in (1, 2):
        raise ValueError(
            f"batchnorm1d needs features (F,) or (C, L) but gets {fmt(shape)}; "
            "use batchnorm2d on images"
        )
    return _Out(shape, 2 * shape[0] if layer.affine else 0)


def _groupnorm(layer: S.GroupNorm, shape: Shape, memo: Memo) -> _Out:
    c = shape[0]
    if len(shape) < 2 or c % layer.num_groups:
        if len(shape) < 2:
            raise ValueError(
                f"groupnorm needs channels (C, H, W) or (C, L) but gets {fmt(shape)}; "
                "use layernorm on features"
            )
        raise ValueError(f"num_groups={layer.num_groups} must divide the channels ({c})")
    per = c // layer.num_groups
    formula = f"{layer.num_groups} groups of {per} channels x {prod(shape[1:])} values each"
    return _Out(shape, 2 * c if layer.affine else 0, formula=formula)


def _layernorm(layer: S.LayerNorm, shape: Shape, memo: Memo) -> _Out:
    axes = shape if layer.over == "all" else shape[-1:]
    formula = f"mean and variance over {fmt(axes)}: {prod(axes)} values"
    return _Out(shape, 2 * prod(axes) if layer.elementwise_affine else 0, formula=formula)


def _dropout2d(layer: S.Dropout2d, shape: Shape, memo: Memo) -> _Out:
    _need_image(shape, "dropout2d")
    return _Out(shape)


def _whole(shape: Shape) -> Window | None:
    """The window of a layer that sees the whole image at once (flatten, LSTM)."""
    if len(shape) == 3:
        return (shape[1], shape[2], shape[1], shape[2])
    return None


def _flatten(layer: S.Flatten, shape: Shape, memo: Memo) -> _Out:
    return _Out((prod(shape),), window=_whole(shape))


def _linear(layer: S.Linear, shape: Shape, memo: Memo) -> _Out:
    n_in, rows = shape[-1], prod(shape[:-1])
    params = n_in * layer.out_features + (layer.out_features if layer.bias else 0)
    return _Out(
        (*shape[:-1], layer.out_features),
        params=params,
        macs=rows * n_in * layer.out_features,
        window=(1, shape[-1], 1, 1) if len(shape) == 3 else None,
        formula=f"{n_in} inputs x {layer.out_features} outputs"
        + (f" + {layer.out_features} biases" if layer.bias else ""),
    )


def sequence_shape(shape: Shape) -> tuple[int, int]:
    """How a recurrent layer reads its input: (T, F); an image is H rows of C*W."""
    if len(shape) == 3:
        return shape[1], shape[0] * shape[2]
    if len(shape) == 2:
        return shape[0], shape[1]
    raise ValueError(
        f"needs a sequence (T, F) or an image (C, H, W) but gets {fmt(shape)}; "
        "put it before the flatten"
    )


def _recurrent(layer: S.LSTM | S.GRU, shape: Shape, memo: Memo) -> _Out:
    steps, features = sequence_shape(shape)
    gates = 4 if isinstance(layer, S.LSTM) else 3
    hidden, dirs = layer.hidden_size, 2 if layer.bidirectional else 1
    params = macs = 0
    n_in = features
    for _ in range(layer.num_layers):
        weights = gates * hidden * (n_in + hidden)
        params += dirs * (weights + 2 * gates * hidden)  # two biases per gate
        macs += dirs * steps * weights
        n_in = hidden * dirs
    out = (hidden * dirs,) if layer.output == "last" else (steps, hidden * dirs)
    formula = (
        f"{steps} steps of {features}; {gates} gates x {hidden} units x "
        f"({features} inputs + {hidden} hidden + 2 biases)"
    )
    return _Out(out, params=params, macs=macs, window=_whole(shape), formula=formula)


def _same(layer: S._Layer, shape: Shape, memo: Memo) -> _Out:
    return _Out(shape)


LEAF_RULES = {
    "conv2d": _conv2d,
    **UPSAMPLING_RULES,
    "maxpool2d": _pool2d,
    "avgpool2d": _pool2d,
    "adaptive_avgpool2d": _adaptive,
    "global_avgpool2d": _global_pool,
    "batchnorm2d": _batchnorm2d,
    "batchnorm1d": _batchnorm1d,
    "groupnorm": _groupnorm,
    "layernorm": _layernorm,
    "relu": _same,
    "relu6": _same,
    "leaky_relu": _same,
    "sigmoid": _same,
    "tanh": _same,
    "gelu": _same,
    "silu": _same,
    "hardswish": _same,
    "hardsigmoid": _same,
    "softmax": _same,
    "dropout": _same,
    "dropout2d": _dropout2d,
    "flatten": _flatten,
    "linear": _linear,
    "identity": _same,
    "lstm": _recurrent,
    "gru": _recurrent,
}
