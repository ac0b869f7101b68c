"""The weights library: every set of weights a user can open, by one server id.

Three kinds, one list (issues 5 and 7):
  shipped   models/weights/*.safetensors named in its manifest.json; id = the manifest name
  run       a finished training run that saved weights; id = "run-<run id>"
  upload    a .safetensors file a user imported for a spec; id = "upload-<32 hex>"

Imported files are parsed by safetensors (never pickle), checked key by key against the
module their spec builds, and only then written to <data dir>/weights/<hex>.safetensors
with the spec beside it in <hex>.json (each through a temp file and os.replace; the JSON
goes last, so a listing never sees a half-imported entry).
"""

from __future__ import annotations

import json
import os
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, Protocol

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_bytes

from server.net.core.build import build_module
from server.net.core.head import with_head
from server.net.core.spec import NetworkSpec
from server.net.weights import files as weights

SHIPPED_DIR = Path(__file__).resolve().parents[3] / "models" / "weights"
RUN_PREFIX = "run-"
UPLOAD_PREFIX = "upload-"
_HEX = re.compile(r"[0-9a-f]{32}")
Kind = Literal["shipped", "run", "upload"]
# (mean, std) per channel on [0, 1] pixels: how the weights' training data was scaled.
Stats = tuple[tuple[float, ...], tuple[float, ...]]
# The zoo, passed in by the caller (models.get): the core never imports the zoo.
Zoo = Callable[[str], NetworkSpec]


class NotFound(LookupError):
    """No weights with that id."""


class BadWeights(ValueError):
    """An imported file is not safetensors, or its tensors do not fit the spec."""


class LibraryFull(RuntimeError):
    """As many imported files as the limit allows."""


class RunLike(Protocol):
    """What the library reads of a training run (server.store.RunRow)."""

    id: str
    status: str
    spec_json: str
    config_json: str
    metrics_json: str | None
    weights_path: str | None
    created_at: str


@dataclass(frozen=True)
class Entry:
    id: str
    title: str
    kind: Kind
    spec: NetworkSpec
    path: Path
    accuracy: float | None = None
    created: str | None = None
    classes: list[int] | None = None  # the label of each output unit (None: 0..K-1)
    init_from: str | None = None  # shipped weights a run was fine-tuned from
    frozen: list[str] = field(default_factory=list)
    config: dict[str, Any] | None = None  # a run's TrainConfig
    details: dict[str, Any] = field(default_factory=dict)

    def public(self) -> dict[str, Any]:
        """The JSON a client gets: {id, title, kind, spec, accuracy, created, ...}."""
        return {
            "id": self.id,
            "title": self.title,
            "kind": self.kind,
            "spec": self.spec.model_dump(mode="json", exclude_none=True),
            "accuracy": self.accuracy,
            "created": self.created,
            "classes": self.classes,
            "init_from": self.init_from,
            "frozen": self.frozen,
            "bytes": self.path.stat().st_size if self.path.is_file() else None,
            **self.details,
        }

    def labels(self, outputs: int) -> list[str]:
        if self.classes and len(self.classes) == outputs:
            return [str(c) for c in self.classes]
        return [str(i) for i in range(outputs)]


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


# --- uploads ----------------------------------------------------------------------------


def uploads_dir(data_dir: Path) -> Path:
    return data_dir / "weights"


def _upload_entry(meta_path: Path) -> Entry | None:
    try:
        meta = json.loads(meta_path.read_text())
        spec = NetworkSpec.model_validate(meta["spec"])
    except (OSError, ValueError, KeyError):
        return None  # a stray or damaged file is not an entry
    path = meta_path.with_suffix(".safetensors")
    if not path.is_file():
        return None
    return Entry(
        id=UPLOAD_PREFIX + meta_path.stem,
        title=meta.get("title") or spec.name,
        kind="upload",
        spec=spec,
        path=path,
        created=meta.get("created"),
        details={"sha256": meta.get("sha256"), "file_name": meta.get("file_name")},
    )


def uploads(data_dir: Path) -> list[Entry]:
    folder = uploads_dir(data_dir)
    if not folder.is_dir():
        return []
    found = [_upload_entry(p) for p in folder.glob("*.json") if _HEX.fullmatch(p.stem)]
    entries = [e for e in found if e is not None]
    return sorted(entries, key=lambda e: e.created or "", reverse=True)


