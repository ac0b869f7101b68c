"""Re-splitting a dataset (server/net/data/subsets.py); class subsets and per-class caps
are tested through datasets.load in tests/net/train/test_transfer.py."""

from __future__ import annotations

import pytest
import torch

from server.net.data import subsets


def _ids(counts: list[int], held: int) -> tuple[torch.Tensor, ...]:
    """Images whose one pixel is their sample id; labels by `counts`; the last `held` held out."""
    y = torch.cat([torch.full((n,), k) for k, n in enumerate(counts)])
    y = y[torch.randperm(len(y), generator=torch.Generator().manual_seed(1))]
    x = torch.arange(len(y), dtype=torch.float32).view(-1, 1, 1, 1)
    n = len(y) - held
    return x[:n], y[:n], x[n:], y[n:]


def test_resplit_is_stratified_disjoint_and_covering() -> None:
    counts = [50, 31, 7, 12]  # 100 samples
    x, y, vx, vy = _ids(counts, held=40)
    tx, ty, hx, hy = subsets.resplit(x, y, vx, vy, 0.25, seed=3)
    assert len(hx) == subsets.held_count(100, 0.25) == 25 and len(tx) == 75
    ids_t, ids_h = tx.flatten().long(), hx.flatten().long()
    assert not set(ids_t.tolist()) & set(ids_h.tolist())
    assert sorted(ids_t.tolist() + ids_h.tolist()) == list(range(100))
    pooled_y = torch.cat([y, vy])
    assert torch.equal(pooled_y[ids_t], ty) and torch.equal(pooled_y[ids_h], hy)
    # Each class gives floor(n * 0.25) or one more: 12.5, 7.75, 1.75, 3 -> 12 + 8 + 2 + 3
    # (the largest remainders, 0.75 and 0.75, win the two extras; 12.5's 0.5 does not).
    assert [int((hy == k).sum()) for k in range(4)] == [12, 8, 2, 3]
    assert torch.equal(ids_t, ids_t.sort().values)  # pooled order kept


def test_resplit_is_seeded() -> None:
    parts = _ids([40, 40, 40], held=20)
    a = subsets.resplit(*parts, 0.2, seed=7)
    b = subsets.resplit(*parts, 0.2, seed=7)
    c = subsets.resplit(*parts, 0.2, seed=8)
    assert all(torch.equal(p, q) for p, q in zip(a, b, strict=True))
    assert not torch.equal(a[2], c[2]) and len(a[2]) == len(c[2]) == 24


def test_resplit_refuses_fractions_outside_0_1() -> None:
    with pytest.raises(ValueError, match="val_split"):
        subsets.resplit(*_ids([5, 5], held=2), 1.0, seed=0)
