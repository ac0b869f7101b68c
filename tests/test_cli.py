"""The `cnnplay` console script."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from server.cli import USAGE_WRONG, CliError, main, parser, serve_settings


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


def test_an_unknown_name_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["shapes", "no_such_net"]) == 2
    assert "no_such_net" in capsys.readouterr().err


def test_serve_binds_localhost_by_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("CNNPLAY_HOST", "CNNPLAY_PORT"):
        monkeypatch.delenv(var, raising=False)
    args = parser().parse_args(["serve", "--data-dir", str(tmp_path / "d")])
    settings = serve_settings(args)
    assert (settings.host, settings.port, settings.data_dir) == ("127.0.0.1", 8000, tmp_path / "d")
    assert (tmp_path / "d").is_dir()


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


def test_zoo_lists_every_entry_with_title_params_and_input_shape(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import models

    assert main(["zoo"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["name", "title", "params", "input", "(CxHxW)"]
    assert len(lines) == 2 + len(models.entries())  # header, rule, one row each
    rows = {line.split()[0]: line for line in lines[2:]}
    assert set(rows) == {e.name for e in models.entries()}
    assert rows["resnet50"].split()[-2:] == ["25,557,032", "3x224x224"]
    assert "ResNet-50" in rows["resnet50"]
    assert rows["mnist_cnn"].split()[-2:] == ["105,866", "1x28x28"]


def test_zoo_names_are_case_insensitive(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["shapes", "ResNet50"]) == 0
    assert "Total params: 25,557,032" in capsys.readouterr().out


def _one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert "Traceback" not in err
    return err


def test_export_into_a_missing_directory_exits_2_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "nonexistent" / "dir" / "x.py"
    assert main(["export", "mnist_cnn", "-o", str(out)]) == USAGE_WRONG
    assert str(out.parent) in _one_error_line(capsys)
    assert not out.parent.exists()


def test_export_onto_a_directory_exits_2_asking_for_a_file_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", "mnist_cnn", "-o", str(tmp_path)]) == USAGE_WRONG
    assert "is a directory" in _one_error_line(capsys)
    assert list(tmp_path.iterdir()) == []


def test_a_missing_spec_file_exits_2_saying_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "spec.json"
    assert main(["export", str(missing), "-o", str(tmp_path / "x.py")]) == USAGE_WRONG
    assert f"no such file: {missing}" in _one_error_line(capsys)
    assert main(["shapes", "spec.json"]) == USAGE_WRONG
    assert "no such file: spec.json" in _one_error_line(capsys)


@pytest.mark.parametrize("value", ["99999", "0", "http"])
def test_serve_on_a_port_that_is_not_one_exits_2(
    value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["serve", "--port", value])
    assert exit_.value.code == USAGE_WRONG
    line = _one_error_line(capsys)
    assert "--port" in line and value in line


def test_serve_takes_cnnplay_env_vars_unless_a_flag_is_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CNNPLAY_PORT", "9123")
    monkeypatch.setenv("CNNPLAY_DATA_DIR", str(tmp_path / "env"))
    assert serve_settings(parser().parse_args(["serve"])).port == 9123
    flags = parser().parse_args(["serve", "--port", "9124", "--data-dir", str(tmp_path / "f")])
    settings = serve_settings(flags)
    assert (settings.port, settings.data_dir) == (9124, tmp_path / "f")


@pytest.mark.parametrize(
    ("env", "message"),
    [("abc", "setting port"), ("70000", "port 70000 is not a port")],
)
def test_serve_with_a_bad_port_setting_exits_2(
    env: str, message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CNNPLAY_PORT", env)
    args = parser().parse_args(["serve", "--data-dir", str(tmp_path)])
    with pytest.raises(CliError, match=message) as err:
        serve_settings(args)
    assert err.value.code == USAGE_WRONG


def test_serve_refuses_a_data_dir_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("")
    with pytest.raises(CliError, match="is a file") as err:
        serve_settings(parser().parse_args(["serve", "--data-dir", str(tmp_path / "f")]))
    assert err.value.code == USAGE_WRONG


def test_version_prints_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    pyproject = Path(__file__).resolve().parents[1] / "pyproject.toml"
    expected = tomllib.loads(pyproject.read_text())["project"]["version"]
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out == f"cnnplay {expected}\n"


def test_the_console_script_prints_no_traceback() -> None:
    """The real process, as a user runs it: one line on stderr and exit 2."""
    out = "/nonexistent/dir/x.py"
    run = subprocess.run(
        [sys.executable, "-m", "server.cli", "export", "mnist_cnn", "-o", out],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert run.returncode == USAGE_WRONG
    assert run.stderr == (
        f"error: cannot write {out}: the directory /nonexistent/dir does not exist\n"
    )


def test_serve_takes_the_executor_and_ray_address_flags(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CNNPLAY_EXECUTOR", "local")
    base = ["serve", "--data-dir", str(tmp_path)]
    assert serve_settings(parser().parse_args(base)).executor == "local"
    flags = parser().parse_args([*base, "--executor", "ray", "--ray-address", "10.0.0.5:6379"])
    settings = serve_settings(flags)
    assert (settings.executor, settings.ray_address) == ("ray", "10.0.0.5:6379")
    monkeypatch.setenv("CNNPLAY_EXECUTOR", "spark")
    with pytest.raises(CliError, match="setting executor"):
        serve_settings(parser().parse_args(base))
