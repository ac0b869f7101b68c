"""torchvision's official ImageNet weights (issue 17): the manifest of their files, and the
library entries they become once downloaded and converted (server/net/weights/pretrained.py
downloads them).

The facts (file name, sha256 prefix, size, accuracy) come from models/weights/imagenet.json,
which scripts/torchvision_facts.py records from torchvision's own weight enums; acc1/acc5
there are torchvision's percentages. The core reads that file by path: it imports no zoo.

An entry is weights/imagenet-<zoo>.safetensors (cnnplay layer-path keys) with its spec and
facts in weights/imagenet-<zoo>.json, written last: a listing never sees half an entry.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import save_file

from server.net.core.spec import NetworkSpec
from server.net.data import imagenet, stream
from server.net.weights import files
from server.net.weights.entry import Entry, torchvision_preprocess
from server.net.weights.uploads import check_fit, unshared, uploads_dir, write_via

MANIFEST = Path(__file__).resolve().parents[3] / "models" / "weights" / "imagenet.json"
PREFIX = "imagenet-"
KIND = "imagenet"
SOURCE_DATA = "ImageNet-1k"
# torchvision builds GoogLeNet with transform_input=True for its official weights: the
# network first maps ImageNet-standardised input to (x - 0.5) / 0.5, which is the same as
# standardising with mean = std = 0.5, so cnnplay folds it into the preprocessing.
TRANSFORM_INPUT = frozenset({"googlenet"})
# torchvision resizes with bicubic interpolation for these official weights (issue 16).
BICUBIC = frozenset({"efficientnet_b0"})

Tensors = dict[str, torch.Tensor]


@dataclass(frozen=True)
class Official:
    """One manifest line: torchvision's published file for a zoo architecture."""

    zoo: str
    weights: str  # "IMAGENET1K_V1"
    file_name: str  # "resnet18-f37072fd.pth"
    url: str
    sha256_prefix: str  # the hex after '-' in the file name (torch.hub's HASH_REGEX)
    bytes: int  # approximate: torchvision's _file_size (MiB, 3 decimals)
    num_params: int
    acc1: float  # top-1 on ImageNet-1k val, percent
    acc5: float

    @property
    def id(self) -> str:
        return PREFIX + self.zoo

    def remote(self, base_url: str) -> stream.Remote:
        return stream.Remote(
            self.file_name,
            base_url + self.file_name,
            self.sha256_prefix,
            self.bytes,
            algorithm="sha256",
            prefix=True,
        )


def read_manifest(path: Path = MANIFEST) -> dict[str, Official]:
    return {zoo: Official(**item) for zoo, item in json.loads(path.read_text()).items()}


def preprocess(zoo: str) -> dict[str, Any]:
    """torchvision's ImageNet preparation of an image for the official weights of `zoo`."""
    out = torchvision_preprocess()
    if zoo in TRANSFORM_INPUT:
        out["mean"], out["std"] = list(imagenet.GOOGLENET_MEAN), list(imagenet.GOOGLENET_STD)
    if zoo in BICUBIC:
        out["interpolation"] = "bicubic"
    return out


# --- entries of the library --------------------------------------------------------------


def pretrained_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "pretrained"


def _entry_path(data_dir: Path, zoo: str, suffix: str) -> Path:
    return uploads_dir(Path(data_dir)) / f"{PREFIX}{zoo}{suffix}"


def _entry(meta_path: Path) -> Entry | None:
    try:
        meta = json.loads(meta_path.read_text())
        spec = NetworkSpec.model_validate(meta["spec"])
        zoo = str(meta["zoo"])
    except (OSError, ValueError, KeyError):
        return None  # a stray or damaged file is not an entry
    path = meta_path.with_suffix(".safetensors")
    if not path.is_file():
        return None
    prep = preprocess(zoo)
    return Entry(
        id=PREFIX + zoo,
        title=meta.get("title") or spec.name,
        kind=KIND,
        spec=spec,
        path=path,
        accuracy=meta.get("accuracy"),
        created=meta.get("created"),
        zoo=zoo,  # with a 1,000-unit head: labelled with the ImageNet class names
        preprocess=prep,
        details={
            "source_data": SOURCE_DATA,
            "stats": [prep["mean"], prep["std"]],  # library.input_stats reads these
            "acc5": meta.get("acc5"),
            "sha256": meta.get("sha256"),
            "file_name": meta.get("file_name"),
            "weights": meta.get("weights"),
        },
    )


def find(data_dir: Path, weights_id: str) -> Entry | None:
    """The converted entry `imagenet-<zoo>`, or None (not downloaded, or not that kind)."""
    zoo = weights_id.removeprefix(PREFIX)
    if not weights_id.startswith(PREFIX) or not zoo.replace("_", "").isalnum():
        return None
    return _entry(_entry_path(data_dir, zoo, ".json"))


def entries(data_dir: Path) -> list[Entry]:
    folder = uploads_dir(Path(data_dir))
    if not folder.is_dir():
        return []
    found = (_entry(p) for p in sorted(folder.glob(f"{PREFIX}*.json")))
    return [e for e in found if e is not None]


def store(data_dir: Path, official: Official, spec: NetworkSpec, tensors: Tensors) -> Entry:
    """Check `tensors` against the module `spec` builds, write the entry; returns it."""
    check_fit(spec, tensors)
    weights_path = _entry_path(data_dir, official.zoo, ".safetensors")
    weights_path.parent.mkdir(parents=True, exist_ok=True)
    state = unshared(tensors)
    write_via(weights_path, lambda p: save_file(state, str(p)))
    meta = {
        "zoo": official.zoo,
        "title": f"{spec.name} · {SOURCE_DATA} (torchvision {official.weights})",
        "spec": spec.model_dump(mode="json", exclude_none=True),
        "accuracy": round(official.acc1 / 100, 5),
        "acc5": round(official.acc5 / 100, 5),
        "weights": official.weights,
        "file_name": official.file_name,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "sha256": files.sha256(weights_path),
    }
    meta_path = _entry_path(data_dir, official.zoo, ".json")
    write_via(meta_path, lambda p: p.write_text(json.dumps(meta)))
    entry = _entry(meta_path)
    assert entry is not None
    return entry


def delete(data_dir: Path, zoo: str) -> None:
    """The entry and any partial download of `zoo` leave the disk (the JSON first)."""
    _entry_path(data_dir, zoo, ".json").unlink(missing_ok=True)
    _entry_path(data_dir, zoo, ".safetensors").unlink(missing_ok=True)
