"""The nn.Modules that blocks and recurrent layers build into.

Their attribute names are the path segments of the spec (`layers`, `body`,
`shortcut`, `branches`), so `named_modules()` yields the layer paths.
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn


class Group(nn.Module):
    """A named `sequential` block."""

    def __init__(self, layers: list[nn.Module]) -> None:
        super().__init__()
        self.layers = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)


class Network(Group):
    """The whole network: `layers.0`, `layers.1`, ... are its layer paths."""


def _merge(outputs: list[torch.Tensor], merge: Literal["add", "concat", "mul"]) -> torch.Tensor:
    if merge == "add":
        total = outputs[0]
        for out in outputs[1:]:
            total = total + out
        return total
    if merge == "mul":  # broadcasts: (N, C, H, W) * (N, C, 1, 1), squeeze-and-excitation
        product = outputs[0]
        for out in outputs[1:]:
            product = product * out
        return product
    return torch.cat(outputs, dim=1)  # (N, C1 + C2 + ..., H, W)


class Residual(nn.Module):
    """merge(shortcut(x), body(x)); an empty shortcut is the identity."""

    def __init__(
        self,
        body: list[nn.Module],
        shortcut: list[nn.Module],
        merge: Literal["add", "concat", "mul"],
    ) -> None:
        super().__init__()
        self.body = nn.Sequential(*body)
        self.shortcut = nn.Sequential(*shortcut)
        self.merge = merge

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # shortcut first, then body: concat gives (N, C_in + C_new, H, W), torchvision's
        # DenseNet order (issue 17); the shapes report merges in the same order.
        return _merge([self.shortcut(x), self.body(x)], self.merge)


class Parallel(nn.Module):
    """Branches on the same input, merged (an Inception module)."""

    def __init__(
        self, branches: list[list[nn.Module]], merge: Literal["add", "concat", "mul"]
    ) -> None:
        super().__init__()
        self.branches = nn.ModuleList(nn.Sequential(*b) for b in branches)
        self.merge = merge

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _merge([branch(x) for branch in self.branches], self.merge)


class Recurrent(nn.Module):
    """An LSTM or GRU over a sequence axis, batch first.

    (N, T, F) is read as is; an image (N, C, H, W) as H steps of C*W values.
    Returns the last step (N, H*dirs) or every step (N, T, H*dirs).
    """

    def __init__(
        self,
        kind: Literal["lstm", "gru"],
        features: int,
        hidden_size: int,
        num_layers: int,
        bidirectional: bool,
        output: Literal["sequence", "last"],
    ) -> None:
        super().__init__()
        cls = nn.LSTM if kind == "lstm" else nn.GRU
        self.rnn = cls(
            features, hidden_size, num_layers, batch_first=True, bidirectional=bidirectional
        )
        self.output = output

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() == 4:
            n, c, h, w = x.shape
            x = x.permute(0, 2, 1, 3).reshape(n, h, c * w)  # rows become time steps
        out, _ = self.rnn(x)  # (N, T, H*dirs)
        return out if self.output == "sequence" else out[:, -1]
