"""Where the training scripts write: never the shipped files unless --ship (issue 18)."""

from __future__ import annotations

import argparse
from pathlib import Path
from types import ModuleType

import pytest
import torch

from models import train_mnist, train_output, train_rnn, train_source
from models.train_source import SOURCES


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    train_output.add_arguments(parser)
    return parser.parse_args(argv)


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CNNPLAY_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def test_the_default_is_the_data_directory_not_the_package(data_dir: Path) -> None:
    folder = train_output.chosen(_parse([]))
    assert folder == data_dir / "trained"
    assert folder.is_dir()  # created
    assert folder != train_output.SHIPPED


def test_out_names_the_folder(data_dir: Path, tmp_path: Path) -> None:
    assert train_output.chosen(_parse(["--out", str(tmp_path / "mine")])) == tmp_path / "mine"
    assert (tmp_path / "mine").is_dir()
    assert not (data_dir / "trained").exists()


def test_ship_is_the_package_weights_folder(data_dir: Path) -> None:
    assert train_output.chosen(_parse(["--ship"])) == train_output.SHIPPED
    assert (train_output.SHIPPED / "manifest.json").is_file()  # the shipped manifest is there
    assert not (data_dir / "trained").exists()


def test_out_and_ship_together_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        _parse(["--ship", "--out", str(tmp_path)])
    assert "not allowed with argument" in capsys.readouterr().err
    with pytest.raises(ValueError, match="not both"):
        train_output.directory(tmp_path, ship=True)


@pytest.mark.parametrize(
    ("script", "trainer", "main"),
    [
        (train_mnist, "train", "main"),
        (train_rnn, "train", "main"),
        (train_source, "train_source", "main_args"),
    ],
)
@pytest.mark.parametrize("where", ["default", "out", "ship"])
def test_each_script_writes_where_it_was_told(
    script: ModuleType,
    trainer: str,
    main: str,
    where: str,
    data_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Only the output path of each script's main(): the training is a recorder here."""
    monkeypatch.setattr(torch, "set_num_threads", lambda n: None)  # the test process's own
    folders: list[Path] = []

    def record(*args: object) -> dict:
        folders.extend(a for a in args if isinstance(a, Path))
        return {}

    monkeypatch.setattr(script, trainer, record)
    argv = {"default": [], "out": ["--out", str(tmp_path / "mine")], "ship": ["--ship"]}[where]
    getattr(script, main)(argv)
    expected = {
        "default": data_dir / "trained",
        "out": tmp_path / "mine",
        "ship": train_output.SHIPPED,
    }[where]
    runs = {train_mnist: 1, train_rnn: len(train_rnn.NAMES), train_source: len(SOURCES)}
    assert folders == [expected] * runs[script]
