"""Analytic shape inference: shapes, parameters, MACs, receptive fields, formulas.

`infer(spec)` walks the spec without allocating a tensor. Per-sample shapes:
(C, H, W) for images, (F,) for vectors, (T, F) for sequences. An impossible
layer raises `ShapeError` internally; `infer` reports it as `valid: False` with
every layer before it filled in. Results must equal what torch builds and runs
(tests/net/core/test_shapes.py checks that).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from math import prod
from typing import NamedTuple

from server.net.core import spec as S
from server.net.core.formula import Axis, conv_out, formula_2d

Shape = tuple[int, ...]


class ShapeError(ValueError):
    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


@dataclass
class LayerInfo:
    path: str
    type: str
    depth: int
    input_shape: list[int]
    output_shape: list[int]
    params: int
    trainable: bool
    macs: int
    receptive_field: list[int]
    formula: str | None = None


@dataclass
class ShapeReport:
    valid: bool
    input_shape: list[int]
    output_shape: list[int] | None
    total_params: int
    trainable_params: int
    macs: int
    activations: int  # values produced by all leaf layers, per sample
    layers: list[LayerInfo] = field(default_factory=list)
    error: dict[str, str] | None = None


# A receptive field per spatial axis: its size and the jump between neighbouring
# outputs, as (size_h, size_w, jump_h, jump_w). Plain tuples: a frozen dataclass
# per layer cost more than the arithmetic (benchmarks/shapes.py, ResNet-152).
ReceptiveField = tuple[int, int, int, int]
Window = tuple[int, int, int, int]  # a layer's (kernel_h, kernel_w, stride_h, stride_w)
FIRST_FIELD: ReceptiveField = (1, 1, 1, 1)


def through(rf: ReceptiveField, window: Window) -> ReceptiveField:
    """The receptive field after a layer that slides `window` over its input."""
    size_h, size_w, jump_h, jump_w = rf
    kernel_h, kernel_w, stride_h, stride_w = window
    return (
        size_h + (kernel_h - 1) * jump_h,
        size_w + (kernel_w - 1) * jump_w,
        jump_h * stride_h,
        jump_w * stride_w,
    )


def widest(fields: list[ReceptiveField]) -> ReceptiveField:
    """The receptive field of merged paths: the widest size and jump per axis."""
    return tuple(max(column) for column in zip(*fields))  # type: ignore[return-value]


class _Geometry(NamedTuple):
    """What a conv or pool does to an h x w input."""

    height: int
    width: int
    window: Window
    formula: str


# Geometry already worked out in this walk, keyed by the numbers it depends on:
# ResNet-152 has 155 convs of a few distinct shapes, each with its formula text.
Memo = dict[tuple[object, ...], _Geometry]


class _Out(NamedTuple):
    shape: Shape
    params: int = 0
    macs: int = 0
    window: Window | None = None  # None: the receptive field is unchanged
    formula: str | None = None


def pair(value: int | tuple[int, int]) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else (value[0], value[1])


def _fmt(shape: Shape) -> str:
    """(64, 56, 56), and (10,) for one axis: Python's own way of writing a tuple."""
    return str(tuple(shape))


def _need_image(shape: Shape, what: str) -> tuple[int, int, int]:
    if len(shape) != 3:
        raise ValueError(
            f"{what} needs an image (C, H, W) but gets {_fmt(shape)}; move it before the flatten"
        )
    return shape  # type: ignore[return-value]


# --- leaf layers ------------------------------------------------------------------
# Each rule maps (layer, input shape, memo) to an _Out or raises ValueError.


def _conv_geometry(layer: S.Conv2d, h: int, w: int) -> _Geometry:
    """Output height and width, window and formula of a conv on an h x w input."""
    (fh, fw), (sh, sw), (dh, dw) = map(pair, (layer.kernel_size, layer.stride, layer.dilation))
    window = (dh * (fh - 1) + 1, dw * (fw - 1) + 1, sh, sw)
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


def _conv2d(layer: S.Conv2d, shape: Shape, memo: Memo) -> _Out:
    c, h, w = _need_image(shape, "conv2d")
    g = layer.groups
    if c % g or layer.out_channels % g:
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
    return _Out(
        (layer.out_channels, oh, ow),
        params,
        layer.out_channels * oh * ow * per_out,
        window,
        formula,
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
            f"batchnorm1d needs features (F,) or (C, L) but gets {_fmt(shape)}; "
            "use batchnorm2d on images"
        )
    return _Out(shape, 2 * shape[0] if layer.affine else 0)


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
        f"needs a sequence (T, F) or an image (C, H, W) but gets {_fmt(shape)}; "
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
    "maxpool2d": _pool2d,
    "avgpool2d": _pool2d,
    "adaptive_avgpool2d": _adaptive,
    "global_avgpool2d": _global_pool,
    "batchnorm2d": _batchnorm2d,
    "batchnorm1d": _batchnorm1d,
    "relu": _same,
    "leaky_relu": _same,
    "sigmoid": _same,
    "tanh": _same,
    "gelu": _same,
    "softmax": _same,
    "dropout": _same,
    "dropout2d": _dropout2d,
    "flatten": _flatten,
    "linear": _linear,
    "identity": _same,
    "lstm": _recurrent,
    "gru": _recurrent,
}


# --- the walk ---------------------------------------------------------------------


