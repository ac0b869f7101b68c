"""`infer` against PyTorch: every leaf type and block, per layer path.

Each spec is built with `build_module` and run on a real batch of 2; forward hooks
record every submodule's input and output shape, which must equal what `infer`
says, as must each layer's parameter count (`sum(p.numel())`).
"""

from __future__ import annotations

from typing import Any

import pytest
import torch
from torch import nn

from models import layers as L
from server.net.core import spec as S
from server.net.core.build import build_module
from server.net.core.shapes import ShapeReport, infer
from server.net.core.spec import NetworkSpec

BATCH = 2


def spec_of(layers: list[dict[str, Any]], input_shape: tuple[int, int, int]) -> NetworkSpec:
    c, h, w = input_shape
    return NetworkSpec.model_validate(
        {"input": {"channels": c, "height": h, "width": w}, "layers": layers}
    )


def forward_shapes(module: nn.Module, x: torch.Tensor) -> dict[str, tuple[list, list]]:
    """(input shape, output shape) per sample of every named submodule, from hooks."""
    seen: dict[str, tuple[list, list]] = {}
    handles = []

    def hook(name: str):  # noqa: ANN202 - a forward hook factory
        def record(mod: nn.Module, args: tuple, out: torch.Tensor) -> None:
            if isinstance(out, torch.Tensor):  # an inner nn.LSTM returns a tuple
                seen[name] = (list(args[0].shape[1:]), list(out.shape[1:]))

        return record

    try:
        for name, mod in module.named_modules():
            if name:
                handles.append(mod.register_forward_hook(hook(name)))
        module.eval()
        with torch.no_grad():
            module(x)
    finally:
        for h in handles:
            h.remove()
    return seen


def check_against_torch(spec: NetworkSpec) -> ShapeReport:
    """Assert infer's shapes and params equal what torch builds and runs, per layer path."""
    report = infer(spec)
    assert report.valid, report.error
    module = build_module(spec)
    mods = dict(module.named_modules())
    seen = forward_shapes(module, torch.randn(BATCH, *spec.input.shape))
    for row in report.layers:
        assert row.path in mods, f"{row.path} is not a module name"
        got_in, got_out = seen[row.path]
        assert row.input_shape == got_in, (row.path, row.input_shape, got_in)
        assert row.output_shape == got_out, (row.path, row.output_shape, got_out)
        params = sum(p.numel() for p in mods[row.path].parameters())
        assert row.params == params, (row.path, row.params, params)
    total = sum(p.numel() for p in module.parameters())
    assert report.total_params == total
    out = module(torch.randn(BATCH, *spec.input.shape))
    assert report.output_shape == list(out.shape[1:])
    return report


# --- every leaf type ----------------------------------------------------------------

IMAGE = (4, 11, 12)  # odd and unequal sizes catch swapped axes and rounding

CONVS = [
    {"type": "conv2d", "out_channels": 6, "kernel_size": 3},
    {"type": "conv2d", "out_channels": 6, "kernel_size": 5, "padding": 2},
    {"type": "conv2d", "out_channels": 8, "kernel_size": 3, "stride": 2, "padding": 1},
    {"type": "conv2d", "out_channels": 8, "kernel_size": 3, "groups": 4, "bias": False},
    {"type": "conv2d", "out_channels": 4, "kernel_size": 3, "groups": 2, "dilation": 2},
    {"type": "conv2d", "out_channels": 4, "kernel_size": 4, "padding": "same"},
    {"type": "conv2d", "out_channels": 4, "kernel_size": 3, "padding": "same", "dilation": 3},
    {"type": "conv2d", "out_channels": 4, "kernel_size": 3, "padding": "valid"},
    {
        "type": "conv2d",
        "out_channels": 5,
        "kernel_size": [3, 5],
        "stride": [2, 1],
        "padding": [0, 2],
        "dilation": [1, 2],
    },
    {"type": "conv2d", "out_channels": 3, "kernel_size": [1, 7], "stride": [1, 3]},
    {"type": "conv2d", "out_channels": 4, "kernel_size": 3, "groups": "depthwise"},
    {"type": "conv2d", "out_channels": 12, "kernel_size": 3, "groups": "depthwise", "padding": 1},
]

