"""The shipped row-by-row MNIST LSTM/GRU: manifest matches the files; >= 95% held out."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

import models
from models import train_mnist, train_rnn
from server.net.data import mnist
from server.net.weights import files as weights

MANIFEST = train_rnn.WEIGHTS_DIR / "manifest.json"


@pytest.mark.parametrize("name", train_rnn.NAMES)
def test_manifest_entry_matches_its_file(name: str) -> None:
    manifest = json.loads(MANIFEST.read_text())
    entry = manifest[name]
    assert weights.sha256(train_rnn.WEIGHTS_DIR / entry["file"]) == entry["sha256"]
    assert entry["heldout_accuracy"] >= 0.95
    assert entry["train_size"] == 8_000 and entry["heldout_size"] == 2_000
    assert entry["zoo"] == name and entry["seed"] == train_rnn.SEED
    assert "mnist_cnn" in manifest  # appending kept the other entries


@pytest.mark.parametrize("name", train_rnn.NAMES)
def test_shipped_weights_reproduce_the_heldout_accuracy(name: str) -> None:
    entry = json.loads(MANIFEST.read_text())[name]
    spec = models.get(name)
    assert spec.layers[0].type == name.rsplit("_", 1)[1]  # lstm / gru reads the rows
    net = weights.load(spec, train_rnn.WEIGHTS_DIR / entry["file"])
    _, held = mnist.split()
    x, y = mnist.tensors(held)  # (2000, 1, 28, 28): 28 steps of 28 pixels each
    acc = train_mnist.accuracy(net, x, y)
    assert acc >= 0.95
    assert acc == pytest.approx(entry["heldout_accuracy"], abs=1e-4)


def test_retraining_keeps_the_other_manifest_entries(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text(json.dumps({"other": {"file": "x"}}))
    train_rnn.train("rnn_mnist_gru", 1, out_dir=tmp_path, train_limit=64, heldout_limit=64)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert set(manifest) == {"other", "rnn_mnist_gru"}
    entry = manifest["rnn_mnist_gru"]
    assert weights.sha256(tmp_path / entry["file"]) == entry["sha256"]
    assert entry["train_size"] == 64


@pytest.fixture
def one_thread() -> Iterator[None]:
    before = torch.get_num_threads()
    torch.set_num_threads(1)  # as the script runs; also far quicker on a busy machine
    yield
    torch.set_num_threads(before)


@pytest.mark.slow
@pytest.mark.usefixtures("one_thread")
def test_a_short_retraining_learns() -> None:
    # 3,000 images, 2 epochs (about 10 s on one core; 72% here): far above chance (10%).
    entry = train_rnn.train(
        "rnn_mnist_gru", epochs=2, train_limit=3000, heldout_limit=500, write=False
    )
    assert entry["heldout_accuracy"] > 0.6
