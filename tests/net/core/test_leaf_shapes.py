"""leaf_shapes: each leaf rule's shape, parameters and window against torch's own layers."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from server.net.core import spec as S
from server.net.core.leaf_shapes import LEAF_RULES, pair, sequence_shape


def _params(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


@pytest.mark.parametrize(
    ("kernel", "stride", "padding", "dilation", "groups"),
    [(3, 1, 1, 1, 1), ((3, 5), 2, (1, 2), 1, 2), (3, 1, 0, 2, 1), (1, (2, 1), 0, 1, 4)],
)
def test_conv_rule_equals_torch(kernel, stride, padding, dilation, groups) -> None:
    layer = S.Conv2d(
        out_channels=8,
        kernel_size=kernel,
        stride=stride,
        padding=padding,
        dilation=dilation,
        groups=groups,
    )
    out = LEAF_RULES["conv2d"](layer, (4, 17, 13), {})
    conv = nn.Conv2d(4, 8, kernel, stride, padding, dilation, groups)
    want = conv(torch.zeros(1, 4, 17, 13)).shape[1:]
    assert out.shape == tuple(want) and out.params == _params(conv)
    (fh, fw), (dh, dw) = pair(kernel), pair(dilation)
    assert out.window[:2] == (dh * (fh - 1) + 1, dw * (fw - 1) + 1)  # what one output sees
    assert out.macs == want.numel() * (4 // groups) * fh * fw


def test_pool_and_recurrent_rules_equal_torch() -> None:
    pool = LEAF_RULES["maxpool2d"](
        S.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True), (2, 8, 8), {}
    )
    want = nn.MaxPool2d(3, 2, ceil_mode=True)(torch.zeros(1, 2, 8, 8)).shape[1:]
    assert pool.shape == tuple(want) and pool.params == 0
    lstm = S.LSTM(hidden_size=6, num_layers=2, bidirectional=True, output="sequence")
    out = LEAF_RULES["lstm"](lstm, (1, 5, 7), {})  # an image: 5 rows of 1*7 values
    rnn = nn.LSTM(7, 6, num_layers=2, bidirectional=True, batch_first=True)
    assert sequence_shape((1, 5, 7)) == (5, 7)
    assert out.shape == tuple(rnn(torch.zeros(1, 5, 7))[0].shape[1:])
    assert out.params == _params(rnn)


def test_rules_refuse_with_a_reason() -> None:
    with pytest.raises(ValueError, match="larger than the padded input"):
        LEAF_RULES["conv2d"](S.Conv2d(out_channels=1, kernel_size=3, dilation=2), (1, 4, 4), {})
    with pytest.raises(ValueError, match="move it before the flatten"):
        LEAF_RULES["conv2d"](S.Conv2d(out_channels=1, kernel_size=1), (10,), {})
    with pytest.raises(ValueError, match="sequence"):
        sequence_shape((10,))


def test_depthwise_conv_is_one_group_per_channel() -> None:
    out = LEAF_RULES["conv2d"](
        S.Conv2d(out_channels=8, kernel_size=3, groups="depthwise"), (4, 9, 9), {}
    )
    conv = nn.Conv2d(4, 8, 3, groups=4)
    assert out.shape == (8, 7, 7) and out.params == _params(conv) == 8 * 9 + 8
    assert out.variant == "depthwise"
    assert out.formula.startswith("depthwise: each of the 4 channels gets 2 filters of its own; ")
    # an int equal to the channels is depthwise too; a smaller one is grouped
    same = LEAF_RULES["conv2d"](S.Conv2d(out_channels=4, kernel_size=3, groups=4), (4, 9, 9), {})
    assert same.variant == "depthwise" and "gets its own filter" in same.formula
    grouped = LEAF_RULES["conv2d"](S.Conv2d(out_channels=4, kernel_size=3, groups=2), (4, 9, 9), {})
    assert grouped.variant is None and grouped.formula.startswith("2 groups of 2 channels; ")
    with pytest.raises(ValueError, match=r"depthwise: out_channels \(6\) must be a multiple"):
        LEAF_RULES["conv2d"](
            S.Conv2d(out_channels=6, kernel_size=3, groups="depthwise"), (4, 9, 9), {}
        )


@pytest.mark.parametrize("shape", [(6, 5, 7), (6, 11)])
def test_norm_rules_equal_torch(shape: tuple[int, ...]) -> None:
    gn = LEAF_RULES["groupnorm"](S.GroupNorm(num_groups=3), shape, {})
    assert gn.shape == shape and gn.params == _params(nn.GroupNorm(3, 6))
    for over, axes in (("all", list(shape)), ("last", [shape[-1]])):
        ln = LEAF_RULES["layernorm"](S.LayerNorm(over=over), shape, {})
        assert ln.shape == shape and ln.params == _params(nn.LayerNorm(axes))
    plain = LEAF_RULES["layernorm"](S.LayerNorm(elementwise_affine=False), shape, {})
    assert plain.params == 0
    with pytest.raises(ValueError, match=r"num_groups=4 must divide the channels \(6\)"):
        LEAF_RULES["groupnorm"](S.GroupNorm(num_groups=4), shape, {})
    with pytest.raises(ValueError, match="use layernorm on features"):
        LEAF_RULES["groupnorm"](S.GroupNorm(num_groups=1), (6,), {})
