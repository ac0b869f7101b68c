"""torchvision checkpoints of zoo architectures -> cnnplay specs and layer-path tensors.

The key map is derived, not written: each zoo module names its spec's layers the way
torchvision names its modules (`torchvision_names`, next to the builder, one rule per
building block), and a module's tensors keep their own names (weight, bias,
running_mean, running_var, num_batches_tracked). So `layer1.0.conv1.weight` is
`layers.1.layers.0.body.0.weight` because resnet's block rule says the body's first conv
is `conv1` (issue 17). Every torchvision key is used exactly once; GoogLeNet's auxiliary
classifiers are dropped; DenseNet's old-style keys are read as torchvision's own loader
reads them; the head takes the checkpoint's classifier size.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

import torch

import models
from models import (
    alexnet,
    densenet,
    efficientnet,
    googlenet,
    mobilenet_v2,
    mobilenet_v3,
    resnet,
    vgg,
)
from models.naming import Pairs
from server.net.core.head import head_path, with_head
from server.net.core.spec import MAX_UNITS, NetworkSpec
from server.net.weights.library import BadWeights
from server.net.weights.uploads import expected_state

NAMINGS: dict[str, Callable[[NetworkSpec], Pairs]] = {
    "alexnet": alexnet.torchvision_names,
    **{f"vgg{d}{bn}": vgg.torchvision_names for d in vgg.DEPTHS for bn in ("", "_bn")},
    **{f"resnet{d}": resnet.torchvision_names for d in resnet.CONFIGS},
    "googlenet": googlenet.torchvision_names,
    **{f"densenet{d}": densenet.torchvision_names for d in densenet.CONFIGS},
    "mobilenet_v2": mobilenet_v2.torchvision_names,
    "mobilenet_v3_small": mobilenet_v3.torchvision_names,
    "efficientnet_b0": efficientnet.torchvision_names,
}
SUPPORTED: tuple[str, ...] = tuple(NAMINGS)

AUX = ("aux1.", "aux2.")  # GoogLeNet's auxiliary classifiers: training-time only
# torchvision's DenseNet loader renames `denselayer1.norm.1.weight` -> `norm1.weight`.
OLD_DENSE = re.compile(
    r"^(.*denselayer\d+\.(?:norm|relu|conv))\.((?:[12])\.(?:weight|bias|running_mean|running_var))$"
)
# Batch norms of checkpoints older than PyTorch 0.4.1 have no counter; torch's loader
# fills it with 0, and so does this one.
COUNTER = "num_batches_tracked"


def key_map(zoo: str, spec: NetworkSpec) -> dict[str, str]:
    """{torchvision key: cnnplay key} in torchvision's state_dict order."""
    expected = expected_state(spec)
    out: dict[str, str] = {}
    for path, module in NAMINGS[zoo](spec):
        keys = [k for k in expected if k.rsplit(".", 1)[0] == path]
        if not keys:
            raise AssertionError(f"{zoo}: {path} ({module}) holds no tensors")
        for key in keys:
            tv = f"{module}.{key.rsplit('.', 1)[1]}"
            if tv in out:
                raise AssertionError(f"{zoo}: {tv} named twice")
            out[tv] = key
    unnamed = expected.keys() - set(out.values())
    if unnamed:
        raise AssertionError(f"{zoo}: no torchvision name for {sorted(unnamed)[:3]}")
    return out


def _normalised(zoo: str, state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Aux classifiers dropped (GoogLeNet), old DenseNet keys renamed."""
    out: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        if zoo == "googlenet" and key.startswith(AUX):
            continue
        if zoo.startswith("densenet"):
            old = OLD_DENSE.match(key)
            key = old.group(1) + old.group(2) if old else key
        if key in out:
            raise BadWeights(f"{key}: in the file twice (old- and new-style DenseNet keys)")
        out[key] = value
    return out


def _classes(zoo: str, spec: NetworkSpec, state: Mapping[str, torch.Tensor]) -> int | None:
    """The checkpoint's classifier size (its head's weight rows), if it has one."""
    head = dict(NAMINGS[zoo](spec))[head_path(spec)]
    weight = state.get(f"{head}.weight")
    if weight is None or weight.dim() != 2:
        return None  # named as missing or mis-shaped below
    classes = int(weight.shape[0])
    if not 1 <= classes <= MAX_UNITS:
        raise BadWeights(f"{head}.weight: {classes:,} classes; at most {MAX_UNITS:,}")
    return classes


def _problems(
    zoo: str,
    keys: dict[str, str],
    state: dict[str, torch.Tensor],
    expected: dict[str, torch.Tensor],
) -> list[str]:
    """One line per kind of problem, naming its first key (torchvision's order)."""
    missing = [k for k in keys if k not in state and not k.endswith(COUNTER)]
    unexpected = [k for k in state if k not in keys]
    shapes = [
        k for k in keys if k in state and tuple(state[k].shape) != tuple(expected[keys[k]].shape)
    ]
    out = []
    if missing:
        want = list(expected[keys[missing[0]]].shape)
        more = f" (and {len(missing) - 1:,} more)" if len(missing) > 1 else ""
        out.append(f"{missing[0]}: missing from the file (expected {want}){more}")
    if unexpected:
        more = f" (and {len(unexpected) - 1:,} more)" if len(unexpected) > 1 else ""
        out.append(f"{unexpected[0]}: in the file but not in torchvision's {zoo}{more}")
    if shapes:
        k = shapes[0]
        more = f" (and {len(shapes) - 1:,} more)" if len(shapes) > 1 else ""
        out.append(
            f"{k}: shape {list(state[k].shape)} in the file, "
            f"{list(expected[keys[k]].shape)} in {zoo}{more}"
        )
    return out


def convert(
    zoo: str, state: Mapping[str, torch.Tensor]
) -> tuple[NetworkSpec, dict[str, torch.Tensor]]:
    """A torchvision state_dict of `zoo` -> (the zoo spec with the checkpoint's head, the
    tensors under cnnplay layer-path keys), ready for build_module(spec).load_state_dict.
    Raises BadWeights naming the first missing, unexpected and mis-shaped key."""
    if zoo not in NAMINGS:
        raise BadWeights(f"zoo: {zoo[:100]!r} has no torchvision import; one of {SUPPORTED}")
    tensors = _normalised(zoo, state)
    spec = models.get(zoo)
    classes = _classes(zoo, spec, tensors)
    if classes is not None:
        spec = with_head(spec, classes)
    keys = key_map(zoo, spec)
    expected = expected_state(spec)
    problems = _problems(zoo, keys, tensors, expected)
    if problems:
        raise BadWeights(f"not a torchvision {zoo} checkpoint: " + "; ".join(problems))
    out: dict[str, torch.Tensor] = {}
    for tv, key in keys.items():
        want = expected[key]
        value = tensors.get(tv)
        if value is None:  # a batch norm counter of an old checkpoint
            value = torch.zeros((), dtype=want.dtype)
        elif value.is_floating_point() and want.is_floating_point():
            value = value.to(want.dtype)  # a half-precision file computes in float32
        out[key] = value
    return spec, out
