"""THE output-size formula, written once for conv and pool alike.

    out = floor((n + 2p - d(f-1) - 1) / s) + 1          (ceil with ceil_mode)

and the same formula written out with a layer's own numbers, so a learner can
follow it. Pure arithmetic on Python ints: answers instantly for any size.
"""

from __future__ import annotations

from dataclasses import dataclass


def span(f: int, d: int = 1) -> int:
    """The cells a kernel of size f with dilation d covers: d(f-1) + 1."""
    return d * (f - 1) + 1


@dataclass(frozen=True)
class Axis:
    """The numbers of one spatial axis of a conv or pool layer."""

    n: int  # input size
    f: int  # kernel size
    p: int  # padding on each side
    s: int  # stride
    d: int = 1  # dilation
    ceil_mode: bool = False

    @property
    def effective_kernel(self) -> int:
        return span(self.f, self.d)

    @property
    def padded(self) -> int:
        return self.n + 2 * self.p


def conv_out(axis: Axis) -> int:
    """Output size along one axis, exactly as torch computes it.

    With ceil_mode torch also drops a last window that would start in the
    right padding; the result may be < 1, which callers report as an error.
    """
    span = axis.padded - axis.effective_kernel
    if axis.ceil_mode:
        out = -(-span // axis.s) + 1  # ceil division
        if (out - 1) * axis.s >= axis.n + axis.p:
            out -= 1
        return out
    return span // axis.s + 1  # Python's // floors, like torch's div_rtn


def formula_text(axis: Axis) -> str:
    """`floor((28 + 2*2 - 5)/1) + 1 = 28`, saying when the division was rounded."""
    kernel = f"{axis.f}" if axis.d == 1 else f"{axis.d}*({axis.f}-1) - 1"
    numerator = axis.padded - axis.effective_kernel
    op = "ceil" if axis.ceil_mode else "floor"
    out = conv_out(axis)
    text = f"{op}(({axis.n} + 2*{axis.p} - {kernel})/{axis.s}) + 1 = {out}"
    if numerator % axis.s:
        how = "rounded up" if axis.ceil_mode else "floored"
        text += f"  ({numerator}/{axis.s} = {numerator / axis.s:g} is not exact: {how})"
    if axis.ceil_mode and out == -(-numerator // axis.s):
        text += "  (the last window would start in the padding, so it is dropped)"
    return text


def formula_2d(h: Axis, w: Axis) -> str:
    """One formula when both axes share their numbers, else one per axis."""
    if h == w:
        return formula_text(h)
    return f"H: {formula_text(h)}; W: {formula_text(w)}"
