"""THE size formula: its text, and a property sweep against torch itself.

The sweep draws input size, kernel, stride, padding, dilation, groups, channels
and ceil_mode; `infer` must call a layer valid exactly when torch's forward on a
tiny real tensor does not raise, and then give torch's output shape.
"""

from __future__ import annotations

from typing import Any

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from server.net.core.formula import Axis, conv_out, formula_2d, formula_text, span
from server.net.core.shapes import infer
from server.net.core.spec import NetworkSpec


def test_textbook_formula_text() -> None:
    assert formula_text(Axis(n=28, f=5, p=2, s=1)) == "floor((28 + 2*2 - 5)/1) + 1 = 28"


def test_inexact_division_says_floored() -> None:
    text = formula_text(Axis(n=28, f=3, p=0, s=2))
    assert text.startswith("floor((28 + 2*0 - 3)/2) + 1 = 13")
    assert "25/2 = 12.5 is not exact: floored" in text


def test_ceil_mode_says_rounded_up() -> None:
    text = formula_text(Axis(n=28, f=3, p=0, s=2, ceil_mode=True))
    assert text.startswith("ceil((28 + 2*0 - 3)/2) + 1 = 14")
    assert "rounded up" in text


def test_ceil_mode_dropping_a_window_in_the_padding_says_so() -> None:
    # n=5, f=2, p=1, s=2: ceil((5+2-2)/2)+1 = 4, but the 4th window starts at 6 >= 5+1
    axis = Axis(n=5, f=2, p=1, s=2, ceil_mode=True)
    assert conv_out(axis) == 3
    assert "dropped" in formula_text(axis)
    assert nn.MaxPool2d(2, 2, 1, ceil_mode=True)(torch.zeros(1, 1, 5, 5)).shape[-1] == 3


def test_dilated_formula_text() -> None:
    text = formula_text(Axis(n=10, f=3, p=0, s=1, d=2))
    assert text == "floor((10 + 2*0 - 2*(3-1) - 1)/1) + 1 = 6"


def test_formula_2d_one_per_axis_when_they_differ() -> None:
    h, w = Axis(8, 3, 0, 1), Axis(9, 3, 0, 1)
    assert formula_2d(h, h) == formula_text(h)
    assert formula_2d(h, w).startswith("H: floor((8 ") and "; W: floor((9 " in formula_2d(h, w)


