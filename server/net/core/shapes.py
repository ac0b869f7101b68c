"""Analytic shape inference: shapes, parameters, MACs, receptive fields, formulas.

`infer(spec)` walks the spec without allocating a tensor; what each leaf layer does is
in leaf_shapes.py, how blocks merge and how the report adds up is here. Per-sample shapes:
(C, H, W) for images, (F,) for vectors, (T, F) for sequences. An impossible
layer raises `ShapeError` internally; `infer` reports it as `valid: False` with
every layer before it filled in. Results must equal what torch builds and runs
(tests/net/core/test_shapes.py checks that).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from math import ceil, prod

from server.net.core import spec as S
from server.net.core.leaf_shapes import LEAF_RULES, Memo, Shape, Window, fmt


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
    variant: str | None = None  # "depthwise": a conv2d with one group per input channel


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
# outputs, as (size_h, size_w, jump_h, jump_w), in input pixels; after an upsampling
# layer the jump is a Fraction (1/2 after x2), and a row reports the size rounded up.
# Plain tuples: a frozen dataclass per layer cost more than the arithmetic
# (benchmarks/shapes.py, ResNet-152).
ReceptiveField = tuple[int | Fraction, int | Fraction, int | Fraction, int | Fraction]
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


# --- the walk ---------------------------------------------------------------------


def _broadcast(a: Shape, b: Shape) -> Shape | None:
    """The shape of a * b under torch's broadcasting of per-sample shapes of one rank
    (a (C, 1, 1) gate times a (C, H, W) map), or None when they do not broadcast."""
    if len(a) != len(b) or any(x != y and 1 not in (x, y) for x, y in zip(a, b)):
        return None
    return tuple(max(x, y) for x, y in zip(a, b))


def _merge(path: str, merge: str, shapes: list[Shape], names: list[str]) -> Shape:
    first = shapes[0]
    if merge == "mul":
        out: Shape | None = first
        for name, shape in zip(names[1:], shapes[1:]):
            out = _broadcast(out, shape) if out is not None else None
            if out is None:
                raise ShapeError(
                    path,
                    f"mul needs shapes that broadcast (equal, or 1 where they differ) but "
                    f"{names[0]} gives {fmt(first)} and {name} gives {fmt(shape)}; a "
                    "squeeze-and-excitation body ends in (C, 1, 1) with the input's C",
                )
        return out  # type: ignore[return-value]
    for name, shape in zip(names[1:], shapes[1:]):
        if merge == "add" and shape != first:
            raise ShapeError(
                path,
                f"add needs equal shapes but {names[0]} gives {fmt(first)} and {name} "
                f"gives {fmt(shape)}; make them match (e.g. a 1x1 conv with stride "
                "on the shortcut)",
            )
        if merge == "concat" and (len(shape) != len(first) or shape[1:] != first[1:]):
            raise ShapeError(
                path,
                f"concat joins along the first axis and needs the rest equal, but "
                f"{names[0]} gives {fmt(first)} and {name} gives {fmt(shape)}",
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
            out, params, macs, window, formula, variant = LEAF_RULES[kind](layer, shape, self.memo)
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
                [ceil(rf[0]), ceil(rf[1])],
                formula,
                variant,
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
            formula = f"{layer.merge} of " + " and ".join(fmt(o) for o in outs)
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
                receptive_field=[ceil(new_rf[0]), ceil(new_rf[1])],
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
