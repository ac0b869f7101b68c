"""Shape rules of the layers that make an image larger: conv_transpose2d and upsample.

Their windows step a fraction of an input pixel per output pixel (a Fraction stride in
the receptive-field walk of shapes.py): after a x2 upsample a 3x3 conv sees 1.5 input
pixels across, not 3 (issue 16).
"""

from __future__ import annotations

from fractions import Fraction

from server.net.core import spec as S
from server.net.core.formula import Axis, span, transposed_2d, transposed_out
from server.net.core.shape_types import Memo, Shape, _Out, need_image, pair


def _ratio(num: int, den: int) -> int | Fraction:
    """num/den, as an int when it divides (the walk stays on ints where it can)."""
    return num // den if num % den == 0 else Fraction(num, den)


def _conv_transpose2d(layer: S.ConvTranspose2d, shape: Shape, memo: Memo) -> _Out:
    c, h, w = need_image(shape, "conv_transpose2d")
    g = layer.groups
    if c % g or layer.out_channels % g:
        raise ValueError(
            f"groups={g} must divide both the input channels ({c}) and "
            f"out_channels ({layer.out_channels})"
        )
    (fh, fw), (sh, sw), (ph, pw), (dh, dw), (oph, opw) = map(
        pair, (layer.kernel_size, layer.stride, layer.padding, layer.dilation, layer.output_padding)
    )
    ah, aw = Axis(h, fh, ph, sh, dh), Axis(w, fw, pw, sw, dw)
    for a, op, name in ((ah, oph, "height"), (aw, opw, "width")):
        if op >= max(a.s, a.d):
            raise ValueError(
                f"output_padding {op} ({name}) must be less than the stride ({a.s}) or "
                f"the dilation ({a.d})"
            )
        out = transposed_out(a, op)
        if out < 1:
            raise ValueError(
                f"the output {name} would be {out} = ({a.n} - 1)*{a.s} - 2*{a.p} + "
                f"{a.d}*({a.f} - 1) + {op} + 1; lower the padding"
            )
    oh, ow = transposed_out(ah, oph), transposed_out(aw, opw)
    # In input pixels, one output sees (span - 1)/s + 1 inputs, and the next output
    # is 1/s of an input pixel further.
    window = (
        _ratio(span(fh, dh) - 1, sh) + 1,
        _ratio(span(fw, dw) - 1, sw) + 1,
        _ratio(1, sh),
        _ratio(1, sw),
    )
    per_in = (layer.out_channels // g) * fh * fw  # each input value meets these weights
    params = c * per_in + (layer.out_channels if layer.bias else 0)
    return _Out(
        (layer.out_channels, oh, ow),
        params,
        c * h * w * per_in,
        window,
        transposed_2d(ah, aw, (oph, opw)),
    )


def _upsample(layer: S.Upsample, shape: Shape, memo: Memo) -> _Out:
    c, h, w = need_image(shape, "upsample")
    if layer.size is not None:
        oh, ow = pair(layer.size)
        how = f"to {oh} x {ow}"
    else:
        kh, kw = pair(layer.scale_factor or 1)
        oh, ow = h * kh, w * kw
        how = f"x{kh}" if kh == kw else f"x{kh} (height), x{kw} (width)"
    taps = 1 if layer.mode == "nearest" else 2  # input pixels one output blends, per axis
    window = (taps, taps, _ratio(h, oh), _ratio(w, ow))
    formula = f"{layer.mode} {how}: {h} x {w} -> {oh} x {ow}"
    return _Out((c, oh, ow), window=window, formula=formula)


UPSAMPLING_RULES = {"conv_transpose2d": _conv_transpose2d, "upsample": _upsample}
