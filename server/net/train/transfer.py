"""Transfer learning: start from shipped weights, freeze layers by path, fine-tune the rest.

The pieces `train()` uses:
  check_frozen(spec, paths)        unknown layer paths -> FrozenPathError naming the path
  load_pretrained(module, name)    fill every matching key from a shipped weights file; a
                                   new head (last linear) of another size stays fresh
  freeze(module, paths)            requires_grad False under each path
  keep_frozen_norms_eval(...)      frozen batch norms stay in eval mode (stats do not move)
  param_groups(...)                new layers at `lr`, pretrained unfrozen ones at `pretrained_lr`
The transfer-vs-scratch experiment that uses them lives with the zoo
(models/transfer_experiment.py).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file
from torch import nn

from server.net.core.shapes import infer
from server.net.core.spec import NetworkSpec
from server.net.weights import files as weights

WEIGHTS_DIR = Path(__file__).resolve().parents[3] / "models" / "weights"


class FrozenPathError(ValueError):
    def __init__(self, path: str, known: list[str]) -> None:
        super().__init__(
            f"frozen: {path!r} is not a layer path of this network "
            f"(layer paths look like {', '.join(known[:4])})"
        )
        self.path = path


class PretrainedError(ValueError):
    """The shipped weights name is unknown or its file is missing / altered."""


def under(name: str, paths: list[str] | tuple[str, ...]) -> bool:
    """A parameter or module name lies under one of the layer paths."""
    return any(name == p or name.startswith(p + ".") for p in paths)


def check_frozen(spec: NetworkSpec, paths: list[str] | tuple[str, ...]) -> None:
    known = [row.path for row in infer(spec).layers]
    for path in paths:
        if path not in known:
            raise FrozenPathError(path, known)


def manifest(weights_dir: Path = WEIGHTS_DIR) -> dict[str, Any]:
    return json.loads((weights_dir / "manifest.json").read_text())


def pretrained_file(name: str, weights_dir: Path = WEIGHTS_DIR) -> Path:
    entries = manifest(weights_dir)
    if name not in entries:
        raise PretrainedError(
            f"init_from: no shipped weights named {name!r}; known: {', '.join(sorted(entries))}"
        )
    path = weights_dir / entries[name]["file"]
    if not path.is_file() or weights.sha256(path) != entries[name]["sha256"]:
        raise PretrainedError(f"init_from: {path.name} is missing or does not match its sha256")
    return path


def head_name(module: nn.Module) -> str | None:
    """The module path of the last nn.Linear (the classifier head), if any."""
    names = [n for n, m in module.named_modules() if isinstance(m, nn.Linear)]
    return names[-1] if names else None


def load_partial(
    module: nn.Module, tensors: dict[str, torch.Tensor], new_head: bool = False
) -> set[str]:
    """Copy the file's tensors into the module; returns the state keys that were loaded.

    The head's weight/bias are skipped when `new_head` or when their shapes differ (a head
    for another number of classes): they keep the fresh initialisation. Any other missing,
    extra or misshapen key raises weights.WeightsMismatch naming it."""
    state = module.state_dict()
    head = head_name(module)
    skip: set[str] = set()
    if head is not None:
        keys = {f"{head}.weight", f"{head}.bias"} & state.keys()
        differs = any(k in tensors and tensors[k].shape != state[k].shape for k in keys)
        if new_head or differs:
            skip = keys
    expected = {k: v for k, v in state.items() if k not in skip}
    got = {k: v for k, v in tensors.items() if k not in skip}
    weights.check(expected, got)
    module.load_state_dict(got, strict=False)
    return set(got)


def load_pretrained(
    module: nn.Module, name: str, new_head: bool = False, weights_dir: Path = WEIGHTS_DIR
) -> set[str]:
    tensors = load_file(str(pretrained_file(name, weights_dir)), device="cpu")
    return load_partial(module, tensors, new_head)


def freeze(module: nn.Module, paths: list[str] | tuple[str, ...]) -> list[str]:
    """requires_grad False on every parameter under the paths; returns their names."""
    frozen = []
    for name, param in module.named_parameters():
        if under(name, paths):
            param.requires_grad_(False)
            frozen.append(name)
    return frozen


def keep_frozen_norms_eval(module: nn.Module, paths: list[str] | tuple[str, ...]) -> None:
    """Call after module.train(): frozen batch norms normalise with their stored running
    statistics and do not update them."""
    for name, m in module.named_modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm) and under(name, paths):
            m.eval()


def param_groups(
    module: nn.Module, pretrained: set[str], lr: float, pretrained_lr: float | None
) -> list[dict[str, Any]]:
    """Trainable parameters only: pretrained ones at `pretrained_lr` (default `lr`), new
    ones at `lr`. Empty groups are left out."""
    fresh, loaded = [], []
    for name, param in module.named_parameters():
        if param.requires_grad:
            (loaded if name in pretrained else fresh).append(param)
    groups = [{"params": fresh, "lr": lr}]
    groups.append({"params": loaded, "lr": pretrained_lr if pretrained_lr is not None else lr})
    return [g for g in groups if g["params"]]


def feature_extractor_paths(spec: NetworkSpec) -> list[str]:
    """The convolutional feature extractor: top-level layers up to and including the first
    flatten (all but the last layer when there is none)."""
    types = [layer.type for layer in spec.layers]
    end = types.index("flatten") + 1 if "flatten" in types else len(types) - 1
    return [f"layers.{i}" for i in range(end)]


STAGE_ENDS = ("maxpool2d", "avgpool2d", "residual", "parallel", "sequential")
ACTIVATIONS = ("relu", "leaky_relu", "gelu")


def first_stage_paths(spec: NetworkSpec) -> list[str]:
    """The first conv stage, the default of "fine-tune the later layers": from the input
    through the first pooling layer or block after the first conv, and the activation right
    after it (mnist_cnn: conv, relu, pool; tiny_resnet: the stem and its first residual
    block). The Train view computes the same (frontend/js/views/train/transfer.js)."""
    types = [layer.type for layer in spec.layers]
    convs = [i for i, t in enumerate(types) if t.startswith("conv")]
    if not convs:
        return []
    ends = [i for i, t in enumerate(types) if i > convs[0] and t in STAGE_ENDS]
    end = ends[0] if ends else convs[0]
    if end + 1 < len(types) and types[end + 1] in ACTIVATIONS:
        end += 1
    return [f"layers.{i}" for i in range(end + 1)]


def mode_config(mode: str, spec: NetworkSpec, source: str, lr: float) -> dict[str, Any]:
    """The TrainConfig fields of a transfer mode: "frozen" (feature extractor), "later"
    (first stage frozen) or "all" (nothing frozen, pretrained layers at lr / 10)."""
    if mode == "frozen":
        return {"init_from": source, "frozen": feature_extractor_paths(spec)}
    if mode == "later":
        return {"init_from": source, "frozen": first_stage_paths(spec)}
    if mode == "all":
        return {"init_from": source, "pretrained_lr": lr / 10}
    raise ValueError(f"mode: {mode!r} is not one of frozen, later, all")
