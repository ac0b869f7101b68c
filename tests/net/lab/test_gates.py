"""The unrolled gates reproduce torch's own nn.LSTM / nn.GRU, step by step."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from server.net.core.build import build_module
from server.net.core.spec import NetworkSpec
from server.net.lab import gates as G


def _rnn(kind: str, features: int = 28, hidden: int = 16) -> nn.RNNBase:
    torch.manual_seed(3)
    cls = nn.LSTM if kind == "lstm" else nn.GRU
    return cls(features, hidden, batch_first=True)


def test_lstm_unrolled_h_and_c_equal_torch() -> None:
    rnn = _rnn("lstm")
    x = torch.randn(28, 28)
    out, (h_n, c_n) = rnn(x.unsqueeze(0))
    u = G.unroll_lstm(x, rnn)
    assert u.c is not None
    torch.testing.assert_close(u.h, out[0], atol=1e-5, rtol=0)
    torch.testing.assert_close(u.c[-1], c_n[0, 0], atol=1e-5, rtol=0)
    # Every step's cell state: feed torch one step at a time, carrying its state.
    state = None
    with torch.no_grad():
        for t in range(len(x)):
            _, state = rnn(x[t : t + 1].unsqueeze(0), state)
            torch.testing.assert_close(u.c[t], state[1][0, 0], atol=1e-5, rtol=0)
    assert list(u.gates) == ["input", "forget", "cell", "output"]
    for name, v in u.gates.items():
        assert v.shape == (28, 16)
        lo = -1.0 if name == "cell" else 0.0  # g is a tanh, the others sigmoids
        assert float(v.min()) >= lo and float(v.max()) <= 1.0
    # c_t = f * c_{t-1} + i * g and h_t = o * tanh(c_t)
    g = u.gates
    c_prev = torch.cat([torch.zeros(1, 16), u.c[:-1]])
    torch.testing.assert_close(u.c, g["forget"] * c_prev + g["input"] * g["cell"])
    torch.testing.assert_close(u.h, g["output"] * u.c.tanh())


def test_gru_unrolled_h_equals_torch() -> None:
    rnn = _rnn("gru")
    x = torch.randn(28, 28)
    out, h_n = rnn(x.unsqueeze(0))
    u = G.unroll_gru(x, rnn)
    assert u.c is None
    assert list(u.gates) == ["reset", "update", "new"]
    torch.testing.assert_close(u.h, out[0], atol=1e-5, rtol=0)
    torch.testing.assert_close(u.h[-1], h_n[0, 0], atol=1e-5, rtol=0)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_param_formula_equals_torch(kind: str) -> None:
    rnn = _rnn(kind, features=28, hidden=128)
    params, text = G.param_formula(kind, 28, 128)
    assert params == sum(p.numel() for p in rnn.parameters())
    assert f"{params:,}" in text
    if kind == "lstm":
        assert params == 4 * 128 * (28 + 128) + 8 * 128


def _spec(layers: list[dict]) -> NetworkSpec:
    return NetworkSpec.model_validate(
        {"name": "t", "input": {"channels": 1, "height": 28, "width": 28}, "layers": layers}
    )


def test_trace_follows_the_network_to_its_recurrent_layer() -> None:
    # A conv first: the lstm reads (8, 14, 14) as 14 steps of 8*14 = 112 values.
    spec = _spec(
        [
            {"type": "conv2d", "out_channels": 8, "kernel_size": 3, "stride": 2, "padding": 1},
            {"type": "relu"},
            {"type": "lstm", "hidden_size": 12, "output": "last"},
            {"type": "linear", "out_features": 10},
        ]
    )
    torch.manual_seed(0)
    module = build_module(spec).train()
    image = torch.randn(1, 28, 28)
    tr = G.trace(module, image)
    assert module.training  # the mode is restored
    assert (tr.kind, tr.path, tr.steps, tr.features, tr.hidden) == ("lstm", "layers.2", 14, 112, 12)
    with torch.no_grad():
        module.eval()
        expected = module(image.unsqueeze(0))[0]
        linear = module.layers[3]
        torch.testing.assert_close(tr.output, expected)
        torch.testing.assert_close(linear(tr.unrolled.h[-1]), expected, atol=1e-5, rtol=0)


def test_trace_notes_a_bidirectional_layer_and_refuses_none() -> None:
    spec = _spec([{"type": "gru", "hidden_size": 6, "bidirectional": True, "num_layers": 2}])
    tr = G.trace(build_module(spec), torch.randn(1, 28, 28))
    assert tr.kind == "gru" and len(tr.notes) == 2
    with pytest.raises(G.NoRecurrentLayer):
        G.trace(build_module(_spec([{"type": "flatten"}])), torch.randn(1, 28, 28))
