"""server/net/core/export.py: the exported source and ONNX model agree with build_module."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import onnx
import pytest
import torch
from torch import nn

import models
from server.net.core.build import build_module
from server.net.core.export import class_name, file_stem, to_onnx_bytes, to_pytorch_code
from server.net.core.shapes import ShapeError, infer
from server.net.core.spec import NetworkSpec


def _spec(data: dict[str, Any]) -> NetworkSpec:
    return NetworkSpec.model_validate(data)


LENET5 = models.get("lenet5")  # ReLU + max pooling, (1, 32, 32)

# Residual (identity and projection shortcuts), parallel (concat and add), a named
# group, batch norm, non-default conv/pool arguments, then an LSTM over the rows.
CONV = "conv2d"
PROJECTION = {
    "type": "residual",
    "body": [{"type": CONV, "out_channels": 4, "kernel_size": [3, 1], "padding": [1, 0]}],
    "shortcut": [{"type": CONV, "out_channels": 4, "kernel_size": 1, "bias": False}],
    "merge": "concat",
}
INCEPTION = {
    "type": "parallel",
    "branches": [
        [{"type": CONV, "out_channels": 4, "kernel_size": 1}],
        [
            {"type": "maxpool2d", "kernel_size": 3, "stride": 1, "padding": 1},
            {"type": CONV, "out_channels": 4, "kernel_size": 1, "groups": 4},
        ],
    ],
    "merge": "add",
}
STAGE = {
    "type": "sequential",
    "name": "stage 2",
    "layers": [
        {"type": CONV, "out_channels": 6, "kernel_size": 3, "stride": 2},
        {"type": "gelu"},
        {"type": "avgpool2d", "kernel_size": 2, "ceil_mode": True, "count_include_pad": False},
    ],
}
BLOCKS = _spec(
    {
        "name": "blocks & lstm",
        "input": {"channels": 3, "height": 16, "width": 12},
        "layers": [
            {"type": CONV, "out_channels": 8, "kernel_size": 3, "padding": "same"},
            {"type": "batchnorm2d", "momentum": 0.2},
            {
                "type": "residual",
                "body": [
                    {"type": CONV, "out_channels": 8, "kernel_size": 3, "padding": 1},
                    {"type": "leaky_relu", "negative_slope": 0.2},
                ],
            },
            PROJECTION,
            INCEPTION,
            STAGE,
            {"type": "lstm", "hidden_size": 10, "num_layers": 2, "bidirectional": True,
             "output": "sequence"},
            {"type": "gru", "hidden_size": 7},
            {"type": "dropout", "p": 0.3},
            {"type": "linear", "out_features": 5},
            {"type": "tanh"},
        ],
    }
)  # fmt: skip


# Every layer of issue 16: transposed conv, upsampling, depthwise conv, the new norms and
# activations, and a squeeze-and-excitation block (a residual with merge "mul").
MOBILE = _spec(
    {
        "name": "mobile & decoder",
        "input": {"channels": 3, "height": 10, "width": 8},
        "layers": [
            {"type": "conv_transpose2d", "out_channels": 6, "kernel_size": 3, "stride": 2,
             "padding": 1, "output_padding": 1},
            {"type": "groupnorm", "num_groups": 3},
            {"type": "relu6"},
            {"type": "conv2d", "out_channels": 6, "kernel_size": 3, "groups": "depthwise",
             "padding": 1, "bias": False},
            {"type": "hardswish"},
            {
                "type": "residual",
                "body": [
                    {"type": "global_avgpool2d"},
                    {"type": "conv2d", "out_channels": 2, "kernel_size": 1},
                    {"type": "silu"},
                    {"type": "conv2d", "out_channels": 6, "kernel_size": 1},
                    {"type": "hardsigmoid"},
                ],
                "merge": "mul",
            },
            {"type": "upsample", "scale_factor": [1, 2], "mode": "bilinear"},
            {"type": "upsample", "size": [9, 9]},
            {"type": "layernorm"},
            {"type": "conv_transpose2d", "out_channels": 4, "kernel_size": [2, 3],
             "groups": 2, "dilation": [1, 2], "bias": False},
            {"type": "layernorm", "over": "last", "eps": 1e-3},
            {"type": "flatten"},
            {"type": "linear", "out_features": 5},
        ],
    }
)  # fmt: skip


def _exec(source: str, name: str) -> nn.Module:
    namespace: dict[str, Any] = {"__name__": "exported"}
    exec(compile(source, f"<{name}>", "exec"), namespace)  # noqa: S102 - our own output
    return namespace[name]()


def _randomize_running_stats(module: nn.Module) -> None:
    # Fresh batch norm stats are 0/1; make them differ so a mix-up would show.
    for sub in module.modules():
        if isinstance(sub, nn.BatchNorm2d | nn.BatchNorm1d):
            sub.running_mean.uniform_(-1, 1)
            sub.running_var.uniform_(0.5, 2)
        if isinstance(sub, nn.GroupNorm | nn.LayerNorm) and sub.weight is not None:
            with torch.no_grad():  # fresh scales are 1 and shifts 0: make them differ
                sub.weight.uniform_(0.5, 1.5)
                sub.bias.uniform_(-0.5, 0.5)


@pytest.mark.parametrize("spec", [LENET5, BLOCKS, MOBILE], ids=["lenet5", "blocks", "mobile"])
def test_exported_class_loads_build_weights_and_agrees(spec: NetworkSpec) -> None:
    torch.manual_seed(0)
    source = to_pytorch_code(spec)
    exported = _exec(source, class_name(spec.name))
    report = infer(spec)
    assert sum(p.numel() for p in exported.parameters()) == report.total_params

    built = build_module(spec)
    _randomize_running_stats(built)
    exported.load_state_dict(built.state_dict(), strict=True)
    assert [n for n, _ in exported.named_parameters()] == [n for n, _ in built.named_parameters()]

    built.eval()
    exported.eval()
    x = torch.randn(3, *spec.input.shape)
    with torch.no_grad():
        want, got = built(x), exported(x)
    assert list(got.shape) == [3, *report.output_shape]
    assert torch.allclose(got, want, atol=1e-6)


def test_lenet5_source_reads_like_hand_written_code() -> None:
    source = to_pytorch_code(LENET5)
    assert "class LeNet5(nn.Module):" in source
    assert "nn.Conv2d(1, 6, 5)," in source and "nn.Conv2d(6, 16, 5)," in source
    assert "nn.Linear(400, 120)," in source
    assert "Parameters: 61,706" in source and "Input:  (N, 1, 32, 32)" in source
    # only the helpers it needs
    assert "class Residual" not in source and "class Recurrent" not in source
    assert source.count("import") == 2


def test_blocks_source_writes_the_helpers_it_uses() -> None:
    source = to_pytorch_code(BLOCKS)
    for helper in ("Group", "Residual", "Parallel", "Recurrent"):
        assert f"class {helper}(nn.Module):" in source
    assert "# layers.5 (stage 2):" in source
    assert 'padding="same"' in source


def test_exported_file_runs_as_a_script(tmp_path: Path) -> None:
    path = tmp_path / f"{file_stem(LENET5.name)}.py"
    path.write_text(to_pytorch_code(LENET5))
    out = subprocess.run(
        [sys.executable, str(path)], capture_output=True, text=True, timeout=120, check=True
    ).stdout
    assert "output (1, 10)" in out and "61,706 parameters" in out


@pytest.mark.parametrize(
    ("name", "ident"),
    [
        ("LeNet-5", "LeNet5"),
        ("my small net", "MySmallNet"),
        ("3 layers", "Net3Layers"),
        ("", "Network"),
        ("!!!", "Network"),
        ("none", "NoneNet"),
        ("residual", "ResidualNet"),
        ('x"""\nimport os', "XImportOs"),
    ],
)
def test_class_name_is_a_safe_identifier(name: str, ident: str) -> None:
    assert class_name(name) == ident
    assert ident.isidentifier()


