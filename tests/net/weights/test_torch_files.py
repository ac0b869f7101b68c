"""server/net/weights/torch_files.py: .pth via the restricted unpickler, or .safetensors."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
import torch
from safetensors.torch import save, save_file

from server.net.weights.entry import BadWeights
from server.net.weights.torch_files import kind_of, read_state_dict
from tests.net.weights.test_library import Boom

STATE = {"conv1.weight": torch.randn(4, 3, 3, 3), "bn1.num_batches_tracked": torch.tensor(7)}


def _same(got: dict[str, torch.Tensor]) -> bool:
    return got.keys() == STATE.keys() and all(torch.equal(got[k], STATE[k]) for k in STATE)


@pytest.mark.parametrize("zipped", [True, False])
def test_pth_files_and_their_bytes(tmp_path: Path, zipped: bool) -> None:
    path = tmp_path / "w.pth"
    torch.save(STATE, path, _use_new_zipfile_serialization=zipped)
    assert kind_of(path.read_bytes()[:9], path.stat().st_size) == (
        "pth-zip" if zipped else "pth-legacy"
    )
    assert _same(read_state_dict(path)) and _same(read_state_dict(path.read_bytes()))


def test_safetensors_files_and_their_bytes(tmp_path: Path) -> None:
    path = tmp_path / "w.safetensors"
    save_file(STATE, str(path))
    assert _same(read_state_dict(path)) and _same(read_state_dict(save(STATE)))


def test_training_checkpoints_are_unwrapped(tmp_path: Path) -> None:
    path = tmp_path / "ckpt.pth"
    torch.save({"model": STATE, "epoch": 3, "optimizer": {"state": {}}}, path)
    assert _same(read_state_dict(path))


def test_code_in_a_pickle_never_runs(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pth"
    torch.save({"conv1.weight": Boom(marker)}, path)
    for source in (path, path.read_bytes(), pickle.dumps(Boom(marker))):
        with pytest.raises(BadWeights, match="weights_only"):
            read_state_dict(source)
    assert not marker.exists()


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        ([torch.zeros(1)], "holds a list, not a state_dict"),
        ({}, "empty state_dict"),
        ({"w": torch.zeros(1), "step": 3}, "'step' holds a int, not a tensor"),
    ],
)
def test_not_state_dicts_are_named(tmp_path: Path, obj: object, message: str) -> None:
    path = tmp_path / "w.pth"
    torch.save(obj, path)
    with pytest.raises(BadWeights, match=message):
        read_state_dict(path)


@pytest.mark.parametrize("data", [b"", b"hello", b"\x00" * 64, b"PK\x03\x04broken zip"])
def test_garbage_is_bad_weights(data: bytes) -> None:
    with pytest.raises(BadWeights):
        read_state_dict(data)
