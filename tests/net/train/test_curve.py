"""curve.sample: the held-out sample of the per-epoch curve; train() uses it (issue 20)."""

from __future__ import annotations

import torch

import models
from server.net.train import curve
from server.net.train.loop import TrainConfig, train


def test_sample_keeps_all_below_the_limit_and_a_seeded_ordered_subset_above() -> None:
    x, y = torch.arange(50.0).view(50, 1), torch.arange(50)
    assert curve.sample(x, y, None, 0)[0] is x
    assert curve.sample(x, y, 50, 0)[0] is x
    sx, sy = curve.sample(x, y, 10, 3)
    assert len(sx) == 10 and torch.equal(sx.view(-1).long(), sy)  # rows stay paired
    assert torch.equal(sy, sy.sort().values)  # original order
    assert torch.equal(curve.sample(x, y, 10, 3)[1], sy)  # seeded
    assert not torch.equal(curve.sample(x, y, 10, 4)[1], sy)


def test_the_curve_uses_the_sample_and_training_is_unchanged() -> None:
    spec = models.get("mlp")
    base = dict(dataset="mnist", classes=[0, 1], per_class=20, epochs=2, batch_size=10, seed=1)
    runs = {}
    for limit in (None, 30):
        events: list[dict] = []
        config = TrainConfig(**base, val_curve_samples=limit, snapshots=False)
        result = train(spec, config, events.append)
        assert result.status == "done"
        runs[limit] = (events, result)
    full_events, full = runs[None]
    few_events, few = runs[30]
    epochs = [e for e in few_events if e["kind"] == "epoch"]
    assert [e["val_samples"] for e in epochs] == [30, 30]
    assert all(e["val_samples"] > 30 for e in full_events if e["kind"] == "epoch")
    iters = lambda ev: [e["loss"] for e in ev if e["kind"] == "iter"]  # noqa: E731
    assert iters(full_events) == iters(few_events)  # the same training
    assert full.metrics["accuracy"] == few.metrics["accuracy"]  # final: whole held-out set
    for a, b in zip(full.module.parameters(), few.module.parameters(), strict=True):
        assert torch.equal(a, b)
