"""The block and recurrent modules, checked against plain torch."""

from __future__ import annotations

import torch
from torch import nn

from server.net.core.modules import Group, Network, Parallel, Recurrent, Residual


def test_residual_adds_or_concats_shortcut_then_body() -> None:
    x = torch.randn(2, 3, 4, 4)
    body = nn.Conv2d(3, 3, 1)
    added = Residual([body], [], "add")
    assert torch.allclose(added(x), body(x) + x)
    joined = Residual([body], [], "concat")
    assert torch.equal(joined(x), torch.cat([x, body(x)], dim=1))  # (2, 3 + 3, 4, 4)


def test_dense_layer_is_torchvisions_input_then_new_features() -> None:
    """A DenseNet layer built by cnnplay equals torchvision's forward written by hand:
    cat([x, conv2(relu(norm2(conv1(relu(norm1(x))))))]) (issue 17)."""
    torch.manual_seed(0)
    norm1, conv1 = nn.BatchNorm2d(6), nn.Conv2d(6, 8, 1, bias=False)
    norm2, conv2 = nn.BatchNorm2d(8), nn.Conv2d(8, 2, 3, padding=1, bias=False)
    for bn in (norm1, norm2):  # eval-mode statistics that are not the identity
        bn.running_mean.uniform_(-0.5, 0.5)
        bn.running_var.uniform_(0.5, 2.0)
    layer = Residual([norm1, nn.ReLU(), conv1, norm2, nn.ReLU(), conv2], [], "concat").eval()
    x = torch.randn(2, 6, 5, 5)
    with torch.no_grad():
        new = conv2(torch.relu(norm2(conv1(torch.relu(norm1(x))))))
        assert torch.equal(layer(x), torch.cat([x, new], dim=1))  # (2, 6 + 2, 5, 5)


def test_parallel_and_group_and_network() -> None:
    x = torch.randn(2, 3, 4, 4)
    par = Parallel([[nn.Identity()], [nn.Conv2d(3, 5, 1)]], "concat")
    assert par(x).shape == (2, 8, 4, 4)
    assert torch.equal(Group([])(x), x)
    net = Network([nn.Flatten(), nn.Linear(48, 2)])
    assert net(x).shape == (2, 2)
    assert [n for n, _ in net.named_modules()][1:] == ["layers", "layers.0", "layers.1"]


def test_recurrent_reads_image_rows_as_steps() -> None:
    torch.manual_seed(0)
    rec = Recurrent("gru", 3 * 5, 4, 1, False, "sequence")
    x = torch.randn(2, 3, 6, 5)  # (N, C, H, W): 6 steps of 3*5 values
    rows = x.permute(0, 2, 1, 3).reshape(2, 6, 15)
    expect, _ = rec.rnn(rows)
    assert torch.allclose(rec(x), expect)
    last = Recurrent("lstm", 15, 4, 2, True, "last")
    assert last(x).shape == (2, 8)
