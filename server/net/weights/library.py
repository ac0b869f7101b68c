"""The weights library: every set of weights a user can open, by one server id.

Kinds, one list (issues 5, 7, 17):
  shipped   models/weights/*.safetensors named in its manifest.json; id = the manifest name
  run       a finished training run that saved weights; id = "run-<run id>"
  upload    a file a user imported (cnnplay's safetensors for a spec, or a torchvision
            checkpoint of a zoo architecture, converted); id = "upload-<32 hex>"
  imagenet  torchvision's official ImageNet weights of a zoo architecture, downloaded and
            converted once (server/net/weights/official.py); id = "imagenet-<zoo>"

The entry itself is server/net/weights/entry.py; imports and their storage are
server/net/weights/uploads.py. `everything()` and `find()` walk SOURCES, so another
kind of weights is one more source.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import torch

from server.net.core.head import with_head
from server.net.core.spec import NetworkSpec
from server.net.weights import official
from server.net.weights.entry import (
    BadWeights,
    Entry,
    Kind,
    LibraryFull,
    NotFound,
    torchvision_preprocess,
)
from server.net.weights.uploads import (
    HEX,
    UPLOAD_PREFIX,
    check_fit,
    delete_upload,
    find_upload,
    import_file,
    import_path,
    import_tensors,
    parse,
    uploads,
    uploads_dir,
)

__all__ = [
    "BadWeights",
    "Entry",
    "Kind",
    "LibraryFull",
    "UPLOAD_PREFIX",
    "NotFound",
    "check_fit",
    "delete_upload",
    "everything",
    "find",
    "import_file",
    "import_path",
    "import_tensors",
    "input_stats",
    "parse",
    "runs",
    "shipped",
    "torchvision_preprocess",
    "uploads",
    "uploads_dir",
]

SHIPPED_DIR = Path(__file__).resolve().parents[3] / "models" / "weights"
RUN_PREFIX = "run-"
# (mean, std) per channel on [0, 1] pixels: how the weights' training data was scaled.
Stats = tuple[tuple[float, ...], tuple[float, ...]]
# The zoo, passed in by the caller (models.get): the core never imports the zoo.
Zoo = Callable[[str], NetworkSpec]


class RunLike(Protocol):
    """What the library reads of a training run (server.store.RunRow)."""

    id: str
    status: str
    spec_json: str
    config_json: str
    metrics_json: str | None
    weights_path: str | None
    created_at: str


# --- shipped ----------------------------------------------------------------------------


def _manifest(shipped_dir: Path) -> dict[str, Any]:
    path = shipped_dir / "manifest.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def _shipped_spec(item: dict[str, Any], zoo: Zoo) -> NetworkSpec:
    spec = zoo(item["zoo"])
    head = item.get("head")
    return with_head(spec, int(head)) if head else spec


def shipped(zoo: Zoo, shipped_dir: Path = SHIPPED_DIR) -> list[Entry]:
    out = []
    for name, item in _manifest(shipped_dir).items():
        source = item.get("source_data", "MNIST digits 0-9")
        norm = item.get("normalize")
        spec = _shipped_spec(item, zoo)
        out.append(
            Entry(
                id=name,
                title=f"{spec.name} · {source}",
                kind="shipped",
                spec=spec,
                path=shipped_dir / item["file"],
                accuracy=item.get("heldout_accuracy"),
                classes=item.get("classes"),
                details={
                    "sha256": item.get("sha256"),
                    "source_data": source,
                    "stats": [norm["mean"], norm["std"]] if norm else None,
                },
            )
        )
    return out


# --- runs -----------------------------------------------------------------------------


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


def from_run(row: RunLike, data_dir: Path) -> Entry | None:
    """A finished run whose weights file exists (and lies in the data dir), else None."""
    if row.status != "done" or not row.weights_path:
        return None
    path = Path(row.weights_path)
    if not path.is_file() or not _inside(path, data_dir):
        return None
    try:
        spec = NetworkSpec.model_validate_json(row.spec_json)
        config = json.loads(row.config_json)
        metrics = json.loads(row.metrics_json) if row.metrics_json else {}
    except ValueError:  # a row this version cannot read (pydantic's error is one too)
        return None
    dataset = config.get("dataset", "mnist")
    classes = config.get("classes")
    what = f"{dataset} {_classes_text(classes)}" if classes else dataset
    how = f", fine-tuned from {config['init_from']}" if config.get("init_from") else ""
    return Entry(
        id=RUN_PREFIX + row.id,
        title=f"{spec.name} on {what}{how} · {row.created_at[:16].replace('T', ' ')}",
        kind="run",
        spec=spec,
        path=path,
        accuracy=metrics.get("accuracy"),
        created=row.created_at,
        classes=classes,
        init_from=config.get("init_from"),
        frozen=list(config.get("frozen") or []),
        config=config,
        details={"run": row.id, "dataset": dataset},
    )


def _classes_text(classes: list[int]) -> str:
    """[0, 1, 2, 3, 4] -> "0-4"; [1, 3, 7] -> "1,3,7"."""
    run = sorted(classes) == list(range(min(classes), max(classes) + 1))
    return (
        f"{min(classes)}-{max(classes)}"
        if run and len(classes) > 2
        else ",".join(map(str, classes))
    )


def runs(rows: Iterable[RunLike], data_dir: Path) -> list[Entry]:
    return [e for e in (from_run(r, data_dir) for r in rows) if e is not None]


# --- one list -------------------------------------------------------------------------


@dataclass(frozen=True)
class Sources:
    """Where the library looks: what `everything()` and `find()` are given."""

    data_dir: Path
    run_rows: Callable[[], Iterable[RunLike]]  # every run, for the listing
    get_run: Callable[[str], Any]  # one run by id, or raises LookupError
    zoo: Zoo
    shipped_dir: Path = SHIPPED_DIR


def _list_shipped(src: Sources) -> list[Entry]:
    return shipped(src.zoo, src.shipped_dir)


def _list_runs(src: Sources) -> list[Entry]:
    return runs(src.run_rows(), src.data_dir)


def _list_uploads(src: Sources) -> list[Entry]:
    return uploads(src.data_dir)


def _find_run(weights_id: str, src: Sources) -> Entry | None:
    run_id = weights_id.removeprefix(RUN_PREFIX)
    if not weights_id.startswith(RUN_PREFIX) or not HEX.fullmatch(run_id):
        return None
    try:
        return from_run(src.get_run(run_id), src.data_dir)
    except LookupError:
        return None


def _find_upload(weights_id: str, src: Sources) -> Entry | None:
    return find_upload(weights_id, src.data_dir)


def _find_shipped(weights_id: str, src: Sources) -> Entry | None:
    return next((e for e in _list_shipped(src) if e.id == weights_id), None)


def _list_imagenet(src: Sources) -> list[Entry]:
    return official.entries(src.data_dir)


def _find_imagenet(weights_id: str, src: Sources) -> Entry | None:
    return official.find(src.data_dir, weights_id)


# (list every entry, find one by id or None), in listing order: shipped first, then
# finished runs (newest first), then imported files. Another kind is one more pair.
SOURCES: list[tuple[Callable[[Sources], list[Entry]], Callable[[str, Sources], Entry | None]]] = [
    (_list_shipped, _find_shipped),
    (_list_runs, _find_run),
    (_list_uploads, _find_upload),
    (_list_imagenet, _find_imagenet),  # official ImageNet downloads (issue 17)
]


def everything(
    data_dir: Path, run_rows: Iterable[RunLike], zoo: Zoo, shipped_dir: Path = SHIPPED_DIR
) -> list[Entry]:
    """Every entry of every source, in SOURCES order."""
    rows = list(run_rows)
    src = Sources(data_dir, lambda: rows, _no_run, zoo, shipped_dir)
    return [entry for list_all, _ in SOURCES for entry in list_all(src)]


def _no_run(run_id: str) -> Any:
    raise LookupError(run_id)


def find(
    weights_id: str,
    data_dir: Path,
    get_run: Any,
    zoo: Zoo,
    shipped_dir: Path = SHIPPED_DIR,
) -> Entry:
    """One entry by id; `get_run(run_id)` returns a run row or raises LookupError."""
    src = Sources(data_dir, list, get_run, zoo, shipped_dir)
    for _, find_one in SOURCES:
        entry = find_one(weights_id, src)
        if entry is not None:
            return entry
    raise NotFound(weights_id)


# --- how the training data was scaled ----------------------------------------------------


def input_stats(entry: Entry, data_dir: Path | None = None) -> Stats | None:
    """Per-channel (mean, std) that maps [0, 1] pixels the way the weights were trained;
    None when unknown (an imported file, or a run whose dataset is gone)."""
    stats = entry.details.get("stats")
    if stats:
        return tuple(stats[0]), tuple(stats[1])
    if entry.kind == "run" and entry.config is not None:
        c, h, w = entry.spec.input.shape
        key = json.dumps(entry.config, sort_keys=True)
        try:
            return _run_stats(key, c, h, w, str(data_dir) if data_dir else None)
        except Exception:  # noqa: BLE001 - a dataset that cannot load: the stats are unknown
            return None
    return None


@lru_cache(maxsize=32)
def _run_stats(
    config_json: str, channels: int, height: int, width: int, data_dir: str | None
) -> Stats:
    """The per-channel (mean, std) server.net.train.loop's normaliser used for this config:
    stored in it when the run started (TrainConfig.input_stats, issue 12); a run from before
    that has its training set loaded again."""
    from server.net.train.inputs import input_scaling, run_data
    from server.net.train.loop import TrainConfig

    config = TrainConfig.model_validate_json(config_json)
    if config.input_stats is not None:
        return tuple(config.input_stats.mean), tuple(config.input_stats.std)
    x_train = torch.zeros(1, channels, 1, 1)  # only "standardize" needs the real pixels
    if config.normalize == "standardize":
        x_train = run_data(config, channels, height, width, data_dir).x_train
    mean, std = input_scaling(x_train, config)
    return tuple(mean.flatten().tolist()), tuple(std.flatten().tolist())
