from __future__ import annotations

import pytest

from server.net.lab import ewa as E


def test_ewa_equals_a_hand_written_recurrence() -> None:
    theta = E.temperatures(50, seed=3, noise=4.0)
    beta = 0.9
    got = E.ewa(theta, beta)
    v, want, want_c = 0.0, [], []
    for i, th in enumerate(theta):
        v = beta * v + (1 - beta) * th
        want.append(v)
        want_c.append(v / (1 - beta ** (i + 1)))
    assert got.v == pytest.approx(want, rel=1e-12)
    assert got.corrected == pytest.approx(want_c, rel=1e-12)


def test_bias_correction_fixes_the_cold_start() -> None:
    theta = E.temperatures(200, seed=0, noise=0.5)
    avg = E.ewa(theta, 0.98)
    # Uncorrected starts near 0 (2% of the first value); corrected starts on the series.
    assert abs(avg.v[0]) < 0.05 * abs(theta[0]) + 1e-9
    assert avg.corrected[0] == pytest.approx(theta[0])
    for t in range(5):
        assert abs(avg.corrected[t] - theta[t]) < 2.0
        assert abs(avg.v[t]) < 0.2 * abs(theta[t])
    # Late in the series the correction no longer matters.
    assert avg.v[-1] == pytest.approx(avg.corrected[-1], rel=0.02)


def test_series_is_seeded_and_noisy() -> None:
    a = E.temperatures(100, seed=1, noise=3.0)
    assert a == E.temperatures(100, seed=1, noise=3.0)
    assert a != E.temperatures(100, seed=2, noise=3.0)
    clean = E.temperatures(100, seed=1, noise=0.0)
    assert clean[0] == pytest.approx(E.MEAN - E.SWING, abs=0.1)
