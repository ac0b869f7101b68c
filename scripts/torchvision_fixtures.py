"""Fixtures that pin cnnplay's zoo to torchvision's networks: run in the side venv.

    ~/tv/bin/python scripts/torchvision_fixtures.py

For every architecture cnnplay imports (models/torchvision.py SUPPORTED) this writes
tests/fixtures/torchvision/<zoo>.json: torchvision's state_dict key names, shapes and
dtypes in its order, and torchvision's logits (eval mode) for a state_dict drawn by
`fill_state` from a fixed seed on a fixed (1, 3, 64, 64) input. No weights are stored:
tests/models/test_torchvision.py draws the same state_dict under the project's torch
(torch.Generator + randn/rand give the same numbers on 2.13 and 2.14; the fixture's
checksum proves it), imports it through POST /api/weights and compares the outputs
(issue 17). Only this function, `fill_state`, is shared with the tests, and it needs
nothing but torch.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "fixtures" / "torchvision"
SEED = 17
INPUT_SEED = 1
INPUT = (1, 3, 64, 64)  # the smallest round size every architecture accepts
ZOO = [
    "alexnet",
    *[f"vgg{d}{bn}" for d in (11, 13, 16, 19) for bn in ("", "_bn")],
    *[f"resnet{d}" for d in (18, 34, 50, 101, 152)],
    "googlenet",
    *[f"densenet{d}" for d in (121, 161, 169, 201)],
    "mobilenet_v2",
    "mobilenet_v3_small",
    "efficientnet_b0",
]
# Keys, shapes and dtypes of a state_dict, in its order.
Layout = list[tuple[str, list[int], str]]


def fill_state(layout: Layout, seed: int = SEED) -> dict[str, torch.Tensor]:
    """A deterministic state_dict for `layout`: small values whose activations stay near
    1 through any depth (so a wrong merge order or epsilon shows in the output).
      conv / linear weight: N(0, 1/fan_in); bias: N(0, 0.02^2)
      batch norm weight 1 + N(0, 0.1^2), running_mean N(0, 0.1^2),
      running_var U(0.5, 1.5); num_batches_tracked 0."""
    g = torch.Generator().manual_seed(seed)
    out: dict[str, torch.Tensor] = {}
    for key, shape, dtype in layout:
        name = key.rsplit(".", 1)[-1]
        if dtype != "float32":
            out[key] = torch.zeros(shape, dtype=getattr(torch, dtype))
        elif name == "running_var":
            out[key] = 0.5 + torch.rand(shape, generator=g)
        elif name == "running_mean":
            out[key] = 0.1 * torch.randn(shape, generator=g)
        elif name == "bias":
            out[key] = 0.02 * torch.randn(shape, generator=g)
        elif len(shape) == 1:  # a batch norm's scale
            out[key] = 1.0 + 0.1 * torch.randn(shape, generator=g)
        else:
            fan_in = math.prod(shape[1:])
            out[key] = torch.randn(shape, generator=g) / math.sqrt(fan_in)
    return out


def checksum(state: dict[str, torch.Tensor]) -> float:
    """The sum of |every value| in float64: equal only if the draws are."""
    return float(sum(t.double().abs().sum() for t in state.values()))


def fixed_input() -> torch.Tensor:
    return torch.randn(INPUT, generator=torch.Generator().manual_seed(INPUT_SEED))


def _torchvision_model(zoo: str) -> torch.nn.Module:
    from torchvision import models as tvm

    if zoo == "googlenet":  # the aux heads only run in training; no input transform
        return tvm.googlenet(weights=None, aux_logits=False, transform_input=False,
                             init_weights=False)  # fmt: skip
    return getattr(tvm, zoo)(weights=None)


def write(zoo: str) -> dict[str, object]:
    model = _torchvision_model(zoo).eval()
    layout: Layout = [
        (k, list(v.shape), str(v.dtype).removeprefix("torch."))
        for k, v in model.state_dict().items()
    ]
    state = fill_state(layout)
    model.load_state_dict(state, strict=True)
    with torch.no_grad():
        logits = model(fixed_input())[0]  # (1000,)
    fixture = {
        "zoo": zoo,
        "torch": torch.__version__,
        "seed": SEED,
        "input_seed": INPUT_SEED,
        "input": list(INPUT),
        "checksum": checksum(state),
        "keys": layout,
        "logits": [float(x) for x in logits],
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{zoo}.json").write_text(json.dumps(fixture, separators=(",", ":")) + "\n")
    return fixture


if __name__ == "__main__":
    torch.set_num_threads(1)
    for name in sys.argv[1:] or ZOO:
        f = write(name)
        logits = torch.tensor(f["logits"])
        print(f"{name}: {len(f['keys'])} keys, logits std {float(logits.std()):.3g}")
