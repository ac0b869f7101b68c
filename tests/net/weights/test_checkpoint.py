from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

import models
from server.net.core.spec import NetworkSpec
from server.net.train.loop import TrainConfig, TrainResult, train
from server.net.weights import checkpoint

# Dropout draws from torch's global RNG and Adam keeps moments: both must survive a pause.
SPEC = NetworkSpec.model_validate(
    {
        "input": {"height": 8, "width": 8},
        "layers": [
            {"type": "flatten"},
            {"type": "linear", "out_features": 32},
            {"type": "relu"},
            {"type": "dropout", "p": 0.3},
            {"type": "linear", "out_features": 10},
        ],
    }
)
CONFIG = TrainConfig(dataset="digits", epochs=3, batch_size=50, train_limit=400, lr=1e-2, seed=7)


def pause_after(n: int) -> Any:
    calls = {"n": 0}

    def should_pause() -> bool:
        calls["n"] += 1
        return calls["n"] > n

    return should_pause


def weights(result: TrainResult) -> dict[str, torch.Tensor]:
    assert result.module is not None
    return result.module.state_dict()


def test_pause_and_resume_equals_an_uninterrupted_run(tmp_path: Path) -> None:
    whole: list[dict] = []
    reference = train(SPEC, CONFIG, whole.append)
    ckpt = tmp_path / "run.ckpt.safetensors"
    parts: list[dict] = []
    # 8 batches an epoch: pause mid-epoch 2 (after 11 batches), then again mid-epoch 3.
    first = train(SPEC, CONFIG, parts.append, should_pause=pause_after(11), checkpoint_path=ckpt)
    assert first.status == "paused" and "iteration 11" in first.message
    second = train(
        SPEC,
        CONFIG,
        parts.append,
        should_pause=pause_after(7),
        checkpoint_path=ckpt,
        resume=True,
    )
    assert second.status == "paused"
    last = train(SPEC, CONFIG, parts.append, checkpoint_path=ckpt, resume=True)
    assert last.status == "done"
    for name, value in weights(reference).items():
        assert torch.equal(value, weights(last)[name]), name
    assert last.metrics == reference.metrics

    # The points: every iteration once, in order, the same numbers.
    def points(events: list[dict]) -> list[tuple]:
        return [(e["iter"], e["loss"]) for e in events if e["kind"] == "iter"]

    assert points(parts) == points(whole)
    strip = [{k: v for k, v in e.items() if k != "samples_per_s"} for e in parts]
    ref = [{k: v for k, v in e.items() if k != "samples_per_s"} for e in whole]
    assert [e for e in strip if e["kind"] == "epoch"] == [e for e in ref if e["kind"] == "epoch"]
    assert [e for e in parts if e["kind"] == "resume"] == [
        {"kind": "resume", "iter": 11, "epoch": 2},
        {"kind": "resume", "iter": 18, "epoch": 3},
    ]


def test_a_checkpoint_at_the_end_of_each_epoch_resumes_from_there(tmp_path: Path) -> None:
    reference = train(SPEC, CONFIG, lambda e: None)
    ckpt = tmp_path / "c.safetensors"
    stops = {"n": 0}

    def stop() -> bool:  # a "crash" in epoch 3: only the epoch-2 checkpoint is left
        stops["n"] += 1
        return stops["n"] > 19

    crashed = train(SPEC, CONFIG, lambda e: None, stop, checkpoint_path=ckpt)
    assert crashed.status == "cancelled"
    meta = checkpoint.read_meta(ckpt)
    assert (meta["epoch"], meta["offset"], meta["step"]) == (3, 0, 16)
    assert [h["epoch"] for h in meta["history"]] == [1, 2]
    events: list[dict] = []
    resumed = train(SPEC, CONFIG, events.append, checkpoint_path=ckpt, resume=True)
    assert events[0] == {"kind": "resume", "iter": 16, "epoch": 3}
    assert [e["iter"] for e in events if e["kind"] == "iter"] == list(range(17, 25))
    for name, value in weights(reference).items():
        assert torch.equal(value, weights(resumed)[name]), name


@pytest.mark.parametrize("opt", ["sgd", "momentum", "rmsprop", "adamw"])
def test_every_optimizer_state_round_trips(tmp_path: Path, opt: str) -> None:
    config = CONFIG.model_copy(update={"optimizer": opt, "epochs": 1})
    reference = train(SPEC, config, lambda e: None)
    ckpt = tmp_path / "c.safetensors"
    train(SPEC, config, lambda e: None, should_pause=pause_after(3), checkpoint_path=ckpt)
    resumed = train(SPEC, config, lambda e: None, checkpoint_path=ckpt, resume=True)
    for name, value in weights(reference).items():
        assert torch.equal(value, weights(resumed)[name]), (opt, name)


def test_a_checkpoint_of_another_network_is_refused(tmp_path: Path) -> None:
    ckpt = tmp_path / "c.safetensors"
    train(SPEC, CONFIG, lambda e: None, should_pause=pause_after(2), checkpoint_path=ckpt)
    with pytest.raises(checkpoint.CheckpointError, match="does not fit"):
        train(models.get("mlp"), CONFIG, lambda e: None, checkpoint_path=ckpt, resume=True)


def test_garbage_is_not_a_checkpoint(tmp_path: Path) -> None:
    bad = tmp_path / "x.safetensors"
    bad.write_bytes(b"not a safetensors file")
    with pytest.raises(checkpoint.CheckpointError):
        checkpoint.read_meta(bad)
    assert not list(tmp_path.glob("*.tmp"))


def test_misclassified_and_labels_of_a_class_subset() -> None:
    config = TrainConfig(dataset="digits", epochs=1, batch_size=32, classes=[5, 6, 7, 8, 9])
    spec5 = SPEC.model_dump(mode="json")
    spec5["layers"][-1]["out_features"] = 5
    result = train(NetworkSpec.model_validate(spec5), config, lambda e: None, max_misclassified=3)
    m = result.metrics
    assert m["labels"] == ["5", "6", "7", "8", "9"]
    wrong = sum(m["confusion"][i][j] for i in range(5) for j in range(5) if i != j)
    assert m["misclassified"]["total"] == wrong > 3
    items = m["misclassified"]["items"]
    assert len(items) == 3
    confs = [c for *_, c in items]
    assert confs == sorted(confs, reverse=True) and all(0.2 <= c <= 1 for c in confs)
    assert all(t != p and m["confusion"][t][p] > 0 for _, t, p, _ in items)
