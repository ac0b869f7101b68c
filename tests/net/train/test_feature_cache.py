"""Frozen-extractor runs on cached features (server/net/train/feature_cache.py): the same
run as without the cache, with the frozen layers run once per image."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn

import models
from models.layers import bn, conv, dropout, flatten, linear, maxpool, network, relu
from server.net.core.build import build_module
from server.net.core.head import with_head
from server.net.train import feature_cache, transfer
from server.net.train.loop import TrainConfig, train
from tests.net.weights.test_checkpoint import pause_after

# (1,8,8) -> conv+bn (4,8,8) -> pool (4,4,4) -> flatten (64,) -> linear 16 -> relu -> 10
SPEC = network(
    "cache net",
    (1, 8, 8),
    [conv(4, 3, padding=1), bn(), relu(), maxpool(2), flatten(), linear(16), relu(), linear(10)],
)
FROZEN = ["layers.0", "layers.1", "layers.2", "layers.3", "layers.4"]
CONFIG = TrainConfig(
    dataset="digits", epochs=2, batch_size=50, train_limit=300, lr=1e-2, seed=3, frozen=FROZEN
)


def _counting(module: nn.Module) -> dict[str, int]:
    """Counts the images that go through the first conv."""
    seen = {"images": 0}

    def hook(_m: nn.Module, args: tuple[torch.Tensor, ...]) -> None:
        seen["images"] += len(args[0])

    module.layers[0].register_forward_pre_hook(hook)  # type: ignore[index]
    return seen


def _run(cache: bool, config: TrainConfig = CONFIG, **kw: Any) -> tuple[Any, list[dict]]:
    events: list[dict] = []
    return train(SPEC, config, events.append, cache_features=cache, **kw), events


def _strip(events: list[dict]) -> list[dict]:
    return [{k: v for k, v in e.items() if k != "samples_per_s"} for e in events]


def test_cached_run_equals_the_uncached_one() -> None:
    cached, ev_cached = _run(True)
    plain, ev_plain = _run(False)
    assert cached.status == plain.status == "done"
    # The saved module is the whole network (backbone + trained head) under layer paths.
    assert set(cached.module.state_dict()) == set(build_module(SPEC).state_dict())
    for key, value in plain.module.state_dict().items():
        torch.testing.assert_close(cached.module.state_dict()[key], value, rtol=1e-5, atol=1e-6)
    assert cached.metrics["confusion"] == plain.metrics["confusion"]
    assert cached.metrics["misclassified"]["total"] == plain.metrics["misclassified"]["total"]
    assert [e["kind"] for e in ev_cached] == [e["kind"] for e in ev_plain]
    for a, b in zip(_strip(ev_cached), _strip(ev_plain), strict=True):
        assert a.keys() == b.keys()
        for k in a:
            if isinstance(a[k], float):
                assert a[k] == pytest.approx(b[k], rel=1e-4, abs=1e-6), (a["kind"], k)
            else:
                assert a[k] == b[k], (a["kind"], k)
    # The frozen layers did not move (train() seeds with config.seed, then builds).
    torch.manual_seed(CONFIG.seed)
    start = build_module(SPEC)
    assert torch.equal(cached.module.layers[0].weight, start.layers[0].weight)


def test_the_backbone_sees_each_image_once(monkeypatch: pytest.MonkeyPatch) -> None:
    counts: list[dict[str, int]] = []
    real = transfer.freeze

    def freeze_and_count(module: nn.Module, paths: list[str]) -> list[str]:
        counts.append(_counting(module))
        return real(module, paths)

    monkeypatch.setattr(transfer, "freeze", freeze_and_count)
    _, events = _run(True)
    start = events[0]
    images = start["train_size"] + start["val_size"]
    assert counts[0]["images"] == images  # once, not once per epoch
    _run(False)
    # Without the cache: both epochs' batches and held-out curve passes (a sample of at
    # most val_curve_samples: issue 20), and the final pass over all of it.
    curve_n = min(TrainConfig().val_curve_samples or start["val_size"], start["val_size"])
    assert counts[1]["images"] == 2 * start["train_size"] + 2 * curve_n + start["val_size"]


def test_pause_and_resume_with_the_cache(tmp_path: Path) -> None:
    reference, _ = _run(True)
    ckpt = tmp_path / "run.ckpt.safetensors"
    first, _ = _run(True, should_pause=pause_after(4), checkpoint_path=ckpt)
    assert first.status == "paused"
    last, events = _run(True, checkpoint_path=ckpt, resume=True)
    assert last.status == "done" and events[0]["kind"] == "resume"
    for key, value in reference.module.state_dict().items():
        assert torch.equal(last.module.state_dict()[key], value), key
    assert last.metrics == reference.metrics


def test_cancel_while_computing_features() -> None:
    result, events = _run(True, should_stop=lambda: True)
    assert result.status == "cancelled" and "features" in result.message
    assert [e["kind"] for e in events] == ["start"]


def test_what_blocks_the_cache() -> None:
    module = build_module(SPEC)
    assert feature_cache.blocker(SPEC, module, 5, None) is None
    assert "no leading" in feature_cache.blocker(SPEC, module, 0, None)
    assert "every layer" in feature_cache.blocker(SPEC, module, 8, None)
    assert "probe_every" in feature_cache.blocker(SPEC, module, 5, 10)
    # conv (4,8,8) = 256 values: more than the 64 of the (1,8,8) image
    assert "larger" in feature_cache.blocker(SPEC, module, 1, None)
    spec = network("d", (1, 8, 8), [flatten(), dropout(0.5), linear(10)])
    assert "dropout" in feature_cache.blocker(spec, build_module(spec), 2, None)


def test_frozen_prefix_counts_whole_top_level_layers() -> None:
    assert feature_cache.frozen_prefix(SPEC, FROZEN) == 5
    assert feature_cache.frozen_prefix(SPEC, ["layers.1", "layers.0"]) == 2
    assert feature_cache.frozen_prefix(SPEC, ["layers.1"]) == 0
    spec = models.get("resnet18")
    assert feature_cache.frozen_prefix(spec, ["layers.0", "layers.1.layers.0"]) == 1


def test_extract_is_the_eval_forward_and_keeps_modes() -> None:
    module = build_module(SPEC)
    module.train()
    backbone = module.layers[:5]
    x = torch.rand(70, 1, 8, 8)
    got = feature_cache.extract(backbone, x)
    assert all(m.training for m in module.modules())
    with torch.no_grad():
        want = backbone.eval()(x)
    torch.testing.assert_close(got, want)
    assert got.shape == (70, 64)


def test_a_pretrained_tiny_resnet_head_on_cached_features() -> None:
    spec = with_head(models.get("tiny_resnet"), 5)
    config = TrainConfig(
        dataset="mnist",
        classes=[5, 6, 7, 8, 9],
        per_class=20,
        epochs=2,
        batch_size=25,
        **transfer.mode_config("frozen", spec, "tiny_resnet_digits04", 1e-3),
    )
    cached = train(spec, config, lambda e: None)
    plain = train(spec, config, lambda e: None, cache_features=False)
    assert cached.metrics["confusion"] == plain.metrics["confusion"]
    torch.testing.assert_close(
        cached.module.layers[11].weight, plain.module.layers[11].weight, rtol=1e-4, atol=1e-6
    )
