"""What a finished run reports on its held-out part: metrics, labels, the wrong samples."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from server.net.train import metrics

EVAL_BATCH = 64  # images per no-grad forward at most (500 was 4x slower per image: issue 20)
EVAL_VALUES = 1 << 22  # ...and at most this many input values (16 MB: 27 images at 224x224)


def eval_batch(x: torch.Tensor) -> int:
    """Samples per no-grad forward of x (N, ...): MNIST 500, ImageNet-sized images 27."""
    per_sample = max(1, x[0].numel()) if len(x) else 1
    return max(1, min(EVAL_BATCH, EVAL_VALUES // per_sample))


def class_labels(
    classes: list[int] | None, num_classes: int, names: tuple[str, ...] | None = None
) -> list[str]:
    """What each output unit means: the original labels of a class subset (digits 5-9
    train as 0..4 but read "5".."9"), else the dataset's own labels. `names`: the loaded
    split's class names (subset already applied: "circle", "cats"...), when known."""
    if names and len(names) == num_classes:
        return list(names)
    return [str(c) for c in (classes or range(num_classes))]


def final_metrics(
    module: nn.Module,
    vx: torch.Tensor,
    vy: torch.Tensor,
    k: int,
    classes: list[int] | None,
    max_misclassified: int,
    names: tuple[str, ...] | None = None,
) -> dict[str, Any]:
    """Held-out metrics, the class labels and the wrong held-out samples: at most
    `max_misclassified` of them, the most confident first, as [index, true, predicted,
    confidence] rows (index into the held-out part of the dataset)."""
    pred, conf = predict(module, vx)
    out = metrics.summarize(pred, vy, k)
    out["labels"] = class_labels(classes, k, names)
    wrong = torch.nonzero(pred != vy).flatten()
    keep = wrong[torch.argsort(conf[wrong], descending=True, stable=True)][:max_misclassified]
    out["misclassified"] = {
        "total": len(wrong),
        "items": [
            [int(i), int(vy[i]), int(pred[i]), round(float(conf[i]), 4)] for i in keep.tolist()
        ],
    }
    return out


def predict(module: nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(predicted class (M,), its softmax probability (M,)) in eval mode, no gradients; on the
    CPU whatever device the module is on (the metrics are the CPU's)."""
    module.eval()
    preds, confs = [], []
    step = eval_batch(x)
    with torch.no_grad():
        for i in range(0, len(x), step):
            p, c = torch.softmax(module(x[i : i + step]), 1).max(1)
            preds.append(c)
            confs.append(p)
    module.train()
    if not preds:
        return torch.zeros(0, dtype=torch.long), torch.zeros(0)
    return torch.cat(preds).cpu(), torch.cat(confs).cpu()
