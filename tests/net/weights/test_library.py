"""The weights library: shipped, run and imported entries; safe import; input stats."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest
import torch
from safetensors.torch import save

import models
from server.jobs.worker import save_weights
from server.net.core.build import build_module
from server.net.core.head import with_head
from server.net.data import datasets
from server.net.weights import library as lib
from server.net.weights.files import load
from server.store import Store, new_id

SPEC = models.get("mnist_cnn")


def state_bytes(module: torch.nn.Module) -> bytes:
    return save({k: v.contiguous() for k, v in module.state_dict().items()})


def make_run(store: Store, data_dir: Path, config: dict, status: str = "done") -> str:
    """A finished run row with weights on disk, as the job runner leaves one."""
    run_id = new_id()
    store.create_run(run_id, SPEC.model_dump_json(), json.dumps(config))
    torch.manual_seed(1)
    path = data_dir / "runs" / f"{run_id}.safetensors"
    save_weights(build_module(SPEC), path)
    store.set_run_status(run_id, status, "", json.dumps({"accuracy": 0.75}), str(path))
    return run_id


def test_shipped_entries_bring_their_spec_and_load() -> None:
    by_id = {e.id: e for e in lib.shipped(models.get)}
    assert by_id["mnist_cnn"].spec == SPEC and by_id["mnist_cnn"].kind == "shipped"
    src = by_id["mnist_cnn_digits04"]
    assert src.spec == with_head(SPEC, 5) and src.labels(5) == ["0", "1", "2", "3", "4"]
    for entry in by_id.values():  # every shipped spec fits its file
        load(entry.spec, entry.path)
        assert 0.9 < (entry.accuracy or 0) <= 1


def test_runs_need_done_and_weights(tmp_path: Path) -> None:
    store = Store(tmp_path / "db.sqlite3")
    done = make_run(store, tmp_path, {"dataset": "mnist", "classes": [5, 6, 7, 8, 9]})
    make_run(store, tmp_path, {"dataset": "mnist"}, status="cancelled")
    entries = lib.runs(store.list_runs(), tmp_path)
    assert [e.id for e in entries] == [f"run-{done}"]
    e = entries[0]
    assert e.accuracy == 0.75 and e.spec == SPEC and e.labels(5) == ["5", "6", "7", "8", "9"]
    assert lib.find(e.id, tmp_path, store.get_run, models.get).path == e.path
    with pytest.raises(lib.NotFound):
        lib.find(f"run-{new_id()}", tmp_path, store.get_run, models.get)


def test_a_run_file_outside_the_data_dir_is_ignored(tmp_path: Path) -> None:
    store = Store(tmp_path / "a" / "db.sqlite3")
    make_run(store, tmp_path / "b", {"dataset": "mnist"})
    assert lib.runs(store.list_runs(), tmp_path / "a") == []


def test_import_checks_then_stores(tmp_path: Path) -> None:
    module = build_module(SPEC)
    entry = lib.import_file(tmp_path, state_bytes(module), SPEC, title="mine", file_name="../x")
    assert entry.kind == "upload" and entry.title == "mine"
    assert entry.path.parent == tmp_path / "weights"
    assert entry.details["file_name"] == "x"  # no path from a client is kept
    assert [e.id for e in lib.uploads(tmp_path)] == [entry.id]
    loaded = load(entry.spec, entry.path)
    for key, value in module.state_dict().items():
        assert torch.equal(loaded.state_dict()[key], value)
    lib.delete_upload(tmp_path, entry.id)
    assert lib.uploads(tmp_path) == [] and not entry.path.exists()
    with pytest.raises(lib.NotFound):
        lib.delete_upload(tmp_path, entry.id)


def test_mismatch_names_every_key_and_stores_nothing(tmp_path: Path) -> None:
    state = {k: v.contiguous() for k, v in build_module(SPEC).state_dict().items()}
    state["layers.0.weight"] = torch.zeros(16, 1, 5, 5)
    del state["layers.0.bias"]
    state["surprise"] = torch.zeros(2)
    with pytest.raises(lib.BadWeights) as err:
        lib.import_file(tmp_path, save(state), SPEC)
    text = str(err.value)
    assert "layers.0.weight: shape [16, 1, 5, 5] in the file, [16, 1, 3, 3]" in text
    assert "layers.0.bias: missing" in text and "surprise: in the file but not" in text
    assert not (tmp_path / "weights").exists() or not any((tmp_path / "weights").iterdir())


def test_dtype_and_nan_are_refused(tmp_path: Path) -> None:
    state = {k: v.contiguous() for k, v in build_module(SPEC).state_dict().items()}
    bad = dict(state, **{"layers.0.weight": torch.ones(16, 1, 3, 3, dtype=torch.int32)})
    with pytest.raises(lib.BadWeights, match="layers.0.weight: dtype torch.int32"):
        lib.import_file(tmp_path, save(bad), SPEC)
    nan = dict(state, **{"layers.0.bias": torch.full((16,), float("nan"))})
    with pytest.raises(lib.BadWeights, match="layers.0.bias: has NaN"):
        lib.import_file(tmp_path, save(nan), SPEC)


class Boom:
    """Unpickling this would create a file: the importer must never unpickle."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def test_pickles_and_garbage_are_not_safetensors(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    payloads = [pickle.dumps(Boom(marker)), b"", b"\x00" * 7, b"not a weights file" * 50]
    buf = tmp_path / "x.pt"
    torch.save({"w": torch.zeros(1), "boom": Boom(marker)}, buf)
    payloads.append(buf.read_bytes())
    for data in payloads:
        with pytest.raises(lib.BadWeights, match="not safetensors"):
            lib.import_file(tmp_path, data, SPEC)
    assert not marker.exists()


def test_library_full(tmp_path: Path) -> None:
    data = state_bytes(build_module(SPEC))
    lib.import_file(tmp_path, data, SPEC, max_files=1)
    with pytest.raises(lib.LibraryFull, match="limit of 1"):
        lib.import_file(tmp_path, data, SPEC, max_files=1)


def test_run_stats_are_what_training_used(tmp_path: Path) -> None:
    store = Store(tmp_path / "db.sqlite3")
    config = {"dataset": "mnist", "classes": [5, 6, 7, 8, 9], "per_class": 20, "seed": 3}
    entry = lib.find(
        f"run-{make_run(store, tmp_path, config)}", tmp_path, store.get_run, models.get
    )
    data = datasets.load("mnist", 28, 28, classes=[5, 6, 7, 8, 9], per_class=20, seed=3)
    mean, std = lib.input_stats(entry) or ((), ())
    x = data.x_train  # (N, 1, H, W), as train() standardises it: per channel
    assert mean == (float(x.mean((0, 2, 3))[0]),) and std == (float(x.std((0, 2, 3))[0]),)
    scaled = lib.find(
        f"run-{make_run(store, tmp_path, {'dataset': 'digits', 'normalize': 'none'})}",
        tmp_path,
        store.get_run,
        models.get,
    )
    assert lib.input_stats(scaled) == ((0.0,), (1.0 / 16.0,))


def test_everything_in_order(tmp_path: Path) -> None:
    store = Store(tmp_path / "db.sqlite3")
    make_run(store, tmp_path, {"dataset": "mnist"})
    lib.import_file(tmp_path, state_bytes(build_module(SPEC)), SPEC)
    kinds = [e.kind for e in lib.everything(tmp_path, store.list_runs(), models.get)]
    assert kinds == ["shipped"] * len(lib.shipped(models.get)) + ["run", "upload"]
