"""Transfer learning: start from library weights, freeze layers by path, fine-tune the rest.

The pieces `train()` uses:
  check_frozen(spec, paths)        unknown layer paths -> FrozenPathError naming the path
  read_tensors(source)             a weights file (any library entry's path, or its bytes)
  load_partial(module, tensors)    fill every matching key; a new head (last linear) of
                                   another size stays fresh
  load_pretrained(module, name)    the same from a shipped weights file, by its name
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
from safetensors import safe_open
from safetensors.torch import load as load_bytes
from safetensors.torch import load_file
from torch import nn

from server.net.core.build import build_module
from server.net.core.head import NoHead, head_path
from server.net.core.shapes import infer
from server.net.core.spec import Layer, NetworkSpec, Sequential
from server.net.core.spec import children as spec_children
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
    module: nn.Module,
    tensors: dict[str, torch.Tensor],
    new_head: bool = False,
    *,
    dry_run: bool = False,
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
    if not dry_run:
        module.load_state_dict(got, strict=False)
    return set(got)


def load_pretrained(
    module: nn.Module, name: str, new_head: bool = False, weights_dir: Path = WEIGHTS_DIR
) -> set[str]:
    tensors = load_file(str(pretrained_file(name, weights_dir)), device="cpu")
    return load_partial(module, tensors, new_head)


def read_tensors(source: str | Path | bytes) -> dict[str, torch.Tensor]:
    """A safetensors file by path (the local executor) or its bytes (an executor that ships
    files, e.g. Ray): the job's `init_weights` is one of the two."""
    if isinstance(source, bytes):
        return load_bytes(source)
    return load_file(str(source), device="cpu")


def check_fits(spec: NetworkSpec, path: Path, new_head: bool) -> None:
    """What load_partial would refuse, without reading a tensor: the spec is built on the
    meta device (no memory) and the file's header gives its shapes. Raises
    weights.WeightsMismatch naming each bad key (the head may differ: it is re-made)."""
    with torch.device("meta"):
        module = build_module(spec)
    with safe_open(str(path), framework="pt") as f:
        names = list(f.keys())
        got = {k: torch.empty(f.get_slice(k).get_shape(), device="meta") for k in names}
    load_partial(module, got, new_head, dry_run=True)


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


def _outside_head(spec: NetworkSpec, paths: list[str]) -> list[str]:
    """Drop any path that is the head (head.head_path) or holds it: the head always trains."""
    try:
        head = head_path(spec)
    except NoHead:
        return paths
    return [p for p in paths if not (head == p or head.startswith(p + "."))]


def feature_extractor_paths(spec: NetworkSpec) -> list[str]:
    """The feature extractor: the layers up to and including the first flatten, looking
    inside a trailing `sequential` the way head.head_path finds the head (AlexNet's and
    VGG's `classifier`: everything before it is frozen); without a flatten, all but the
    last layer of the level that holds the head. The head itself is never in the list."""
    out: list[str] = []
    path, layers = "layers", spec.layers
    while layers:
        types = [layer.type for layer in layers]
        if "flatten" in types:
            out += [f"{path}.{i}" for i in range(types.index("flatten") + 1)]
            break
        out += [f"{path}.{i}" for i in range(len(layers) - 1)]
        last = layers[-1]
        if not isinstance(last, Sequential):
            break
        path, layers = f"{path}.{len(layers) - 1}.layers", last.layers
    return _outside_head(spec, out)


STAGE_ENDS = ("maxpool2d", "avgpool2d", "residual", "parallel", "sequential")
ACTIVATIONS = ("relu", "leaky_relu", "gelu")


def _has_conv(layer: Layer) -> bool:
    if layer.type.startswith("conv"):
        return True
    return any(_has_conv(inner) for _, stack in spec_children(layer) for inner in stack)


def first_stage_paths(spec: NetworkSpec) -> list[str]:
    """The first conv stage, the default of "fine-tune the later layers": from the input
    through the first pooling layer or block after the first conv, and the activation right
    after it (mnist_cnn: conv, relu, pool; tiny_resnet: the stem and its first residual
    block). When the first conv sits in a `sequential` (the zoo's ResNet, VGG, DenseNet and
    GoogLeNet stems and feature stacks), the stage is looked for inside it (ResNet-18: the
    stem, conv through maxpool). Never the head (head.head_path)."""
    path, layers = "layers", spec.layers
    while True:
        convs = [i for i, layer in enumerate(layers) if _has_conv(layer)]
        if not convs:
            return []
        first = layers[convs[0]]
        if not isinstance(first, Sequential):
            break
        path, layers = f"{path}.{convs[0]}.layers", first.layers
    types = [layer.type for layer in layers]
    ends = [i for i, t in enumerate(types) if i > convs[0] and t in STAGE_ENDS]
    end = ends[0] if ends else convs[0]
    if end + 1 < len(types) and types[end + 1] in ACTIVATIONS:
        end += 1
    return _outside_head(spec, [f"{path}.{i}" for i in range(end + 1)])


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