def test_conv_out_equals_torch_on_a_grid() -> None:
    for n in range(1, 9):
        for f in range(1, 4):
            for s in range(1, 4):
                for p in range(0, f // 2 + 1):
                    axis = Axis(n, f, p, s)
                    if n + 2 * p < f:
                        continue
                    got = nn.MaxPool2d(f, s, p)(torch.zeros(1, 1, n, n)).shape[-1]
                    assert conv_out(axis) == got, axis


# --- the property sweep ------------------------------------------------------------

sizes = st.integers(1, 12)
small = st.integers(1, 5)


@st.composite
def conv_layers(draw: st.DrawFn) -> tuple[int, dict[str, Any]]:
    # Mostly channels that groups divide, sometimes any: both sides of torch's check.
    groups = draw(st.sampled_from([1, 1, 2, 3, 4]))
    fits = draw(st.integers(0, 4)) > 0
    in_c = groups * draw(st.integers(1, 3)) if fits else draw(st.integers(1, 6))
    layer: dict[str, Any] = {
        "type": "conv2d",
        "out_channels": groups * draw(st.integers(1, 3)) if fits else draw(st.integers(1, 6)),
        "kernel_size": draw(small | st.tuples(small, small)),
        "stride": draw(st.integers(1, 3) | st.tuples(st.integers(1, 3), st.integers(1, 3))),
        "padding": draw(
            st.integers(0, 3)
            | st.tuples(st.integers(0, 3), st.integers(0, 3))
            | st.sampled_from(["same", "valid"])
        ),
        "dilation": draw(st.integers(1, 3) | st.tuples(st.integers(1, 3), st.integers(1, 3))),
        "groups": groups,
        "bias": draw(st.booleans()),
    }
    return in_c, layer


@st.composite
def pool_layers(draw: st.DrawFn) -> tuple[int, dict[str, Any]]:
    kind = draw(st.sampled_from(["maxpool2d", "avgpool2d"]))
    layer: dict[str, Any] = {
        "type": kind,
        "kernel_size": draw(small | st.tuples(small, small)),
        "stride": draw(
            st.none() | st.integers(1, 3) | st.tuples(st.integers(1, 3), st.integers(1, 3))
        ),
        "padding": draw(st.integers(0, 2) | st.tuples(st.integers(0, 2), st.integers(0, 2))),
        "ceil_mode": draw(st.booleans()),
    }
    if kind == "maxpool2d":
        layer["dilation"] = draw(
            st.integers(1, 3) | st.tuples(st.integers(1, 3), st.integers(1, 3))
        )
    else:
        layer["count_include_pad"] = draw(st.booleans())
    return draw(st.integers(1, 3)), layer


def _torch_layer(layer: dict[str, Any], in_c: int) -> nn.Module:
    """The torch module, written here independently of build.py."""

    def t(v: Any) -> Any:
        return tuple(v) if isinstance(v, list | tuple) else v

    args = {k: t(v) for k, v in layer.items() if k != "type"}
    if layer["type"] == "conv2d":
        out_c = args.pop("out_channels")
        return nn.Conv2d(in_c, out_c, **args)
    cls = nn.MaxPool2d if layer["type"] == "maxpool2d" else nn.AvgPool2d
    return cls(**args)


def _agree(in_c: int, h: int, w: int, layer: dict[str, Any]) -> None:
    spec = NetworkSpec.model_validate(
        {"input": {"channels": in_c, "height": h, "width": w}, "layers": [layer]}
    )
    report = infer(spec)
    try:
        out = _torch_layer(layer, in_c)(torch.zeros(1, in_c, h, w))
    except (RuntimeError, ValueError) as exc:
        assert not report.valid, f"torch refuses ({exc}) but infer says {report.output_shape}"
        assert report.error is not None and report.error["layer"] == "layers.0"
        return
    assert report.valid, f"torch gives {list(out.shape[1:])} but infer says {report.error}"
    assert report.output_shape == list(out.shape[1:])


@pytest.mark.slow  # ~3 s alone, over 10 s on a busy machine
@pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")
@settings(max_examples=300, deadline=None)
@given(conv_layers(), sizes, sizes)
def test_conv2d_valid_exactly_when_torch_runs(drawn: tuple[int, dict], h: int, w: int) -> None:
    in_c, layer = drawn
    _agree(in_c, h, w, layer)


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(pool_layers(), sizes, sizes)
def test_pool2d_valid_exactly_when_torch_runs(drawn: tuple[int, dict], h: int, w: int) -> None:
    in_c, layer = drawn
    _agree(in_c, h, w, layer)


@pytest.mark.parametrize(("f", "d"), [(1, 1), (3, 1), (3, 2), (5, 3)])
def test_span_is_the_smallest_input_a_dilated_kernel_fits(f: int, d: int) -> None:
    conv = torch.nn.Conv2d(1, 1, f, dilation=d)
    assert conv(torch.zeros(1, 1, span(f, d), span(f, d))).shape[-2:] == (1, 1)
    if span(f, d) > 1:
        with pytest.raises(RuntimeError):
            conv(torch.zeros(1, 1, span(f, d) - 1, span(f, d) - 1))


def test_transposed_formula_text_writes_the_layers_numbers() -> None:
    from server.net.core.formula import transposed_2d, transposed_out, transposed_text

    a = Axis(n=14, f=3, p=1, s=2)
    assert (
        transposed_out(a, 1)
        == 28
        == tuple(nn.ConvTranspose2d(1, 1, 3, 2, 1, 1)(torch.zeros(1, 1, 14, 14)).shape)[-1]
    )
    assert transposed_text(a, 1) == "(14 - 1)*2 - 2*1 + 1*(3 - 1) + 1 + 1 = 28"
    b = Axis(n=5, f=2, p=0, s=2, d=3)
    assert transposed_2d(a, b, (1, 0)).startswith("H: (14 - 1)*2")
    assert transposed_2d(a, b, (1, 0)).endswith("W: (5 - 1)*2 - 2*0 + 3*(2 - 1) + 0 + 1 = 12")
