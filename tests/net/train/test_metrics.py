from __future__ import annotations

import torch
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

from server.net.train.metrics import confusion, summarize


def test_confusion_matches_sklearn() -> None:
    g = torch.Generator().manual_seed(0)
    y = torch.randint(0, 4, (200,), generator=g)
    p = torch.randint(0, 4, (200,), generator=g)
    assert confusion(p, y, 4).tolist() == confusion_matrix(y, p, labels=range(4)).tolist()


def test_summary_matches_sklearn() -> None:
    g = torch.Generator().manual_seed(1)
    y = torch.randint(0, 5, (300,), generator=g)
    p = torch.where(torch.rand(300, generator=g) < 0.6, y, torch.randint(0, 5, (300,), generator=g))
    got = summarize(p, y, 5)
    prec, rec, f1, sup = precision_recall_fscore_support(y, p, labels=range(5), zero_division=0)
    assert abs(got["accuracy"] - float((p == y).double().mean())) < 1e-6
    for k, row in enumerate(got["per_class"]):
        assert abs(row["precision"] - prec[k]) < 1e-9
        assert abs(row["recall"] - rec[k]) < 1e-9
        assert abs(row["f1"] - f1[k]) < 1e-9
        assert row["support"] == sup[k]


def test_never_predicted_class_is_zero_not_nan() -> None:
    y = torch.tensor([0, 1, 2])
    p = torch.tensor([0, 0, 0])
    rows = summarize(p, y, 3)["per_class"]
    assert rows[1]["precision"] == 0.0 and rows[1]["f1"] == 0.0
