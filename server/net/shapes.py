"""Analytic shape inference: shapes, parameters, MACs, receptive fields, formulas.

`infer(spec)` walks the spec without allocating a tensor. Per-sample shapes:
(C, H, W) for images, (F,) for vectors, (T, F) for sequences. An impossible
layer raises `ShapeError` internally; `infer` reports it as `valid: False` with
every layer before it filled in. Results must equal what torch builds and runs
(tests/net/test_shapes.py checks that).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from math import prod

from server.net import spec as S
from server.net.formula import Axis, conv_out, formula_2d

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


@dataclass(frozen=True)
class _Field:
    """Receptive field per spatial axis: its size and the jump between outputs."""

    size: tuple[int, int] = (1, 1)
    jump: tuple[int, int] = (1, 1)

    def through(self, kernel: tuple[int, int], stride: tuple[int, int]) -> _Field:
        size = tuple(r + (k - 1) * j for r, k, j in zip(self.size, kernel, self.jump))
        jump = tuple(j * s for j, s in zip(self.jump, stride))
        return _Field(size, jump)  # type: ignore[arg-type]

    @staticmethod
    def widest(fields: Iterable[_Field]) -> _Field:
        fields = list(fields)
        return _Field(
            tuple(max(f.size[i] for f in fields) for i in range(2)),  # type: ignore[arg-type]
            tuple(max(f.jump[i] for f in fields) for i in range(2)),  # type: ignore[arg-type]
        )


@dataclass
class _Out:
    shape: Shape
    params: int = 0
    macs: int = 0
    field: _Field | None = None  # None: unchanged
    formula: str | None = None


def pair(value: int | tuple[int, int]) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else (value[0], value[1])


def _fmt(shape: Shape) -> str:
    return "(" + ", ".join(str(x) for x in shape) + ("," if len(shape) == 1 else "") + ")"


def _need_image(shape: Shape, what: str) -> tuple[int, int, int]:
    if len(shape) != 3:
        raise ValueError(
            f"{what} needs an image (C, H, W) but gets {_fmt(shape)}; move it before the flatten"
        )
    return shape  # type: ignore[return-value]


# --- leaf layers ------------------------------------------------------------------


def _conv2d(layer: S.Conv2d, shape: Shape, rf: _Field) -> _Out:
    c, h, w = _need_image(shape, "conv2d")
    (fh, fw), (sh, sw), (dh, dw) = map(pair, (layer.kernel_size, layer.stride, layer.dilation))
    g = layer.groups
    if c % g or layer.out_channels % g:
        raise ValueError(
            f"groups={g} must divide both the input channels ({c}) and "
            f"out_channels ({layer.out_channels})"
        )
    if layer.padding == "same":
        if (sh, sw) != (1, 1):
            raise ValueError("padding='same' needs stride 1; set padding to a number")
        oh, ow = h, w
        formula = f"padding 'same' keeps the size: {h} x {w}"
    else:
        ph, pw = (0, 0) if layer.padding == "valid" else pair(layer.padding)
        ah, aw = Axis(h, fh, ph, sh, dh), Axis(w, fw, pw, sw, dw)
        for a, name in ((ah, "height"), (aw, "width")):
            if a.effective_kernel > a.padded:
                kernel = f"{a.f}" if a.d == 1 else f"{a.effective_kernel} (dilated)"
                raise ValueError(
                    f"kernel {kernel} is larger than the padded input {name} "
                    f"{a.padded} = {a.n} + 2*{a.p}; lower kernel_size or add padding"
                )
        oh, ow = conv_out(ah), conv_out(aw)
        formula = formula_2d(ah, aw)
    per_out = (c // g) * fh * fw
    params = layer.out_channels * per_out + (layer.out_channels if layer.bias else 0)
    return _Out(
        (layer.out_channels, oh, ow),
        params=params,
        macs=layer.out_channels * oh * ow * per_out,
        field=rf.through((dh * (fh - 1) + 1, dw * (fw - 1) + 1), (sh, sw)),
        formula=formula,
    )


def _pool2d(layer: S.MaxPool2d | S.AvgPool2d, shape: Shape, rf: _Field) -> _Out:
    c, h, w = _need_image(shape, layer.type)
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
    kernel = tuple(a.effective_kernel for a in axes)
    return _Out(
        (c, oh, ow),
        field=rf.through(kernel, s),  # type: ignore[arg-type]
        formula=formula_2d(axes[0], axes[1]),
    )


def _adaptive(layer: S.AdaptiveAvgPool2d, shape: Shape, rf: _Field) -> _Out:
    c, h, w = _need_image(shape, "adaptive_avgpool2d")
    oh, ow = pair(layer.output_size)
    kernel = (-(-h // oh), -(-w // ow))  # the widest window
    stride = (max(h // oh, 1), max(w // ow, 1))
    return _Out(
        (c, oh, ow),
        field=rf.through(kernel, stride),
        formula=f"adaptive: any {h} x {w} -> {oh} x {ow}",
    )


def _global_pool(layer: S.GlobalAvgPool2d, shape: Shape, rf: _Field) -> _Out:
    c, h, w = _need_image(shape, "global_avgpool2d")
    return _Out((c, 1, 1), field=rf.through((h, w), (h, w)), formula=f"mean over {h} x {w}")


def _batchnorm2d(layer: S.BatchNorm2d, shape: Shape, rf: _Field) -> _Out:
    c, _, _ = _need_image(shape, "batchnorm2d")
    return _Out(shape, params=2 * c if layer.affine else 0)


def _batchnorm1d(layer: S.BatchNorm1d, shape: Shape, rf: _Field) -> _Out:
    if len(shape) not in (1, 2):
        raise ValueError(
            f"batchnorm1d needs features (F,) or (C, L) but gets {_fmt(shape)}; "
            "use batchnorm2d on images"
        )
    return _Out(shape, params=2 * shape[0] if layer.affine else 0)


def _dropout2d(layer: S.Dropout2d, shape: Shape, rf: _Field) -> _Out:
    _need_image(shape, "dropout2d")
    return _Out(shape)


def _flatten(layer: S.Flatten, shape: Shape, rf: _Field) -> _Out:
    if len(shape) == 3:
        return _Out((prod(shape),), field=rf.through(shape[1:], shape[1:]))  # type: ignore[arg-type]
    return _Out((prod(shape),))


def _linear(layer: S.Linear, shape: Shape, rf: _Field) -> _Out:
    n_in, rows = shape[-1], prod(shape[:-1])
    params = n_in * layer.out_features + (layer.out_features if layer.bias else 0)
    return _Out(
        (*shape[:-1], layer.out_features),
        params=params,
        macs=rows * n_in * layer.out_features,
        field=rf.through((1, shape[-1]), (1, 1)) if len(shape) == 3 else None,
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


def _recurrent(layer: S.LSTM | S.GRU, shape: Shape, rf: _Field) -> _Out:
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
    full = rf.through(shape[1:], shape[1:]) if len(shape) == 3 else None  # type: ignore[arg-type]
    return _Out(out, params=params, macs=macs, field=full, formula=formula)


def _same(layer: S._Layer, shape: Shape, rf: _Field) -> _Out:
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


class _Walker:
    def __init__(self, frozen: frozenset[str]) -> None:
        self.frozen = frozen
        self.rows: list[LayerInfo] = []

    def is_frozen(self, path: str) -> bool:
        if not self.frozen:  # the usual case: skip the prefix scan
            return False
        return any(path == f or path.startswith(f + ".") for f in self.frozen)

    def stack(
        self, layers: list[S.Layer], prefix: str, shape: Shape, rf: _Field, depth: int
    ) -> tuple[Shape, _Field, int, int]:
        params = macs = 0
        for i, layer in enumerate(layers):
            shape, rf, p, m = self.layer(layer, f"{prefix}.{i}", shape, rf, depth)
            params, macs = params + p, macs + m
        return shape, rf, params, macs

    def layer(
        self, layer: S.Layer, path: str, shape: Shape, rf: _Field, depth: int
    ) -> tuple[Shape, _Field, int, int]:
        if isinstance(layer, S.BLOCK_TYPES):
            return self.block(layer, path, shape, rf, depth)
        try:
            out = LEAF_RULES[layer.type](layer, shape, rf)
        except ValueError as exc:
            raise ShapeError(path, f"layer {path} ({layer.type}): {exc}") from None
        new_rf = out.field or rf
        self.rows.append(
            LayerInfo(
                path=path,
                type=layer.type,
                depth=depth,
                input_shape=list(shape),
                output_shape=list(out.shape),
                params=out.params,
                trainable=not self.is_frozen(path),
                macs=out.macs,
                receptive_field=list(new_rf.size),
                formula=out.formula,
            )
        )
        return out.shape, new_rf, out.params, out.macs

    def block(
        self, layer: S.Layer, path: str, shape: Shape, rf: _Field, depth: int
    ) -> tuple[Shape, _Field, int, int]:
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
            try:
                out = _merge(path, layer.merge, outs, names)
            except ShapeError as exc:
                raise ShapeError(path, f"layer {path} ({layer.type}): {exc.message}") from None
            new_rf = _Field.widest(fields)
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
                receptive_field=list(new_rf.size),
                formula=formula,
            ),
        )
        return out, new_rf, params, macs


def infer(spec: S.NetworkSpec, frozen: Iterable[str] = ()) -> ShapeReport:
    """Shapes, parameters and MACs of every layer; `frozen` holds layer paths."""
    walker = _Walker(frozenset(frozen))
    input_shape = spec.input.shape
    try:
        out, _, params, macs = walker.stack(spec.layers, "layers", input_shape, _Field(), 0)
        error = None
    except ShapeError as exc:
        out, error = None, {"layer": exc.path, "message": exc.message}
    leaves = [r for r in walker.rows if r.type not in ("sequential", "residual", "parallel")]
    total = sum(r.params for r in leaves)
    return ShapeReport(
        valid=error is None,
        input_shape=list(input_shape),
        output_shape=list(out) if out is not None else None,
        total_params=total,
        trainable_params=sum(r.params for r in leaves if r.trainable),
        macs=sum(r.macs for r in leaves),
        activations=sum(prod(r.output_shape) for r in leaves),
        layers=walker.rows,
        error=error,
    )