def _merge(path: str, merge: str, shapes: list[Shape], names: list[str]) -> Shape:
    first = shapes[0]
    for name, shape in zip(names[1:], shapes[1:]):
        if merge == "add" and shape != first:
            raise ShapeError(
                path,
                f"add needs equal shapes but {names[0]} gives {_fmt(first)} and {name} "
                f"gives {_fmt(shape)}; make them match (e.g. a 1x1 conv with stride "
                "on the shortcut)",
            )
        if merge == "concat" and (len(shape) != len(first) or shape[1:] != first[1:]):
            raise ShapeError(
                path,
                f"concat joins along the first axis and needs the rest equal, but "
                f"{names[0]} gives {_fmt(first)} and {name} gives {_fmt(shape)}",
            )
    if merge == "add":
        return first
    return (sum(s[0] for s in shapes), *first[1:])


BLOCK_NAMES = frozenset(t.model_fields["type"].default for t in S.BLOCK_TYPES)


class _Walker:
    def __init__(self, frozen: frozenset[str]) -> None:
        self.frozen = frozen
        self.rows: list[LayerInfo] = []
        self.memo: Memo = {}

    def is_frozen(self, path: str) -> bool:
        if not self.frozen:  # the usual case: skip the prefix scan
            return False
        return any(path == f or path.startswith(f + ".") for f in self.frozen)

    def stack(
        self, layers: list[S.Layer], prefix: str, shape: Shape, rf: ReceptiveField, depth: int
    ) -> tuple[Shape, ReceptiveField, int, int]:
        params = macs = 0
        for i, layer in enumerate(layers):
            shape, rf, p, m = self.layer(layer, f"{prefix}.{i}", shape, rf, depth)
            params += p
            macs += m
        return shape, rf, params, macs

    def layer(
        self, layer: S.Layer, path: str, shape: Shape, rf: ReceptiveField, depth: int
    ) -> tuple[Shape, ReceptiveField, int, int]:
        if isinstance(layer, S.BLOCK_TYPES):
            return self.block(layer, path, shape, rf, depth)
        kind = layer.type
        try:
            out, params, macs, window, formula = LEAF_RULES[kind](layer, shape, self.memo)
        except ValueError as exc:
            raise ShapeError(path, f"layer {path} ({kind}): {exc}") from None
        if window is not None:
            rf = through(rf, window)
        self.rows.append(
            LayerInfo(  # by position: keywords cost twice as much, 520 times for ResNet-152
                path,
                kind,
                depth,
                list(shape),
                list(out),
                params,
                not self.is_frozen(path),
                macs,
                [rf[0], rf[1]],
                formula,
            )
        )
        return out, rf, params, macs

    def block(
        self, layer: S.Layer, path: str, shape: Shape, rf: ReceptiveField, depth: int
    ) -> tuple[Shape, ReceptiveField, int, int]:
        at = len(self.rows)  # the block's row goes before its children
        if isinstance(layer, S.Sequential):
            out, new_rf, params, macs = self.stack(
                layer.layers, f"{path}.layers", shape, rf, depth + 1
            )
            formula = None
        else:
            stacks = S.children(layer)
            if not stacks or (isinstance(layer, S.Parallel) and not layer.branches):
                raise ShapeError(path, f"layer {path} (parallel): add at least one branch")
            outs, fields, params, macs = [], [], 0, 0
            for segment, stack in stacks:
                o, f, p, m = self.stack(stack, f"{path}.{segment}", shape, rf, depth + 1)
                outs.append(o)
                fields.append(f)
                params, macs = params + p, macs + m
            names = [("the " + seg.replace(".", " ")) for seg, _ in stacks]
            if isinstance(layer, S.Residual):  # merged as cat([shortcut(x), body(x)])
                outs, names = outs[::-1], names[::-1]
            try:
                out = _merge(path, layer.merge, outs, names)
            except ShapeError as exc:
                raise ShapeError(path, f"layer {path} ({layer.type}): {exc.message}") from None
            new_rf = widest(fields)
            formula = f"{layer.merge} of " + " and ".join(_fmt(o) for o in outs)
        self.rows.insert(
            at,
            LayerInfo(
                path=path,
                type=layer.type,
                depth=depth,
                input_shape=list(shape),
                output_shape=list(out),
                params=params,
                trainable=not self.is_frozen(path),
                macs=macs,
                receptive_field=[new_rf[0], new_rf[1]],
                formula=formula,
            ),
        )
        return out, new_rf, params, macs


def infer(spec: S.NetworkSpec, frozen: Iterable[str] = ()) -> ShapeReport:
    """Shapes, parameters and MACs of every layer; `frozen` holds layer paths."""
    walker = _Walker(frozenset(frozen))
    input_shape = spec.input.shape
    try:
        out, _, _, _ = walker.stack(spec.layers, "layers", input_shape, FIRST_FIELD, 0)
        error = None
    except ShapeError as exc:
        out, error = None, {"layer": exc.path, "message": exc.message}
    total = trainable = macs = activations = 0
    for row in walker.rows:  # totals over leaves: a block's row repeats its children's
        if row.type in BLOCK_NAMES:
            continue
        total += row.params
        trainable += row.params if row.trainable else 0
        macs += row.macs
        activations += prod(row.output_shape)
    return ShapeReport(
        valid=error is None,
        input_shape=list(input_shape),
        output_shape=list(out) if out is not None else None,
        total_params=total,
        trainable_params=trainable,
        macs=macs,
        activations=activations,
        layers=walker.rows,
        error=error,
    )
