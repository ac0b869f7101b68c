"""The `cnnplay` console script."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from server.cli import main, parser


def test_shapes_of_a_zoo_name_prints_the_table_and_totals(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["shapes", "resnet50"]) == 0
    out = capsys.readouterr().out
    assert "Total params: 25,557,032" in out
    assert "Trainable params: 25,557,032" in out
    assert "layers.1.layers.0.body.0" in out  # nested rows by path
    assert "  layers.1.layers.0.body.0" in out  # indented by depth
    assert "(1000,)" in out


def test_shapes_of_a_json_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = {"layers": [{"type": "flatten"}, {"type": "linear", "out_features": 10}]}
    path = tmp_path / "net.json"
    path.write_text(json.dumps(spec))
    assert main(["shapes", str(path)]) == 0
    assert "Total params: 7,850" in capsys.readouterr().out


def test_a_spec_file_that_is_not_a_network_spec_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"layers": [{"type": "conv2d"}]}))
    assert main(["shapes", str(path)]) == 1
    assert "out_channels" in capsys.readouterr().err


def test_a_spec_whose_shapes_fail_exits_1_naming_the_layer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.json"
    spec = {
        "layers": [{"type": "flatten"}, {"type": "conv2d", "out_channels": 4, "kernel_size": 3}]
    }
    path.write_text(json.dumps(spec))
    assert main(["shapes", str(path)]) == 1
    assert "layers.1" in capsys.readouterr().err


def test_an_unknown_name_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["shapes", "no_such_net"]) == 1
    assert "no_such_net" in capsys.readouterr().err


def test_serve_binds_localhost_by_default() -> None:
    args = parser().parse_args(["serve"])
    assert (args.host, args.port, args.data_dir) == ("127.0.0.1", 8000, None)


def test_export_pytorch_writes_source_that_compiles(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "net.py"
    assert main(["export", "mnist_cnn", "--format", "pytorch", "-o", str(out)]) == 0
    source = out.read_text()
    compile(source, str(out), "exec")
    assert "nn.Conv2d" in source
    assert str(out) in capsys.readouterr().out


def test_export_onnx_writes_a_model_onnx_accepts(tmp_path: Path) -> None:
    import onnx

    out = tmp_path / "net.onnx"
    assert main(["export", "mlp", "--format", "onnx", "-o", str(out)]) == 0
    model = onnx.load(str(out))
    onnx.checker.check_model(model)
    assert [i.name for i in model.graph.input] == ["input"]


def test_export_of_an_invalid_spec_exits_1_without_writing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.json"
    spec = {
        "layers": [{"type": "flatten"}, {"type": "conv2d", "out_channels": 4, "kernel_size": 3}]
    }
    bad.write_text(json.dumps(spec))
    out = tmp_path / "net.py"
    assert main(["export", str(bad), "-o", str(out)]) == 1
    assert not out.exists()
    assert "layers.1" in capsys.readouterr().err
