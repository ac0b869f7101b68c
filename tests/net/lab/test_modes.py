from __future__ import annotations

import torch

from server.net.lab.modes import compare


def test_dropout_makes_train_and_eval_differ() -> None:
    m = compare(0.5, seed=1, batch=8)
    assert not torch.allclose(torch.tensor(m.train.output), torch.tensor(m.eval.output))
    kept = torch.tensor(m.kept)
    assert 0 < kept.sum() < kept.numel()


def test_kept_values_are_the_input_scaled_by_one_over_keep_probability() -> None:
    p = 0.3
    m = compare(p, seed=2, batch=16)
    hidden, out, kept = torch.tensor(m.train.hidden), torch.tensor(m.train.output), m.kept
    assert m.scale == 1 / (1 - p)
    mask = torch.tensor(kept)
    assert torch.allclose(out[mask], hidden[mask] / (1 - p))
    assert (out[~mask] == 0).all()


def test_eval_dropout_is_the_identity() -> None:
    m = compare(0.5, seed=3, batch=8)
    assert m.eval.hidden == m.eval.output


def test_without_batch_norm_and_p_zero_the_modes_agree() -> None:
    m = compare(0.0, seed=4, batch=8, batchnorm=False)
    assert torch.allclose(torch.tensor(m.train.output), torch.tensor(m.eval.output))
    assert m.train.mean is None


def test_with_batch_norm_and_p_zero_they_differ_by_the_statistics_used() -> None:
    m = compare(0.0, seed=5, batch=8)
    assert all(m.kept[0])
    assert not torch.allclose(torch.tensor(m.train.output), torch.tensor(m.eval.output))
    assert not torch.allclose(torch.tensor(m.train.mean), torch.tensor(m.eval.mean))
    # Train mode normalises with the batch's own statistics: every unit's mean over the batch
    # of the pre-relu value is beta = 0, so the mean we report is what batch norm subtracted.
    bn = torch.nn.BatchNorm1d(8)
    pre = torch.randn(8, 8) * 3 + 1
    bn.train()
    ref = bn(pre)
    mine = (pre - pre.mean(0)) / torch.sqrt(pre.var(0, unbiased=False) + bn.eps)
    assert torch.allclose(ref, mine, atol=1e-5)