def parse(data: bytes) -> dict[str, torch.Tensor]:
    """safetensors bytes -> tensors; anything else (a pickle, garbage) -> BadWeights."""
    if len(data) < 8:
        raise BadWeights("the file is not safetensors: it is shorter than a safetensors header")
    try:
        return load_bytes(data)
    except (SafetensorError, ValueError, RuntimeError, OverflowError) as exc:
        raise BadWeights(
            f"the file is not safetensors ({exc}); export weights with "
            "safetensors.torch.save_file, never torch.save"
        ) from None


def check_fit(spec: NetworkSpec, tensors: dict[str, torch.Tensor], **build: Any) -> None:
    """Every key and shape must be the built module's (weights.check names each bad key);
    floating tensors stay floating and integer buffers integer; values finite."""
    expected = build_module(spec, **build).state_dict()
    weights.check(expected, tensors)
    problems = []
    for key in sorted(expected):
        want, got = expected[key], tensors[key]
        if want.is_floating_point() != got.is_floating_point():
            problems.append(f"{key}: dtype {got.dtype} in the file, {want.dtype} in the network")
        elif got.is_floating_point() and not bool(torch.isfinite(got).all()):
            problems.append(f"{key}: has NaN or infinite values")
    if problems:
        raise BadWeights("weights do not fit the network: " + "; ".join(problems))


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def import_file(
    data_dir: Path,
    data: bytes,
    spec: NetworkSpec,
    title: str = "",
    file_name: str = "",
    max_files: int | None = None,
    **build: Any,
) -> Entry:
    """Check `data` against `spec`, then store it; returns the new upload entry.
    `build`: build_module limits (max_params, max_activation_bytes)."""
    tensors = parse(data)
    try:
        check_fit(spec, tensors, **build)
    except weights.WeightsMismatch as exc:
        raise BadWeights(str(exc)) from None
    folder = uploads_dir(data_dir)
    if max_files is not None and len(uploads(data_dir)) >= max_files:
        raise LibraryFull(f"limit of {max_files:,} imported weight files reached; delete some")
    folder.mkdir(parents=True, exist_ok=True)
    hexid = secrets.token_hex(16)
    _write(folder / f"{hexid}.safetensors", data)
    meta = {
        "title": title.strip()[:200] or f"{spec.name} (imported)",
        "file_name": Path(file_name).name[:200],
        "spec": spec.model_dump(mode="json", exclude_none=True),
        "created": _now(),
        "sha256": weights.sha256(folder / f"{hexid}.safetensors"),
    }
    _write(folder / f"{hexid}.json", json.dumps(meta).encode())
    entry = _upload_entry(folder / f"{hexid}.json")
    assert entry is not None
    return entry


def delete_upload(data_dir: Path, weights_id: str) -> None:
    hexid = weights_id.removeprefix(UPLOAD_PREFIX)
    if not weights_id.startswith(UPLOAD_PREFIX) or not _HEX.fullmatch(hexid):
        raise NotFound(weights_id)
    folder = uploads_dir(data_dir)
    meta = folder / f"{hexid}.json"
    if not meta.is_file():
        raise NotFound(weights_id)
    meta.unlink()  # first: the entry leaves the listing before its file goes
    (folder / f"{hexid}.safetensors").unlink(missing_ok=True)


# --- one list -------------------------------------------------------------------------


def everything(
    data_dir: Path, run_rows: Iterable[RunLike], zoo: Zoo, shipped_dir: Path = SHIPPED_DIR
) -> list[Entry]:
    """Shipped first, then finished runs (newest first), then imported files."""
    return shipped(zoo, shipped_dir) + runs(run_rows, data_dir) + uploads(data_dir)


def find(
    weights_id: str,
    data_dir: Path,
    get_run: Any,
    zoo: Zoo,
    shipped_dir: Path = SHIPPED_DIR,
) -> Entry:
    """One entry by id; `get_run(run_id)` returns a run row or raises LookupError."""
    if weights_id.startswith(RUN_PREFIX):
        run_id = weights_id.removeprefix(RUN_PREFIX)
        if _HEX.fullmatch(run_id):
            try:
                entry = from_run(get_run(run_id), data_dir)
            except LookupError:
                entry = None
            if entry is not None:
                return entry
        raise NotFound(weights_id)
    if weights_id.startswith(UPLOAD_PREFIX):
        hexid = weights_id.removeprefix(UPLOAD_PREFIX)
        entry = (
            _upload_entry(uploads_dir(data_dir) / f"{hexid}.json")
            if _HEX.fullmatch(hexid)
            else None
        )
        if entry is None:
            raise NotFound(weights_id)
        return entry
    for entry in shipped(zoo, shipped_dir):
        if entry.id == weights_id:
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
