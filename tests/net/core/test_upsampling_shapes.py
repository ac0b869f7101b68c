"""conv_transpose2d and upsample: shapes, parameters, MACs and outputs against torch."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest
import torch
from hypothesis import example, given, settings
from hypothesis import strategies as st
from torch import nn

from server.net.core import spec as S
from server.net.core.build import build_module
from server.net.core.leaf_shapes import LEAF_RULES
from server.net.core.shapes import infer
from tests.net.core.test_shapes import IMAGE, check_against_torch, spec_of

TRANSPOSED = [
    {"type": "conv_transpose2d", "out_channels": 6, "kernel_size": 2, "stride": 2},
    {"type": "conv_transpose2d", "out_channels": 6, "kernel_size": 3, "stride": 2, "padding": 1,
     "output_padding": 1},
    {"type": "conv_transpose2d", "out_channels": 4, "kernel_size": [3, 4], "stride": [1, 3],
     "padding": [0, 1], "dilation": [2, 1], "groups": 2, "bias": False},
    {"type": "conv_transpose2d", "out_channels": 8, "kernel_size": 1},
]  # fmt: skip
UPSAMPLES = [
    {"type": "upsample"},
    {"type": "upsample", "scale_factor": [2, 3], "mode": "bilinear"},
    {"type": "upsample", "size": [20, 7], "mode": "bilinear", "align_corners": True},
    {"type": "upsample", "size": 5},
]


@pytest.mark.parametrize("layer", TRANSPOSED + UPSAMPLES, ids=lambda x: str(sorted(x.items())))
def test_shapes_and_params_match_torch(layer: dict[str, Any]) -> None:
    check_against_torch(spec_of([layer], IMAGE))


def test_transposed_conv_is_torchs_and_counts_macs() -> None:
    layer = S.ConvTranspose2d(out_channels=6, kernel_size=3, stride=2, padding=1, groups=2)
    out = LEAF_RULES["conv_transpose2d"](layer, (4, 5, 7), {})
    torch.manual_seed(0)
    ref = nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, groups=2)
    x = torch.randn(1, 4, 5, 7)
    assert out.shape == tuple(ref(x).shape[1:]) == (6, 9, 13)
    assert out.params == sum(p.numel() for p in ref.parameters())
    # every input value meets (6 / 2) * 3 * 3 weights
    assert out.macs == 4 * 5 * 7 * 3 * 9
    spec = spec_of([layer.model_dump()], (4, 5, 7))
    built = build_module(spec)
    built.layers[0].load_state_dict(ref.state_dict())
    assert torch.equal(built(x), ref(x))
    text = infer(spec).layers[0].formula
    assert (
        text
        == "H: (5 - 1)*2 - 2*1 + 1*(3 - 1) + 0 + 1 = 9; W: (7 - 1)*2 - 2*1 + 1*(3 - 1) + 0 + 1 = 13"
    )


def test_upsample_outputs_are_torchs() -> None:
    x = torch.randn(2, 3, 4, 5)
    for layer, ref in [
        ({"type": "upsample"}, nn.Upsample(scale_factor=2)),
        ({"type": "upsample", "size": [7, 9], "mode": "bilinear"},
         nn.Upsample(size=(7, 9), mode="bilinear", align_corners=False)),
        ({"type": "upsample", "scale_factor": 3, "mode": "bilinear", "align_corners": True},
         nn.Upsample(scale_factor=3, mode="bilinear", align_corners=True)),
    ]:  # fmt: skip
        got = build_module(spec_of([layer], (3, 4, 5)))(x)
        assert torch.equal(got, ref(x))
    row = infer(spec_of([{"type": "upsample", "scale_factor": [2, 3]}], (3, 4, 5))).layers[0]
    assert row.formula == "nearest x2 (height), x3 (width): 4 x 5 -> 8 x 15"


def test_upsample_needs_one_of_scale_or_size() -> None:
    assert S.Upsample(size=4).scale_factor is None
    assert S.Upsample().scale_factor == 2
    with pytest.raises(ValueError, match="not both"):
        S.Upsample(size=4, scale_factor=2)
    with pytest.raises(ValueError, match="set scale_factor or size"):
        S.Upsample(scale_factor=None)
    with pytest.raises(ValueError, match="for mode .bilinear. only"):
        S.Upsample(align_corners=True)
    # a dumped layer validates again (scale_factor null beside a size)
    assert S.Upsample.model_validate(S.Upsample(size=4).model_dump()) == S.Upsample(size=4)


def test_bad_transposed_convs_say_why() -> None:
    with pytest.raises(ValueError, match="output_padding 2 .* less than the stride"):
        LEAF_RULES["conv_transpose2d"](
            S.ConvTranspose2d(out_channels=1, kernel_size=3, stride=2, output_padding=2),
            (1, 4, 4),
            {},
        )
    with pytest.raises(ValueError, match="would be -1"):
        LEAF_RULES["conv_transpose2d"](
            S.ConvTranspose2d(out_channels=1, kernel_size=1, padding=1), (1, 1, 1), {}
        )
    report = infer(spec_of([{"type": "flatten"}, {"type": "upsample"}], (1, 4, 4)))
    assert report.error["layer"] == "layers.1" and "needs an image" in report.error["message"]


def test_receptive_field_after_upsampling_counts_input_pixels() -> None:
    # x2 nearest then a 3x3 conv: the conv's 3 outputs-apart taps are 1.5 input pixels
    spec = spec_of(
        [{"type": "upsample"}, {"type": "conv2d", "out_channels": 1, "kernel_size": 3}], (1, 8, 8)
    )
    rows = infer(spec).layers
    assert rows[0].receptive_field == [1, 1] and rows[1].receptive_field == [2, 2]  # ceil(2)
    out = LEAF_RULES["upsample"](S.Upsample(size=[3, 12]), (1, 4, 4), {})
    assert out.window == (1, 1, Fraction(4, 3), Fraction(1, 3))


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 9),
    f=st.integers(1, 5),
    s=st.integers(1, 4),
    p=st.integers(0, 3),
    d=st.integers(1, 3),
    op=st.integers(0, 3),
)
@example(n=1, f=4, s=1, p=2, d=1, op=0)  # an output of size 0
def test_transposed_formula_sweep_against_torch(
    n: int, f: int, s: int, p: int, d: int, op: int
) -> None:
    """Valid exactly when torch runs it to a non-empty output, and then torch's size. An
    output of size 0 is an error either way: torch raises on it with grad on or in float64,
    but under no_grad its float32 kernel returns an empty tensor (CI drew n=1, f=4, p=2)."""
    spec = spec_of(
        [{"type": "conv_transpose2d", "out_channels": 1, "kernel_size": f, "stride": s,
          "padding": p, "dilation": d, "output_padding": op}],
        (1, n, n),
    )  # fmt: skip
    report = infer(spec)
    try:
        with torch.no_grad():
            want = nn.ConvTranspose2d(1, 1, f, s, p, op, dilation=d)(torch.zeros(1, 1, n, n))
    except RuntimeError:
        assert not report.valid
        return
    if want.numel() == 0:
        assert not report.valid and "would be 0" in report.error["message"]
        return
    assert report.valid, report.error
    assert report.output_shape == list(want.shape[1:])
