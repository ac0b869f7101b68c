"""The text table of a ShapeReport."""

from __future__ import annotations

from server.net.core.shapes import infer
from server.net.core.spec import NetworkSpec
from server.net.core.summary_table import format_report


def _spec(layers: list[dict]) -> NetworkSpec:
    return NetworkSpec.model_validate({"layers": layers})


def test_rows_are_indented_by_depth_and_totals_use_separators() -> None:
    conv = {"type": "conv2d", "out_channels": 1, "kernel_size": 3, "padding": 1}
    spec = _spec(
        [
            {"type": "residual", "body": [conv]},
            {"type": "flatten"},
            {"type": "linear", "out_features": 1000},
        ]
    )
    text = format_report(infer(spec), title="t")
    lines = text.splitlines()
    assert lines[0] == "t"
    assert any(line.startswith("layers.0 ") and "residual" in line for line in lines)
    assert any(line.startswith("  layers.0.body.0 ") for line in lines)
    assert "Total params: 785,010" in text  # 10 + 784*1000 + 1000
    assert "MACs per sample: " + f"{9 * 784 + 784 * 1000:,}" in text


def test_an_invalid_report_names_the_layer() -> None:
    spec = _spec([{"type": "flatten"}, {"type": "conv2d", "out_channels": 2, "kernel_size": 3}])
    text = format_report(infer(spec))
    assert "Error at layers.1" in text
    assert "Output shape: ?" in text


def test_a_depthwise_conv_is_named_as_such() -> None:
    spec = NetworkSpec.model_validate(
        {
            "input": {"channels": 8, "height": 6, "width": 6},
            "layers": [{"type": "conv2d", "out_channels": 8, "kernel_size": 3, "groups": 8}],
        }
    )
    text = format_report(infer(spec))
    assert any(
        line.startswith("layers.0 ") and "conv2d (depthwise)" in line for line in text.splitlines()
    )