POOLS = [
    {"type": "maxpool2d", "kernel_size": 2},
    {"type": "maxpool2d", "kernel_size": 3, "stride": 2, "ceil_mode": True},
    {"type": "maxpool2d", "kernel_size": 3, "stride": 2, "padding": 1},
    {"type": "maxpool2d", "kernel_size": 2, "stride": 2, "padding": 1, "ceil_mode": True},
    {"type": "maxpool2d", "kernel_size": 3, "dilation": 2, "stride": 1},
    {"type": "maxpool2d", "kernel_size": [2, 3], "stride": [1, 2], "padding": [1, 0]},
    {"type": "avgpool2d", "kernel_size": 2},
    {"type": "avgpool2d", "kernel_size": 3, "stride": 2, "ceil_mode": True},
    {"type": "avgpool2d", "kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True},
    {"type": "avgpool2d", "kernel_size": 4, "padding": 2, "count_include_pad": False},
    {"type": "avgpool2d", "kernel_size": [3, 2], "stride": [2, 3]},
    {"type": "adaptive_avgpool2d", "output_size": 3},
    {"type": "adaptive_avgpool2d", "output_size": [5, 2]},
    {"type": "adaptive_avgpool2d", "output_size": 16},  # larger than the input
    {"type": "global_avgpool2d"},
]

ACTIVATIONS = [
    "relu",
    "leaky_relu",
    "sigmoid",
    "tanh",
    "gelu",
    "softmax",
    "identity",
    "relu6",
    "silu",
    "hardswish",
    "hardsigmoid",
]


# torch warns that an even 'same' kernel pads by copying the input; the shapes are right.
@pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")
@pytest.mark.parametrize("layer", CONVS + POOLS, ids=lambda x: str(sorted(x.items())))
def test_conv_and_pool_match_torch(layer: dict[str, Any]) -> None:
    check_against_torch(spec_of([layer], IMAGE))


@pytest.mark.parametrize("kind", ACTIVATIONS + ["dropout", "dropout2d", "batchnorm2d"])
def test_shape_keeping_layers_on_images(kind: str) -> None:
    report = check_against_torch(spec_of([{"type": kind}], IMAGE))
    assert report.layers[0].output_shape == list(IMAGE)


@pytest.mark.parametrize("kind", ACTIVATIONS + ["dropout", "batchnorm1d"])
def test_shape_keeping_layers_on_vectors(kind: str) -> None:
    layers = [{"type": "flatten"}, {"type": "linear", "out_features": 7}, {"type": kind}]
    report = check_against_torch(spec_of(layers, IMAGE))
    assert report.output_shape == [7]


def test_batchnorm1d_on_a_sequence_and_without_affine() -> None:
    layers = [
        {"type": "lstm", "hidden_size": 6, "output": "sequence"},  # (T, F) = (11, 6)
        {"type": "batchnorm1d"},  # over (C, L) = (11, 6): one pair per step
        {"type": "flatten"},
        {"type": "batchnorm1d", "affine": False},
    ]
    report = check_against_torch(spec_of(layers, IMAGE))
    assert [r.params for r in report.layers[1:]] == [22, 0, 0]


def test_flatten_and_linear() -> None:
    layers = [
        {"type": "flatten"},
        {"type": "linear", "out_features": 10},
        {"type": "linear", "out_features": 3, "bias": False},
    ]
    report = check_against_torch(spec_of(layers, (1, 28, 28)))
    assert [r.params for r in report.layers] == [0, 7850, 30]


def test_linear_on_an_image_acts_on_the_last_axis() -> None:
    report = check_against_torch(spec_of([{"type": "linear", "out_features": 5}], IMAGE))
    assert report.output_shape == [4, 11, 5]
    assert report.layers[0].params == 12 * 5 + 5


def test_linear_on_a_sequence() -> None:
    layers = [
        {"type": "gru", "hidden_size": 8, "output": "sequence"},
        {"type": "linear", "out_features": 3},
    ]
    report = check_against_torch(spec_of(layers, IMAGE))
    assert report.output_shape == [11, 3]


@pytest.mark.parametrize("kind", ["lstm", "gru"])
@pytest.mark.parametrize("num_layers", [1, 3])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("output", ["sequence", "last"])
def test_recurrent_on_images_and_sequences(
    kind: str, num_layers: int, bidirectional: bool, output: str
) -> None:
    rnn = {
        "type": kind,
        "hidden_size": 5,
        "num_layers": num_layers,
        "bidirectional": bidirectional,
        "output": output,
    }
    dirs = 2 if bidirectional else 1
    on_image = check_against_torch(spec_of([rnn], IMAGE))  # 11 steps of 4*12 values
    expect = [11, 5 * dirs] if output == "sequence" else [5 * dirs]
    assert on_image.output_shape == expect
    # A sequence (T, F) made by a first recurrent layer, then the layer under test.
    first = {"type": "gru", "hidden_size": 7, "output": "sequence"}
    on_seq = check_against_torch(spec_of([first, rnn], IMAGE))
    assert on_seq.output_shape == expect


# --- blocks -------------------------------------------------------------------------

CONV_BN_RELU = [
    {"type": "conv2d", "out_channels": 4, "kernel_size": 3, "padding": 1},
    {"type": "batchnorm2d"},
    {"type": "relu"},
]


def test_sequential_nested() -> None:
    layers = [
        {
            "type": "sequential",
            "name": "stage1",
            "layers": [*CONV_BN_RELU, {"type": "sequential", "layers": CONV_BN_RELU}],
        },
        {"type": "sequential", "layers": []},
    ]
    report = check_against_torch(spec_of(layers, IMAGE))
    paths = [r.path for r in report.layers]
    assert "layers.0.layers.3.layers.2" in paths
    assert report.layers[0].params == sum(r.params for r in report.layers[1:4]) + sum(
        r.params for r in report.layers[5:8]
    )


@pytest.mark.parametrize("merge", ["add", "concat"])
def test_residual_identity_shortcut(merge: str) -> None:
    layers = [{"type": "residual", "body": CONV_BN_RELU, "merge": merge}]
    report = check_against_torch(spec_of(layers, IMAGE))
    assert report.output_shape == [4 if merge == "add" else 8, 11, 12]


@pytest.mark.parametrize("merge", ["add", "concat"])
def test_residual_with_shortcut(merge: str) -> None:
    body = [
        {"type": "conv2d", "out_channels": 8, "kernel_size": 3, "stride": 2, "padding": 1},
        {"type": "batchnorm2d"},
    ]
    shortcut = [
        {"type": "conv2d", "out_channels": 8, "kernel_size": 1, "stride": 2, "bias": False},
        {"type": "batchnorm2d"},
    ]
    layers = [{"type": "residual", "body": body, "shortcut": shortcut, "merge": merge}]
    report = check_against_torch(spec_of(layers, IMAGE))
    assert report.output_shape == [8 if merge == "add" else 16, 6, 6]
    assert [r.path for r in report.layers][-1] == "layers.0.shortcut.1"


def test_residual_concat_reports_shortcut_then_body() -> None:
    body = [{"type": "conv2d", "out_channels": 5, "kernel_size": 3, "padding": 1}]
    layers = [{"type": "residual", "body": body, "merge": "concat"}]
    report = check_against_torch(spec_of(layers, IMAGE))  # IMAGE has 4 channels
    assert report.layers[0].formula == "concat of (4, 11, 12) and (5, 11, 12)"
    bad = [{"type": "residual", "body": [conv(3)], "merge": "concat"}]
    error = infer(spec_of(bad, (1, 8, 8))).error
    assert error is not None
    assert "the shortcut gives (1, 8, 8) and the body gives" in error["message"]


@pytest.mark.parametrize("merge", ["add", "concat"])
def test_parallel(merge: str) -> None:
    branches = [
        [{"type": "conv2d", "out_channels": 4, "kernel_size": 1}],
        [{"type": "conv2d", "out_channels": 4, "kernel_size": 3, "padding": 1}],
        [
            {"type": "maxpool2d", "kernel_size": 3, "stride": 1, "padding": 1},
            {"type": "conv2d", "out_channels": 4, "kernel_size": 1},
        ],
    ]
    layers = [{"type": "parallel", "branches": branches, "merge": merge}]
    report = check_against_torch(spec_of(layers, IMAGE))
    assert report.output_shape == [4 if merge == "add" else 12, 11, 12]
    assert "layers.0.branches.2.1" in [r.path for r in report.layers]


def test_a_small_resnet_and_classifier_head() -> None:
    block = {"type": "residual", "body": CONV_BN_RELU}
    layers = [
        {"type": "conv2d", "out_channels": 4, "kernel_size": 7, "stride": 2, "padding": 3},
        {"type": "maxpool2d", "kernel_size": 3, "stride": 2, "padding": 1},
        {"type": "sequential", "layers": [block, block]},
        {"type": "global_avgpool2d"},
        {"type": "flatten"},
        {"type": "dropout", "p": 0.2},
        {"type": "linear", "out_features": 10},
        {"type": "softmax"},
    ]
    check_against_torch(spec_of(layers, (3, 64, 64)))


# --- receptive field, MACs, errors, frozen -----------------------------------------


def _rf(layers: list[dict[str, Any]], size: int = 32) -> list[int]:
    return infer(spec_of(layers, (1, size, size))).layers[-1].receptive_field


def conv(k: int, s: int = 1, **extra: Any) -> dict[str, Any]:
    return {"type": "conv2d", "out_channels": 2, "kernel_size": k, "stride": s, **extra}


def test_receptive_fields() -> None:
    assert _rf([conv(3)]) == [3, 3]
    assert _rf([conv(3), conv(3)]) == [5, 5]
    assert _rf([conv(3), conv(3), conv(3)]) == [7, 7]
    assert _rf([conv(3, 2), conv(3)]) == [7, 7]
    assert _rf([conv(3, dilation=2)]) == [5, 5]
    assert _rf([conv(7, 2, padding=3), {"type": "maxpool2d", "kernel_size": 3, "stride": 2}]) == [
        11,
        11,
    ]
    assert _rf([conv(3), {"type": "relu"}]) == [3, 3]
    assert _rf([conv([1, 3])]) == [1, 3]


def test_receptive_field_of_a_residual_is_the_widest_path() -> None:
    layers = [{"type": "residual", "body": [conv(3, padding=1), conv(3, padding=1)]}]
    assert infer(spec_of(layers, (2, 16, 16))).layers[0].receptive_field == [5, 5]


def test_macs_of_conv_and_linear() -> None:
    report = infer(
        spec_of([conv(3), {"type": "flatten"}, {"type": "linear", "out_features": 4}], (1, 5, 5))
    )
    assert report.layers[0].macs == 2 * 3 * 3 * 9  # out_c * oh * ow * (in_c/g * kh * kw)
    assert report.layers[2].macs == 18 * 4
    assert report.macs == 162 + 72


# The 1998 layers: tanh and average pooling (tests/api/test_shapes.py posts it too).
LENET5: dict[str, Any] = L.network(
    "LeNet-5",
    (1, 32, 32),
    [L.conv(6, 5), S.Tanh(), L.avgpool(2), L.conv(16, 5), S.Tanh(), L.avgpool(2), L.flatten()]
    + [L.linear(120), S.Tanh(), L.linear(84), S.Tanh(), L.linear(10)],
).model_dump(mode="json")


def test_lenet5_totals() -> None:
    report = check_against_torch(NetworkSpec.model_validate(LENET5))
    assert report.total_params == 61_706


def test_error_names_the_layer_and_keeps_earlier_rows() -> None:
    layers = [conv(3), {"type": "flatten"}, conv(3)]
    report = infer(spec_of(layers, (1, 8, 8)))
    assert not report.valid
    assert report.output_shape is None
    assert report.error is not None
    assert report.error["layer"] == "layers.2"
    assert "needs an image" in report.error["message"]
    assert [r.path for r in report.layers] == ["layers.0", "layers.1"]


def test_error_inside_a_block_names_the_nested_path() -> None:
    layers = [{"type": "residual", "body": [conv(3, 2)]}]
    report = infer(spec_of(layers, (2, 8, 8)))
    assert report.error is not None and report.error["layer"] == "layers.0"
    assert "add needs equal shapes" in report.error["message"]
    deep = [{"type": "sequential", "layers": [conv(3), conv(9)]}]
    report = infer(spec_of(deep, (1, 8, 8)))
    assert report.error is not None and report.error["layer"] == "layers.0.layers.1"
    assert "lower kernel_size or add padding" in report.error["message"]


def test_frozen_paths_are_not_trainable() -> None:
    layers = [conv(3), {"type": "sequential", "layers": [conv(3), conv(3)]}]
    spec = spec_of(layers, (1, 16, 16))
    report = infer(spec, frozen=["layers.1"])
    assert report.trainable_params == report.layers[0].params
    assert report.total_params == 20 + 38 + 38  # 2 filters of 1x3x3 (+2), then of 2x3x3
    assert [r.trainable for r in report.layers] == [True, False, False, False]


def test_absurd_sizes_answer_analytically() -> None:
    spec = NetworkSpec.model_validate(
        {
            "input": {"channels": 65536, "height": 65536, "width": 65536},
            "layers": [conv(3) | {"out_channels": 65536}, {"type": "flatten"}],
        }
    )
    report = infer(spec)
    assert report.valid
    assert report.layers[0].params == 65536 * 65536 * 9 + 65536
    assert report.output_shape == [65536 * 65534 * 65534]


# Convs and pools that meet the same 12 x 12 input and differ from the first in one
# number each: infer works each geometry out once per walk, so a number the memo's key
# left out would give a later layer an earlier layer's shape or formula.
SAME_INPUT_VARIANTS = [
    conv(3, padding=1),
    conv(3, 2, padding=1),
    conv(3),
    conv(3, padding=1, dilation=2),
    conv(5, padding=1),
    conv([3, 5], padding=1),
    conv(3, padding="same"),
    conv(3, padding="valid"),
    conv(3, padding=[1, 0]),
    conv(3, [2, 1], padding=1),
    conv(3, padding=1) | {"out_channels": 4, "groups": 2},
    {"type": "maxpool2d", "kernel_size": 3, "stride": 1, "padding": 1},
    {"type": "maxpool2d", "kernel_size": 3, "padding": 1},
    {"type": "maxpool2d", "kernel_size": 3, "stride": 2, "padding": 1},
    {"type": "maxpool2d", "kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True},
    {"type": "maxpool2d", "kernel_size": 3, "stride": 1, "padding": 1, "dilation": 2},
    {"type": "maxpool2d", "kernel_size": 3, "stride": 1},
    {"type": "avgpool2d", "kernel_size": 3, "stride": 1, "padding": 1},
    {"type": "avgpool2d", "kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True},
    {"type": "avgpool2d", "kernel_size": [3, 2], "stride": 1},
]


def test_repeated_geometry_is_worked_out_per_layer() -> None:
    reset = {"type": "adaptive_avgpool2d", "output_size": 12}
    layers = [x for variant in SAME_INPUT_VARIANTS for x in (reset, variant)]
    report = check_against_torch(spec_of(layers, (2, 12, 12)))
    for variant, row in zip(SAME_INPUT_VARIANTS, report.layers[1::2]):
        alone = infer(spec_of([variant], tuple(row.input_shape))).layers[0]  # a fresh memo
        assert (row.output_shape, row.formula) == (alone.output_shape, alone.formula), variant
    assert len({row.formula for row in report.layers[1::2]}) > 10


def test_memo_does_not_outlive_a_walk() -> None:
    layers = [conv(3), conv(3)]
    small = infer(spec_of(layers, (1, 8, 8)))
    large = infer(spec_of(layers, (1, 9, 9)))
    assert [r.output_shape for r in small.layers] == [[2, 6, 6], [2, 4, 4]]
    assert [r.output_shape for r in large.layers] == [[2, 7, 7], [2, 5, 5]]
    assert large.layers[1].formula == "floor((7 + 2*0 - 3)/1) + 1 = 5"


NORMS = [
    {"type": "groupnorm", "num_groups": 2},
    {"type": "groupnorm", "num_groups": 4, "affine": False, "eps": 1e-3},
    {"type": "layernorm"},
    {"type": "layernorm", "over": "last"},
    {"type": "layernorm", "elementwise_affine": False},
]


@pytest.mark.parametrize("layer", NORMS, ids=lambda x: str(sorted(x.items())))
def test_norms_match_torch(layer: dict[str, Any]) -> None:
    check_against_torch(spec_of([layer], IMAGE))


def test_new_activations_compute_torchs_functions() -> None:
    x = torch.linspace(-8, 8, 33).reshape(1, 1, 3, 11)
    for kind, fn in [
        ("relu6", lambda t: t.clamp(0, 6)),
        ("silu", lambda t: t * torch.sigmoid(t)),
        ("hardswish", lambda t: t * (t + 3).clamp(0, 6) / 6),
        ("hardsigmoid", lambda t: (t + 3).clamp(0, 6) / 6),
    ]:
        got = build_module(spec_of([{"type": kind}], (1, 3, 11)))(x)
        assert torch.allclose(got, fn(x), atol=1e-6), kind


SE = {
    "type": "residual",
    "body": [
        {"type": "global_avgpool2d"},
        {"type": "conv2d", "out_channels": 2, "kernel_size": 1},
        {"type": "relu"},
        {"type": "conv2d", "out_channels": 4, "kernel_size": 1},
        {"type": "sigmoid"},
    ],
    "merge": "mul",
}


def test_squeeze_and_excitation_is_a_mul_residual() -> None:
    report = check_against_torch(spec_of([SE], IMAGE))
    assert report.layers[0].output_shape == list(IMAGE)
    assert report.layers[0].formula == "mul of (4, 11, 12) and (4, 1, 1)"
    module = build_module(spec_of([SE], IMAGE)).eval()
    x = torch.randn(2, *IMAGE)
    block = module.layers[0]
    gate = block.body(x)  # (2, 4, 1, 1)
    assert torch.equal(module(x), x * gate)


def test_mul_of_parallel_branches_and_shapes_that_do_not_broadcast() -> None:
    conv = {"type": "conv2d", "out_channels": 4, "kernel_size": 1}
    par = {"type": "parallel", "branches": [[conv], [{"type": "sigmoid"}]], "merge": "mul"}
    check_against_torch(spec_of([par], IMAGE))
    bad = {**SE, "body": [*SE["body"][:3], {"type": "conv2d", "out_channels": 3, "kernel_size": 1}]}
    report = infer(spec_of([bad], IMAGE))
    assert report.error["layer"] == "layers.0"
    assert "mul needs shapes that broadcast" in report.error["message"]
    assert "(4, 11, 12) and the body gives (3, 1, 1)" in report.error["message"]
