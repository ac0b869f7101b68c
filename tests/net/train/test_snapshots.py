from __future__ import annotations

import base64
import io
import json
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image
from pydantic import ValidationError

import models
from server.net.core import encode
from server.net.core.build import build_module
from server.net.core.features import capture
from server.net.train import transfer
from server.net.train.loop import TrainConfig, train
from server.net.train.snapshots import (
    Limits,
    Taker,
    feature_tiles,
    filter_tiles,
    prediction,
    probe_input,
)

TINY = {"dataset": "digits", "epochs": 1, "batch_size": 64, "train_limit": 320}


def pixels(page: dict[str, Any]) -> np.ndarray:
    """A page's PNG atlas -> (rows * h, cols * w) uint8."""
    return np.array(Image.open(io.BytesIO(base64.b64decode(page["png"]))))


def tile(page: dict[str, Any], i: int) -> np.ndarray:
    h, w = page["tile"]
    r, c = divmod(i, page["cols"])
    return pixels(page)[r * h : (r + 1) * h, c * w : (c + 1) * w]


class Clock:
    """A fake monotonic clock; each snapshot sent costs `cost` seconds."""

    def __init__(self, cost: float) -> None:
        self.now, self.cost, self.events = 0.0, cost, []

    def __call__(self) -> float:
        return self.now

    def send(self, event: dict) -> None:
        self.events.append(event)
        self.now += self.cost


def taker(name: str, clock: Clock, limits: Limits, module: torch.nn.Module | None = None) -> Taker:
    spec = models.get(name)
    module = module or build_module(spec)
    vx = torch.randn(4, *spec.input.shape)
    probe = probe_input(None, 1, vx, torch.tensor([3, 1, 4, 1]), (torch.zeros(1), torch.ones(1)))
    return Taker(spec, module, probe, [str(i) for i in range(10)], limits, clock.send, clock)


def test_the_rate_is_bounded_by_time_not_iterations() -> None:
    clock = Clock(cost=0.001)
    t = taker("mnist_cnn", clock, Limits(interval_s=0.5, cost_fraction=0.04))
    for step in range(1, 1001):  # 1,000 batches in 0.1 s: one snapshot
        t.tick(step, 1)
        clock.now += 0.0001
    assert [e["iter"] for e in clock.events] == [1]
    for step in range(1001, 2001):  # then 1,000 batches of 5 ms: 5 s, one per 0.5 s
        t.tick(step, 1)
        clock.now += 0.005
    gaps = np.diff([e["iter"] for e in clock.events])
    assert len(clock.events) == 1 + 10 and (gaps[1:] >= 100).all() and (gaps[1:] <= 101).all()


def test_a_costly_snapshot_waits_for_its_cost_fraction() -> None:
    clock = Clock(cost=0.1)  # each snapshot 100 ms: 4% of the time means one per 2.5 s
    t = taker("mnist_cnn", clock, Limits(interval_s=0.5, cost_fraction=0.04))
    for step in range(1, 1001):  # 10 s of batches
        t.tick(step, 1)
        clock.now += 0.01
    assert len(clock.events) == 4  # at 0, then 2.6, 5.2, 7.8 s
    assert t.spent == pytest.approx(0.4) and t.spent / clock.now < 0.05


def test_feature_maps_are_one_byte_tiles_of_the_pooled_maps() -> None:
    t = torch.randn(16, 56, 40)
    page = feature_tiles(t, Limits(channels=8, tile=28))
    assert page["shape"] == [16, 56, 40] and page["channels"] == 16
    assert page["count"] == 8 and page["tile"] == [28, 20]  # pooled by 0.5, first 8 maps
    pooled = F.adaptive_avg_pool2d(t[None, :8], (28, 20))[0]
    q, ranges = encode.quantize(pooled.numpy(), "channel")
    for i in range(8):
        assert np.array_equal(tile(page, i), q[i])
        assert ranges[i] == pytest.approx([float(pooled[i].min()), float(pooled[i].max())])
    assert pixels(page).dtype == np.uint8 and len(page["png"]) < 8 * 28 * 20 * 2
    vec = feature_tiles(torch.arange(5000.0), Limits())
    assert vec["vector"] and vec["length"] == 1024 and vec["shape"] == [5000]


def test_filters_share_one_scale_and_rgb_filters_keep_three_tiles() -> None:
    w = torch.randn(40, 3, 5, 5)
    page = filter_tiles(w, "layers.0", Limits(filters=32))
    assert page["rgb"] and page["filters"] == 32 and page["count"] == 96
    lo, hi = float(w[:32].min()), float(w[:32].max())
    assert all(r == pytest.approx([lo, hi]) for r in page["ranges"])
    q, _ = encode.quantize(w[:32].reshape(96, 5, 5).numpy(), "shared")
    assert np.array_equal(tile(page, 7), q[7])  # filter 2's G channel
    gray = filter_tiles(torch.randn(6, 4, 5, 5), "layers.0", Limits())
    assert not gray["rgb"] and gray["count"] == 6 and gray["weight_shape"] == [6, 4, 5, 5]


