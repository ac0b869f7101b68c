from __future__ import annotations

import pytest
import torch

from server.net import datasets, mnist


def test_digits_split_is_stratified_and_disjoint() -> None:
    d = datasets.load("digits", 8, 8)
    assert d.x_train.shape[1:] == (1, 8, 8)
    assert len(d.x_train) + len(d.x_val) == 1797
    assert float(d.x_train.min()) >= 0.0 and float(d.x_train.max()) <= 1.0
    # Every class in both parts, roughly 80/20.
    for k in range(10):
        n_tr, n_va = int((d.y_train == k).sum()), int((d.y_val == k).sum())
        assert 0.75 < n_tr / (n_tr + n_va) < 0.85


def test_digits_upscaled_to_network_input() -> None:
    d = datasets.load("digits", 28, 28, train_limit=10)
    assert d.x_train.shape == (10, 1, 28, 28)
    assert d.x_val.shape[1:] == (1, 28, 28)


def test_mnist_reuses_the_shipped_split() -> None:
    d = datasets.load("mnist", 28, 28)
    train_idx, held_idx = mnist.split()
    assert len(d.x_train) == len(train_idx) and len(d.x_val) == len(held_idx)
    x, y = mnist.tensors(held_idx[:5], normalize=False)
    assert torch.equal(d.x_val[:5], x) and torch.equal(d.y_val[:5], y)


def test_unknown_dataset() -> None:
    with pytest.raises(ValueError, match="unknown dataset"):
        datasets.load("cifar", 28, 28)
