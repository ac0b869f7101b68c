"""Segmentation runs (issue 16): per-pixel metrics, live mask examples, the final report.

A segmentation network maps (N, C, H, W) images to (N, K, H, W) class scores; the target
is a mask (N, H, W) of class indices, and the loss is cross-entropy per pixel (what
F.cross_entropy does with those shapes). The training loop (loop.py) stays the same loop:
what differs from classification lives here.

Metrics come from the pixel confusion matrix (row = true class, column = predicted):
  IoU_k  = TP_k / (TP_k + FP_k + FN_k)      (intersection over union of class k)
  Dice_k = 2 TP_k / (2 TP_k + FP_k + FN_k)  (= the pixel F1 of class k)
mean IoU (`miou`) and mean Dice average over the classes that occur in the held-out masks
or predictions (a class with an empty union has no IoU, rather than 0 or 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from server.net.core import encode
from server.net.data.datasets import Split
from server.net.train import metrics, report

TASK = "segmentation"
EXAMPLES = 4  # held-out examples shown live, refreshed every epoch
# A fixed palette: background black, then the Okabe-Ito colours (told apart with the
# common colour-vision deficiencies); more classes cycle through them.
PALETTE: tuple[tuple[int, int, int], ...] = (
    (0, 0, 0),
    (230, 159, 0),
    (86, 180, 233),
    (0, 158, 115),
    (240, 228, 66),
    (0, 114, 178),
    (213, 94, 0),
    (204, 121, 167),
    (153, 153, 153),
)


class TaskError(ValueError):
    """A config that does not fit the dataset's task (-> 422 naming the field)."""


def palette(k: int) -> list[tuple[int, int, int]]:
    """Colour of each of k classes: index 0 (background) black, the rest cycling."""
    rest = PALETTE[1:]
    return [PALETTE[0], *(rest[i % len(rest)] for i in range(max(0, k - 1)))][:k]


def hex_palette(k: int) -> list[str]:
    return [f"#{r:02x}{g:02x}{b:02x}" for r, g, b in palette(k)]


def task_of(config_task: str | None, data_task: str, dataset: str) -> str:
    """The run's task: the dataset's unless the config names one; a mismatch is refused."""
    if config_task is not None and config_task != data_task:
        raise TaskError(
            f"task: {config_task!r} does not fit dataset {dataset!r}, a {data_task} dataset"
        )
    return data_task


def check_config(loss: str) -> None:
    if loss != "cross_entropy":
        raise TaskError(
            f"loss: segmentation trains with per-pixel cross-entropy; loss={loss!r} is for "
            "classification"
        )


def check_output(output_shape: list[int] | tuple[int, ...], k: int, size: tuple[int, int]) -> str:
    """'' when a network's output (C, H, W) gives k class scores per pixel at the input's
    size, else why not (the runs API answers 422 with it)."""
    want = [k, *size]
    if list(output_shape) == want:
        return ""
    return (
        f"the network's output shape is {tuple(output_shape)}; segmenting into {k} classes "
        f"needs {tuple(want)}: one score map per class at the input's size (end with a 1x1 "
        f"conv2d of {k} filters)"
    )


def confusion(pred: torch.Tensor, target: torch.Tensor, k: int) -> torch.Tensor:
    """(K, K) int64 pixel counts of masks (M, H, W): row = true class, column = predicted."""
    return metrics.confusion(pred.reshape(-1), target.reshape(-1), k)


def scores(cm: torch.Tensor) -> dict[str, Any]:
    """Per-class IoU and Dice (None where the class has an empty union), their means and
    the pixel accuracy, from a (K, K) confusion matrix."""
    cm = cm.double()
    tp = cm.diag()
    fp, fn = cm.sum(0) - tp, cm.sum(1) - tp
    union = tp + fp + fn
    present = union > 0
    iou = torch.where(present, tp / union.clamp(min=1), torch.zeros_like(tp))
    dice = torch.where(present, 2 * tp / (2 * tp + fp + fn).clamp(min=1), torch.zeros_like(tp))
    n = int(present.sum())
    total = float(cm.sum())
    return {
        "iou": [float(v) if p else None for v, p in zip(iou, present, strict=True)],
        "dice": [float(v) if p else None for v, p in zip(dice, present, strict=True)],
        "miou": float(iou[present].sum()) / n if n else 0.0,
        "mean_dice": float(dice[present].sum()) / n if n else 0.0,
        "pixel_accuracy": float(tp.sum()) / total if total else 0.0,
    }