def test_hostile_names_stay_inside_comments() -> None:
    spec = LENET5.model_copy(update={"name": 'evil"""\nraise SystemExit\x00\u2028'})
    source = to_pytorch_code(spec)
    exported = _exec(source, class_name(spec.name))  # compiles, and nothing ran
    assert isinstance(exported, nn.Module)
    assert file_stem(spec.name) == "evil_raise_SystemExit"


def test_invalid_shapes_raise_naming_the_layer() -> None:
    bad = _spec({"input": {"channels": 1, "height": 4, "width": 4}, "layers": [
        {"type": "relu"}, {"type": "conv2d", "out_channels": 2, "kernel_size": 5}]})  # fmt: skip
    with pytest.raises(ShapeError) as info:
        to_pytorch_code(bad)
    assert info.value.path == "layers.1"
    with pytest.raises(ShapeError):
        to_onnx_bytes(bad)


def test_empty_network_exports() -> None:
    spec = _spec({"name": "empty", "layers": []})
    module = _exec(to_pytorch_code(spec), "Empty")
    x = torch.randn(2, 1, 28, 28)
    assert torch.equal(module(x), x)


# --- ONNX ------------------------------------------------------------------------


def _check_onnx(model: onnx.ModelProto, spec: NetworkSpec) -> None:
    onnx.checker.check_model(model)
    (inp,) = model.graph.input
    (out,) = model.graph.output
    assert (inp.name, out.name) == ("input", "logits")
    dims = inp.type.tensor_type.shape.dim
    assert dims[0].dim_param == "batch"  # dynamic batch axis
    assert [d.dim_value for d in dims[1:]] == list(spec.input.shape)


