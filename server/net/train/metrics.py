"""Classification metrics from predictions: accuracy, per-class P/R/F1, confusion matrix."""

from __future__ import annotations

from typing import Any

import torch


def confusion(pred: torch.Tensor, target: torch.Tensor, num_classes: int) -> torch.Tensor:
    """(K, K) int64: row = true class, column = predicted class."""
    flat = target.long() * num_classes + pred.long()
    return torch.bincount(flat, minlength=num_classes * num_classes).reshape(
        num_classes, num_classes
    )


def summarize(pred: torch.Tensor, target: torch.Tensor, num_classes: int) -> dict[str, Any]:
    """Plain-data metrics (JSON-ready). A class never predicted has precision 0, and one
    never present recall 0, rather than NaN."""
    cm = confusion(pred, target, num_classes).double()
    tp = cm.diag()
    predicted = cm.sum(0)  # column sums
    actual = cm.sum(1)  # row sums
    precision = torch.where(predicted > 0, tp / predicted.clamp(min=1), torch.zeros_like(tp))
    recall = torch.where(actual > 0, tp / actual.clamp(min=1), torch.zeros_like(tp))
    denom = precision + recall
    f1 = torch.where(
        denom > 0, 2 * precision * recall / denom.clamp(min=1e-12), torch.zeros_like(tp)
    )
    total = float(cm.sum())
    return {
        "accuracy": float(tp.sum()) / total if total else 0.0,
        "per_class": [
            {
                "class": k,
                "precision": float(precision[k]),
                "recall": float(recall[k]),
                "f1": float(f1[k]),
                "support": int(actual[k]),
            }
            for k in range(num_classes)
        ],
        "confusion": cm.long().tolist(),
    }