def image_iou(pred: torch.Tensor, target: torch.Tensor, k: int) -> torch.Tensor:
    """(M,) float64: each image's mean IoU over the classes in its mask or prediction."""
    m = len(target)
    if m == 0:
        return torch.zeros(0, dtype=torch.float64)
    flat = torch.arange(m).view(-1, 1) * k * k + target.reshape(m, -1) * k + pred.reshape(m, -1)
    cm = torch.bincount(flat.reshape(-1), minlength=m * k * k).reshape(m, k, k).double()
    tp = cm.diagonal(dim1=1, dim2=2)
    union = cm.sum(1) + cm.sum(2) - tp  # (M, K): predicted + true - both
    present = union > 0
    iou = torch.where(present, tp / union.clamp(min=1), torch.zeros_like(tp))
    return iou.sum(1) / present.sum(1).clamp(min=1)


@dataclass
class Showcase:
    """The few held-out examples a run shows live: their indices, images (as the network's
    input before scaling, [0, 1]) and true masks, encoded once."""

    indices: list[int]
    images: list[str]
    truths: list[str]
    k: int
    labels: list[str]

    @classmethod
    def of(cls, data: Split, n: int = EXAMPLES) -> Showcase:
        m = len(data.y_val)
        idx = torch.linspace(0, max(m - 1, 0), min(n, m)).round().long().unique().tolist()
        pal = palette(data.num_classes)
        images = [encode.png_data_url(data.x_val[i])[0] for i in idx]
        truths = [encode.mask_png_data_url(data.y_val[i], pal) for i in idx]
        labels = report.class_labels(None, data.num_classes, data.class_names)
        return cls(idx, images, truths, data.num_classes, labels)

    def event(self, pred: torch.Tensor, target: torch.Tensor) -> dict[str, Any]:
        """This epoch's examples, image | true mask | predicted mask (PNG data URLs) with
        each one's IoU, and the legend (class labels, their colours)."""
        pal = palette(self.k)
        ious = image_iou(pred[self.indices], target[self.indices], self.k)
        items = [
            {
                "index": i,
                "image": img,
                "true": truth,
                "pred": encode.mask_png_data_url(pred[i], pal),
                "iou": round(float(iou), 4),
            }
            for i, img, truth, iou in zip(self.indices, self.images, self.truths, ious, strict=True)
        ]
        return {"labels": self.labels, "palette": hex_palette(self.k), "items": items}


def epoch_fields(
    pred: torch.Tensor, target: torch.Tensor, k: int, show: Showcase | None
) -> dict[str, Any]:
    """What a segmentation run's epoch event adds: held-out mIoU, mean Dice, and the
    live examples (pred, target: held-out masks (M, H, W))."""
    s = scores(confusion(pred, target, k))
    out: dict[str, Any] = {"miou": s["miou"], "dice": s["mean_dice"]}
    if show is not None:
        out["masks"] = show.event(pred, target)
    return out


def final_metrics(
    module: nn.Module,
    vx: torch.Tensor,
    vy: torch.Tensor,
    k: int,
    names: tuple[str, ...] | None,
    max_items: int,
) -> dict[str, Any]:
    """Held-out results of a segmentation run: pixel accuracy (as `accuracy`), per-class
    precision/recall/F1 over pixels with IoU and Dice beside them, the pixel confusion
    matrix, mIoU, mean Dice, the palette, and the held-out images by their own mean IoU,
    worst first (at most max_items [index, iou] rows)."""
    pred, _ = report.predict(module, vx)  # (M, H, W) argmax over the class maps
    cm = confusion(pred, vy, k)
    out = metrics.summarize(pred.reshape(-1), vy.reshape(-1), k)
    s = scores(cm)
    for row in out["per_class"]:
        row["iou"], row["dice"] = s["iou"][row["class"]], s["dice"][row["class"]]
    per_image = image_iou(pred, vy, k)
    order = torch.argsort(per_image, stable=True)[:max_items]
    out.update(
        {
            "task": TASK,
            "labels": report.class_labels(None, k, names),
            "miou": s["miou"],
            "dice": s["mean_dice"],
            "palette": hex_palette(k),
            "worst_iou": {
                "total": len(per_image),
                "items": [[int(i), round(float(per_image[i]), 4)] for i in order.tolist()],
            },
        }
    )
    return out


def predict_masks(module: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """(M, H, W) predicted masks of scaled images x (M, C, H, W), eval mode, no gradients."""
    return report.predict(module, x)[0]