def test_a_snapshot_matches_the_network_and_marks_frozen_layers() -> None:
    spec = models.get("mnist_cnn")
    module = build_module(spec)
    transfer.freeze(module, ["layers.0"])
    clock = Clock(cost=0.0)
    t = taker("mnist_cnn", clock, Limits(channels=4), module)
    with torch.no_grad():
        for p in module.parameters():
            if p.requires_grad:
                p.mul_(1.5)  # every trained layer moves by 50%
    e = t.take(7, 1)
    assert e["kind"] == "snapshot" and e["iter"] == 7
    assert e["filters"]["layer"] == "layers.0" and e["filters"]["weight_shape"][1] == 1
    changes = {r["path"]: r for r in e["layers"]}
    assert changes["layers.0"] == {"path": "layers.0", "change": 0.0, "frozen": True}
    assert all(r["change"] == pytest.approx(0.5) for p, r in changes.items() if p != "layers.0")
    cap = capture(module, t.x, [r.path for r in t.rows])
    for page in e["probe"]["layers"]:
        want = encode.as_channels(cap.layers[page["path"]])[0]
        lo, hi = page["ranges"][0]
        if page["vector"] or hi == lo:
            continue
        got = lo + tile(page, 0).astype(np.float32) / 255 * (hi - lo)
        h, w = page["tile"]
        assert np.abs(got - want[:h, :w]).max() <= (hi - lo) / 255 + 1e-5
    probs = torch.softmax(cap.output, 0)
    assert e["probe"]["output"]["probs"] == pytest.approx(probs.tolist(), abs=1e-4)
    assert e["probe"]["label"] == 1 and e["probe"]["index"] == 1
    assert len(json.dumps(e)) < 60_000  # one snapshot of a small CNN


def test_a_snapshot_keeps_frozen_norms_in_eval_mode() -> None:
    module = build_module(models.get("tiny_resnet"))
    module.train()
    transfer.keep_frozen_norms_eval(module, ["layers.1"])
    before = {name: m.training for name, m in module.named_modules()}
    assert before["layers.1"] is False and before["layers.3"] is True
    taker("tiny_resnet", Clock(cost=0.0), Limits(), module).take(0, 1)
    assert {name: m.training for name, m in module.named_modules()} == before


def test_no_conv_layer_means_no_filters() -> None:
    clock = Clock(cost=0.0)
    e = taker("mlp", clock, Limits()).take(0, 1)
    assert e["filters"] is None and e["probe"]["layers"]


def test_a_segmentation_output_is_a_mask() -> None:
    out = prediction(torch.randn(3, 8, 8), [])
    assert out["kind"] == "mask" and out["classes"] == 3 and out["tile"] == [8, 8]


def test_layers_are_evenly_chosen_the_last_kept() -> None:
    clock = Clock(cost=0.0)
    t = taker("tiny_resnet", clock, Limits(layers=5))
    assert len(t.rows) == 5
    assert t.rows[-1].path == taker("tiny_resnet", clock, Limits(layers=500)).rows[-1].path


@pytest.mark.slow
def test_train_takes_the_first_and_the_last_snapshot() -> None:
    events: list[dict] = []
    spec = models.get("mnist_cnn")
    result = train(spec, TrainConfig(**TINY), events.append, snapshot=Limits(interval_s=60))
    snaps = [e for e in events if e["kind"] == "snapshot"]
    assert result.status == "done" and [s["iter"] for s in snaps] == [0, 5]
    assert snaps[0]["filters"]["png"] != snaps[1]["filters"]["png"]  # it learned
    events.clear()
    train(spec, TrainConfig(**TINY), events.append)  # no limits: none (benchmarks, tests)
    train(spec, TrainConfig(**TINY, snapshots=False), events.append, snapshot=Limits())
    assert not [e for e in events if e["kind"] == "snapshot"]


def drawing() -> str:
    img = Image.new("L", (28, 28))
    img.paste(255, (10, 4, 18, 24))  # a "1"
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def test_a_drawing_is_the_probe_scaled_like_the_training_images() -> None:
    mean, std = torch.full((1, 1, 1, 1), 0.2), torch.full((1, 1, 1, 1), 0.5)
    x, about = probe_input(drawing(), 0, torch.zeros(2, 1, 14, 14), torch.zeros(2), (mean, std))
    assert about["source"] == "drawing" and x.shape == (1, 14, 14)
    assert float(x.max()) == pytest.approx((1 - 0.2) / 0.5)
    assert float(x[0, 0, 0]) == pytest.approx(-0.4)
    with pytest.raises(ValidationError, match="probe_image"):
        TrainConfig(probe_image="data:image/png;base64,bm90IGEgcG5n")
    with pytest.raises(ValueError, match="probe_index 5 is past the 2 held-out"):
        probe_input(None, 5, torch.zeros(2, 1, 4, 4), torch.zeros(2), (mean, std))


def test_a_held_out_mask_is_no_class_label() -> None:
    scaling = (torch.zeros(1, 3, 1, 1), torch.ones(1, 3, 1, 1))
    vx, masks = torch.rand(2, 3, 8, 8), torch.randint(0, 5, (2, 8, 8))
    x, about = probe_input(None, 1, vx, masks, scaling)
    assert torch.equal(x, vx[1]) and about["label"] is None
    assert probe_input(None, 1, vx, torch.tensor([3, 4]), scaling)[1]["label"] == 4
