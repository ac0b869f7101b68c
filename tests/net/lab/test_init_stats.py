from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from server.net.lab import init_stats as IS

DEPTH, WIDTH, BATCH = 10, 128, 256


def _run(activation: IS.Activation, init: IS.Init) -> IS.InitRun:
    return IS.run(DEPTH, WIDTH, activation, [init], BATCH, seed=0, bins=30)[0]


def test_layer_one_is_torchs_own_computation() -> None:
    # The same generator sequence by hand: the input, then W_1 from torch.nn.init.
    gen = torch.Generator().manual_seed(3)
    x = torch.randn(64, 32, generator=gen)
    w = torch.empty(32, 32)
    nn.init.xavier_normal_(w, generator=gen)
    expected = torch.tanh(x @ w.T)
    got = IS.activations(4, 32, "tanh", "xavier", 64, seed=3)
    assert len(got) == 4 and got[0].shape == (64, 32)
    torch.testing.assert_close(got[0], expected)
    nn.init.xavier_normal_(w, generator=gen)  # W_2 comes next from the same generator
    torch.testing.assert_close(got[1], torch.tanh(expected @ w.T))


def test_histogram_matches_numpy_and_torch_stats() -> None:
    t = torch.randn(10_000, generator=torch.Generator().manual_seed(1))
    h = IS.histogram(t, 20, lo=-3.0, hi=3.0)
    inside = t[(t >= -3) & (t <= 3)].numpy()
    counts, _ = np.histogram(inside, bins=20, range=(-3, 3))
    outside_low, outside_high = int((t < -3).sum()), int((t > 3).sum())
    expect = counts.copy()
    expect[0] += outside_low  # values outside [lo, hi] fall in the edge bins
    expect[-1] += outside_high
    assert np.abs(np.array(h.counts) - expect).sum() <= 2  # float rounding at bin edges
    assert sum(h.counts) == 10_000
    assert h.mean == pytest.approx(float(t.mean()), abs=1e-6)
    assert h.std == pytest.approx(float(t.std(unbiased=False)), rel=1e-5)


def test_histogram_small_cases() -> None:
    h = IS.histogram(torch.tensor([0.0, 0.5, 1.0]), 2, lo=0.0, hi=1.0)
    assert h.counts == [1, 2] and h.zeros == pytest.approx(1 / 3)
    tanh = IS.histogram(torch.tanh(torch.tensor([-10.0, 0.0, 0.1, 10.0])), 4, "tanh")
    assert (tanh.lo, tanh.hi) == (-1.0, 1.0) and tanh.saturated == pytest.approx(0.5)
    sig = IS.histogram(torch.sigmoid(torch.tensor([-10.0, 0.0, 10.0, 0.5])), 4, "sigmoid")
    assert (sig.lo, sig.hi) == (0.0, 1.0) and sig.saturated == pytest.approx(0.5)
    spike = IS.histogram(torch.full((5,), 2.0), 3)  # one value: the range is widened
    assert spike.lo < 2.0 < spike.hi and sum(spike.counts) == 5
    nan = IS.histogram(torch.tensor([1.0, float("nan"), 2.0]), 2)
    assert sum(nan.counts) == 2
    sampled = IS.histogram(torch.arange(1000.0), 10, max_values=100)
    assert sum(sampled.counts) == 100


def test_zeros_give_identical_units_and_zero_activations() -> None:
    for act in ("tanh", "relu"):
        run = _run(act, "zeros")
        assert all(layer.identical_units for layer in run.layers)
        assert all(layer.hist.zeros == 1.0 and layer.hist.std == 0.0 for layer in run.layers)
    assert not any(layer.identical_units for layer in _run("tanh", "xavier").layers)


def test_small_normal_with_tanh_collapses() -> None:
    stds = [layer.hist.std for layer in _run("tanh", "small").layers]
    # Each layer scales the spread by about 0.01 * sqrt(width) (tanh is ~linear near 0).
    assert stds[0] == pytest.approx(0.01 * WIDTH**0.5, rel=0.1)
    assert all(b < a * 0.3 for a, b in zip(stds, stds[1:]))
    assert stds[-1] < 1e-6


def test_xavier_keeps_tanh_spread() -> None:
    stds = [layer.hist.std for layer in _run("tanh", "xavier").layers]
    assert 0.5 < stds[0] < 0.75
    assert stds[-1] > 0.15  # slowly shrinking, never collapsing (0.23 after 10 layers)
    assert all(0.75 < b / a <= 1.0 for a, b in zip(stds, stds[1:]))


def test_he_keeps_relu_second_moment() -> None:
    # He: Var(W) = 2 / fan_in, so E[h_k^2] = E[h_(k-1)^2] = E[x^2] = 1 in expectation.
    moments = [layer.second_moment for layer in _run("relu", "he").layers]
    assert all(0.5 < m < 2.0 for m in moments), moments
    zeros = [layer.hist.zeros for layer in _run("relu", "he").layers]
    assert all(0.4 < z < 0.6 for z in zeros)  # half the units are off, as ReLU should be
    # Xavier with ReLU halves it every layer instead.
    xavier = [layer.second_moment for layer in _run("relu", "xavier").layers]
    assert xavier[-1] < 0.01


def test_layers_of_one_init_share_a_range() -> None:
    run = _run("relu", "he")
    assert len({(layer.hist.lo, layer.hist.hi) for layer in run.layers}) == 1
    assert all(sum(layer.hist.counts) == BATCH * WIDTH for layer in run.layers)


def test_macs() -> None:
    assert IS.macs(10, 128, 256, 4) == 4 * 10 * 256 * 128 * 128
