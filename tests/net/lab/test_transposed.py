"""server/net/lab/transposed.py: the spread of each input value, checked against torch
and against the definition (value * kernel added at (i*s - p, j*s - p))."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from server.net.lab import transposed as T


def by_definition(x: torch.Tensor, k: torch.Tensor, s: int, p: int, op: int) -> torch.Tensor:
    """Stamp value * kernel for every input cell onto a big canvas, then crop p."""
    n, f = x.shape[0], k.shape[0]
    full = (n - 1) * s + f + op
    canvas = torch.zeros(full, full)
    for i in range(n):
        for j in range(n):
            canvas[i * s : i * s + f, j * s : j * s + f] += x[i, j] * k
    return canvas[p : full - p, p : full - p]


CASES = [(3, 3, 2, 0, 0), (4, 2, 2, 0, 0), (3, 3, 2, 1, 1), (5, 4, 3, 1, 2), (2, 1, 1, 0, 0)]


@pytest.mark.parametrize(("n", "f", "s", "p", "op"), CASES)
def test_output_is_torchs_and_the_definition(n: int, f: int, s: int, p: int, op: int) -> None:
    x, k = T.values("random", n, 3), T.values("random", f, 4)
    out = T.spread(x, k, s, p, op)
    ref = nn.ConvTranspose2d(1, 1, f, s, p, op, bias=False)
    with torch.no_grad():
        ref.weight.copy_(k[None, None])
        want = ref(x[None, None])[0, 0]
    assert torch.equal(out.output, want)
    assert torch.allclose(out.output, by_definition(x, k, s, p, op))
    assert torch.equal(out.steps[-1], out.output)  # all cells stamped
    assert out.steps.shape == (n * n, *want.shape)


def test_steps_add_one_window_at_a_time() -> None:
    x, k = T.values("ramp", 3), T.values("ones", 3)
    out = T.spread(x, k, 2, 0, 0)
    first = out.steps[0]
    assert first[:3, :3].eq(1).all() and first.sum() == 9  # value 1 over the first window
    second = out.steps[1] - out.steps[0]  # value 2 at (0, 2)..(2, 4)
    assert second[:3, 2:5].eq(2).all() and second.sum() == 18


def test_overlap_is_a_checkerboard_when_f_is_not_a_multiple_of_s() -> None:
    out = T.spread(T.values("ones", 4), T.values("ones", 3), 2, 0, 0)
    assert out.checkerboard
    inner = out.overlap[2:6, 2:6]  # away from the border
    assert inner.tolist() == [[4, 2, 4, 2], [2, 1, 2, 1], [4, 2, 4, 2], [2, 1, 2, 1]]
    even = T.spread(T.values("ones", 4), T.values("ones", 2), 2, 0, 0)
    assert not even.checkerboard and even.overlap.eq(1).all()  # the windows tile exactly
    assert out.formula == "(4 - 1)*2 - 2*0 + 1*(3 - 1) + 0 + 1 = 9"


def test_impossible_numbers_name_the_field() -> None:
    with pytest.raises(T.SpreadError, match="output_padding: must be less than the stride"):
        T.spread(T.values("ones", 3), T.values("ones", 3), 2, 0, 2)
    with pytest.raises(T.SpreadError, match="padding: the output would be"):
        T.spread(T.values("ones", 1), T.values("ones", 1), 1, 1, 0)
