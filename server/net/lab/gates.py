"""Gate activations of a network's first LSTM/GRU layer, unrolled step by step (issue 8).

torch's fused nn.LSTM / nn.GRU return only the hidden (and cell) states, so the gates are
recomputed here from the layer's own weights, in torch's gate order:

  LSTM  [i, f, g, o] = split(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh, 4)
        i, f, o = sigmoid(.), g = tanh(.);  c_t = f*c_{t-1} + i*g;  h_t = o*tanh(c_t)
  GRU   r = sigmoid(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)
        z = sigmoid(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)
        n = tanh(W_in x_t + b_in + r * (W_hn h_{t-1} + b_hn));  h_t = (1-z)*n + z*h_{t-1}

Only the first layer's forward direction is unrolled (a stacked or bidirectional layer is
traced there too, with a note); tests check h and c against torch's own outputs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import torch
from torch import nn

from server.net.core.modules import Recurrent

GATE_NAMES = {
    "lstm": ("input", "forget", "cell", "output"),  # i, f, g, o
    "gru": ("reset", "update", "new"),  # r, z, n
}


class NoRecurrentLayer(ValueError):
    """The network has no lstm/gru layer to trace."""


@dataclass
class Unrolled:
    gates: dict[str, torch.Tensor]  # name -> (T, H)
    h: torch.Tensor  # (T, H)
    c: torch.Tensor | None  # (T, H), LSTM only


@dataclass
class GateTrace:
    kind: Literal["lstm", "gru"]
    path: str  # the layer path of the traced lstm/gru
    steps: int  # T
    features: int  # F, values read per step
    hidden: int  # H
    params: int  # parameters of its first layer, one direction
    formula: str  # how `params` adds up
    inputs: torch.Tensor  # (T, F) what the layer read
    unrolled: Unrolled
    output: torch.Tensor  # the network's output for the image, (K,)
    notes: list[str] = field(default_factory=list)


def _layer0(rnn: nn.RNNBase) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    return rnn.weight_ih_l0, rnn.weight_hh_l0, rnn.bias_ih_l0, rnn.bias_hh_l0


@torch.no_grad()
def unroll_lstm(x: torch.Tensor, rnn: nn.LSTM) -> Unrolled:
    """x: (T, F). Zero initial state, like nn.LSTM without (h0, c0)."""
    w_ih, w_hh, b_ih, b_hh = _layer0(rnn)
    hidden = rnn.hidden_size
    h = x.new_zeros(hidden)
    c = x.new_zeros(hidden)
    pre_x = x @ w_ih.T + b_ih  # (T, 4H): the input half of every step at once
    rows: dict[str, list[torch.Tensor]] = {k: [] for k in ("i", "f", "g", "o", "h", "c")}
    for t in range(len(x)):
        i, f, g, o = (pre_x[t] + h @ w_hh.T + b_hh).chunk(4)  # torch's order: i, f, g, o
        i, f, g, o = i.sigmoid(), f.sigmoid(), g.tanh(), o.sigmoid()
        c = f * c + i * g
        h = o * c.tanh()
        for key, v in zip("ifgohc", (i, f, g, o, h, c), strict=True):
            rows[key].append(v)
    stack = {k: torch.stack(v) for k, v in rows.items()}  # each (T, H)
    names = GATE_NAMES["lstm"]
    return Unrolled(
        gates={n: stack[k] for n, k in zip(names, "ifgo", strict=True)},
        h=stack["h"],
        c=stack["c"],
    )


@torch.no_grad()
def unroll_gru(x: torch.Tensor, rnn: nn.GRU) -> Unrolled:
    """x: (T, F). Zero initial state, like nn.GRU without h0."""
    w_ih, w_hh, b_ih, b_hh = _layer0(rnn)
    h = x.new_zeros(rnn.hidden_size)
    pre_x = x @ w_ih.T + b_ih  # (T, 3H)
    rows: dict[str, list[torch.Tensor]] = {k: [] for k in ("r", "z", "n", "h")}
    for t in range(len(x)):
        xr, xz, xn = pre_x[t].chunk(3)  # torch's order: r, z, n
        hr, hz, hn = (h @ w_hh.T + b_hh).chunk(3)
        r = (xr + hr).sigmoid()
        z = (xz + hz).sigmoid()
        n = (xn + r * hn).tanh()  # the reset gate scales the hidden part only
        h = (1 - z) * n + z * h
        for key, v in zip("rznh", (r, z, n, h), strict=True):
            rows[key].append(v)
    stack = {k: torch.stack(v) for k, v in rows.items()}
    names = GATE_NAMES["gru"]
    return Unrolled(
        gates={n: stack[k] for n, k in zip(names, "rzn", strict=True)}, h=stack["h"], c=None
    )


def first_recurrent(module: nn.Module) -> tuple[str, Recurrent]:
    for path, m in module.named_modules():
        if isinstance(m, Recurrent):
            return path, m
    raise NoRecurrentLayer("the network has no lstm or gru layer to show gates for")


def as_sequence(x: torch.Tensor) -> torch.Tensor:
    """What Recurrent.forward reads: (N, T, F), an image (N, C, H, W) as H steps of C*W."""
    if x.dim() == 4:
        n, c, h, w = x.shape
        return x.permute(0, 2, 1, 3).reshape(n, h, c * w)
    return x


def param_formula(kind: str, features: int, hidden: int) -> tuple[int, str]:
    """Parameters of one direction of the first layer, and how they add up."""
    g = len(GATE_NAMES[kind])
    total = g * hidden * (features + hidden) + 2 * g * hidden
    text = (
        f"{g} gates x (input weights {hidden}x{features} + hidden weights {hidden}x{hidden}) "
        f"+ 2 biases x {g}x{hidden} = {g}*{hidden}*({features}+{hidden}) + {2 * g}*{hidden} "
        f"= {total:,}"
    )
    return total, text


@torch.no_grad()
def trace(module: nn.Module, image: torch.Tensor) -> GateTrace:
    """image: one input (C, H, W) or (T, F), already normalised. Runs the whole network
    (eval mode restored afterwards) and unrolls its first lstm/gru on the input it got."""
    path, layer = first_recurrent(module)
    seen: list[torch.Tensor] = []
    handle = layer.register_forward_pre_hook(lambda _m, args: seen.append(args[0].detach()))
    was_training = module.training
    module.eval()
    try:
        output = module(image.unsqueeze(0))[0]
    finally:
        handle.remove()
        module.train(was_training)
    x = as_sequence(seen[0])[0]  # (T, F)
    rnn = layer.rnn
    kind: Literal["lstm", "gru"] = "lstm" if isinstance(rnn, nn.LSTM) else "gru"
    unrolled = unroll_lstm(x, rnn) if kind == "lstm" else unroll_gru(x, rnn)  # type: ignore[arg-type]
    notes = []
    if rnn.num_layers > 1:
        notes.append(f"the layer stacks {rnn.num_layers} layers; the first is shown")
    if rnn.bidirectional:
        notes.append("the layer is bidirectional; the forward direction is shown")
    params, formula = param_formula(kind, x.shape[1], rnn.hidden_size)
    return GateTrace(
        kind=kind,
        path=path,
        steps=x.shape[0],
        features=x.shape[1],
        hidden=rnn.hidden_size,
        params=params,
        formula=formula,
        inputs=x,
        unrolled=unrolled,
        output=output,
        notes=notes,
    )