@pytest.mark.parametrize("spec", [LENET5, BLOCKS, MOBILE], ids=["lenet5", "blocks", "mobile"])
def test_onnx_model_checks_and_matches_torch(spec: NetworkSpec) -> None:
    torch.manual_seed(0)
    built = build_module(spec)
    _randomize_running_stats(built)
    model = onnx.load_from_string(to_onnx_bytes(spec, module=built))
    _check_onnx(model, spec)
    assert built.training  # the caller's mode is restored
    ort = pytest.importorskip("onnxruntime")
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    built.eval()
    # a batch of 1 was traced; 4 checks the dynamic batch axis
    for batch in (1, 4):
        x = torch.randn(batch, *spec.input.shape)
        (got,) = session.run(["logits"], {"input": x.numpy()})
        with torch.no_grad():
            want = built(x)
        assert got.shape == tuple(want.shape)
        assert torch.allclose(torch.from_numpy(got), want, atol=1e-5)


def test_onnx_without_a_module_builds_one() -> None:
    model = onnx.load_from_string(to_onnx_bytes(LENET5))
    _check_onnx(model, LENET5)
    n_weights = sum(
        int(torch.tensor(list(t.dims)).prod()) for t in model.graph.initializer if t.dims
    )
    assert n_weights == infer(LENET5).total_params


def test_new_layers_read_like_hand_written_code() -> None:
    source = to_pytorch_code(MOBILE)
    for line in [
        "nn.ConvTranspose2d(3, 6, 3, stride=2, padding=1, output_padding=1),",
        "nn.GroupNorm(3, 6),",
        "nn.Conv2d(6, 6, 3, padding=1, groups=6, bias=False),",
        'nn.Upsample(scale_factor=(1.0, 2.0), mode="bilinear", align_corners=False),',
        'nn.Upsample(size=9, mode="nearest"),',
        "nn.LayerNorm([6, 9, 9]),",
        "nn.ConvTranspose2d(6, 4, (2, 3), groups=2, bias=False, dilation=(1, 2)),",
        "nn.LayerNorm([13], eps=0.001),",
        'merge="mul",',
    ]:
        assert line in source, line
