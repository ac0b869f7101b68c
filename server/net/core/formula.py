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


# --- the transposed convolution: the same numbers, the other way round ---------------
#
#     out = (n - 1)s - 2p + d(f - 1) + output_padding + 1
#
# Each of the n inputs is spread over a window of d(f-1)+1 outputs, the windows s apart;
# p is cropped from both ends and output_padding added at the end (issue 16).


def transposed_out(axis: Axis, output_padding: int = 0) -> int:
    """Output size along one axis of a transposed conv, exactly as torch computes it."""
    return (axis.n - 1) * axis.s - 2 * axis.p + axis.d * (axis.f - 1) + output_padding + 1


def transposed_text(axis: Axis, output_padding: int = 0) -> str:
    """`(14 - 1)*2 - 2*1 + 1*(3 - 1) + 1 + 1 = 28`: the formula with the layer's numbers."""
    out = transposed_out(axis, output_padding)
    return (
        f"({axis.n} - 1)*{axis.s} - 2*{axis.p} + {axis.d}*({axis.f} - 1) "
        f"+ {output_padding} + 1 = {out}"
    )


def transposed_2d(h: Axis, w: Axis, output_padding: tuple[int, int]) -> str:
    """One formula when both axes share their numbers, else one per axis."""
    if h == w and output_padding[0] == output_padding[1]:
        return transposed_text(h, output_padding[0])
    return f"H: {transposed_text(h, output_padding[0])}; W: {transposed_text(w, output_padding[1])}"
