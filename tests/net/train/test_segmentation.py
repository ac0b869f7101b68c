"""Segmentation metrics against a hand computation, the palette, the live examples."""

from __future__ import annotations

import pytest
import torch

from server.net.core.spec import NetworkSpec
from server.net.train import segmentation as seg
from server.net.train.loop import TrainConfig, train

# Two 2x3 masks of 3 classes; by hand (row = true, column = predicted):
#   true 0 0 1 / 1 2 2  pred 0 1 1 / 1 2 0   and   true 2 2 2 / 0 0 0  pred 2 2 0 / 0 0 0
TRUE = torch.tensor([[[0, 0, 1], [1, 2, 2]], [[2, 2, 2], [0, 0, 0]]])
PRED = torch.tensor([[[0, 1, 1], [1, 2, 0]], [[2, 2, 0], [0, 0, 0]]])


def test_confusion_iou_and_dice_by_hand() -> None:
    cm = seg.confusion(PRED, TRUE, 3)
    # true 0: 5 pixels, 4 predicted 0, 1 predicted 1; true 1: 2 -> 1; true 2: 5, 3 right, 2 -> 0
    assert cm.tolist() == [[4, 1, 0], [0, 2, 0], [2, 0, 3]]
    s = seg.scores(cm)
    # IoU = TP / (TP + FP + FN): 4 / (4+2+1), 2 / (2+1+0), 3 / (3+0+2)
    assert s["iou"] == pytest.approx([4 / 7, 2 / 3, 3 / 5])
    # Dice = 2TP / (2TP + FP + FN): 8/11, 4/5, 6/8
    assert s["dice"] == pytest.approx([8 / 11, 4 / 5, 6 / 8])
    assert s["miou"] == pytest.approx((4 / 7 + 2 / 3 + 3 / 5) / 3)
    assert s["mean_dice"] == pytest.approx((8 / 11 + 4 / 5 + 6 / 8) / 3)
    assert s["pixel_accuracy"] == pytest.approx(9 / 12)


def test_a_class_with_an_empty_union_has_no_iou() -> None:
    s = seg.scores(seg.confusion(PRED, TRUE, 4))  # class 3 never occurs nor is predicted
    assert s["iou"][3] is None and s["dice"][3] is None
    assert s["miou"] == pytest.approx((4 / 7 + 2 / 3 + 3 / 5) / 3)


def test_image_iou_by_hand() -> None:
    got = seg.image_iou(PRED, TRUE, 3)
    # image 0: class 0 TP1 union 3 (1/3), class 1 TP2 union 3 (2/3), class 2 TP1 union 2 (1/2)
    # image 1: class 0 TP3 union 4 (3/4), class 2 TP2 union 3 (2/3); class 1 absent
    assert got.tolist() == pytest.approx([(1 / 3 + 2 / 3 + 1 / 2) / 3, (3 / 4 + 2 / 3) / 2])
    # Each image alone gives what the whole-set formula gives on that image.
    for i in range(2):
        assert float(got[i]) == pytest.approx(
            seg.scores(seg.confusion(PRED[i], TRUE[i], 3))["miou"]
        )


def test_palette_is_fixed_background_black() -> None:
    assert seg.hex_palette(3) == ["#000000", "#e69f00", "#56b4e9"]
    assert len(seg.palette(20)) == 20 and seg.palette(20)[9] == seg.palette(20)[1]


def test_check_output_names_the_shape() -> None:
    assert seg.check_output([5, 64, 64], 5, (64, 64)) == ""
    assert "(5, 64, 64)" in seg.check_output([5, 32, 32], 5, (64, 64))
    with pytest.raises(seg.TaskError, match="task"):
        seg.task_of("segmentation", "classification", "digits")


@pytest.mark.slow  # trains three epochs
def test_per_pixel_training_learns_and_matches_the_reported_metrics() -> None:
    spec = NetworkSpec.model_validate(
        {
            "name": "fcn",
            "input": {"channels": 3, "height": 16, "width": 16},
            "layers": [
                {"type": "conv2d", "out_channels": 8, "kernel_size": 3, "padding": 1},
                {"type": "relu"},
                {"type": "conv2d", "out_channels": 5, "kernel_size": 1},
            ],
        }
    )
    events: list[dict] = []
    config = TrainConfig(
        dataset="shapes_masks", epochs=3, batch_size=32, train_limit=256, lr=0.01, seed=1
    )
    result = train(spec, config, events.append)
    assert result.status == "done", result.message
    epochs = [e for e in events if e["kind"] == "epoch"]
    # Pixel accuracy: a batch's share of right pixels, in [0, 1].
    iters = [e for e in events if e["kind"] == "iter"]
    assert all(0 <= e["acc"] <= 1 for e in iters) and all(0 <= e["train_acc"] <= 1 for e in epochs)
    assert epochs[-1]["val_loss"] < epochs[0]["val_loss"]
    # The final mIoU is the one computed again from the module's own predictions.
    from server.net.data.datasets import load

    data = load("shapes_masks", 16, 16, channels=3)
    mean = data.x_train[:256].mean((0, 2, 3), keepdim=True)
    std = data.x_train[:256].std((0, 2, 3), keepdim=True)
    pred = seg.predict_masks(result.module, (data.x_val - mean) / std)
    again = seg.scores(seg.confusion(pred, data.y_val, 5))["miou"]
    assert result.metrics["miou"] == pytest.approx(again, abs=1e-6)
    assert result.metrics["miou"] == pytest.approx(epochs[-1]["miou"], abs=1e-9)
