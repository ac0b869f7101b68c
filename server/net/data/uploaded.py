"""Uploaded datasets on disk: <data dir>/datasets/<id>/data.safetensors + manifest.json.

The id is generated here (16 hex digits), never taken from a client path. A dataset is
written into a temporary folder and renamed into place, so a listed dataset is complete.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np
from safetensors.numpy import load_file, save_file

from server.net.data.archive import Decoded, split

ID = re.compile(r"^[0-9a-f]{16}$")
PREFIX = "upload:"
DATA = "data.safetensors"
MANIFEST = "manifest.json"


class NotFound(KeyError):
    def __str__(self) -> str:
        return f"no uploaded dataset {self.args[0]!r}"


def root(data_dir: Path) -> Path:
    return Path(data_dir) / "datasets"


def _folder(data_dir: Path, upload_id: str) -> Path:
    if not ID.match(upload_id):
        raise NotFound(upload_id[:64])
    return root(data_dir) / upload_id


def save(
    data_dir: Path, decoded: Decoded, title: str, held_fraction: float, seed: int
) -> dict[str, Any]:
    """Split (stratified, seeded), write, rename into place; returns the manifest."""
    train_idx, held_idx = split(decoded.y, held_fraction, seed)
    upload_id = secrets.token_hex(8)
    base = root(data_dir)
    base.mkdir(parents=True, exist_ok=True)
    tmp = base / f".tmp-{upload_id}"
    tmp.mkdir()
    n, c, h, w = decoded.x.shape
    # A segmentation set (issue 16) keeps its masks where labels would be.
    masks = getattr(decoded, "masks", None)
    y = decoded.y if masks is None else masks
    manifest = {
        "id": upload_id,
        "name": PREFIX + upload_id,
        "title": title,
        "channels": c,
        "height": h,
        "width": w,
        "class_names": decoded.class_names,
        "counts": decoded.counts,
        "train_size": len(train_idx),
        "val_size": len(held_idx),
        "skipped": len(decoded.skipped),
        "skipped_examples": decoded.skipped[:10],
        "split_seed": seed,
        "created": time.time(),
        "task": "classification" if masks is None else "segmentation",
    }
    try:
        save_file(
            {
                "x_train": np.ascontiguousarray(decoded.x[train_idx]),
                "y_train": np.ascontiguousarray(y[train_idx]),
                "x_val": np.ascontiguousarray(decoded.x[held_idx]),
                "y_val": np.ascontiguousarray(y[held_idx]),
            },
            str(tmp / DATA),
        )
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1))
        os.replace(tmp, base / upload_id)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return manifest


def manifest(data_dir: Path, upload_id: str) -> dict[str, Any]:
    path = _folder(data_dir, upload_id) / MANIFEST
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        raise NotFound(upload_id) from None


def list_all(data_dir: Path) -> list[dict[str, Any]]:
    """Every complete upload's manifest, oldest first."""
    base = root(data_dir)
    if not base.is_dir():
        return []
    out = []
    for d in base.iterdir():
        if ID.match(d.name):
            try:
                out.append(manifest(data_dir, d.name))
            except NotFound:
                continue  # a folder without a manifest is not a dataset
    return sorted(out, key=lambda m: m.get("created", 0))


def bytes_used(data_dir: Path) -> int:
    """Disk taken by every uploaded dataset (their folders' files, leftovers included):
    what Settings.max_datasets_bytes bounds (issue 13)."""
    base = root(data_dir)
    if not base.is_dir():
        return 0
    return sum(p.stat().st_size for p in base.rglob("*") if p.is_file())


def stored_bytes(decoded: Decoded) -> int:
    """About what save() writes for `decoded`: its arrays (the headers are small)."""
    return int(decoded.x.nbytes + decoded.y.nbytes)


def load(data_dir: Path, upload_id: str) -> tuple[np.ndarray, ...]:
    """(x_train, y_train, x_val, y_val); images uint8 (N, C, H, W)."""
    path = _folder(data_dir, upload_id) / DATA
    if not path.is_file():
        raise NotFound(upload_id)
    t = load_file(str(path))
    return t["x_train"], t["y_train"], t["x_val"], t["y_val"]


def delete(data_dir: Path, upload_id: str) -> None:
    folder = _folder(data_dir, upload_id)
    if not (folder / MANIFEST).is_file():
        raise NotFound(upload_id)
    # Rename first: a reader never sees a half-deleted dataset as a dataset.
    gone = folder.with_name(f".del-{upload_id}-{secrets.token_hex(4)}")
    os.replace(folder, gone)
    shutil.rmtree(gone, ignore_errors=True)


def sweep(data_dir: Path, older_than_s: float = 3600.0) -> None:
    """Remove leftovers of writes or deletes that a crash interrupted (old enough that no
    upload is still writing them)."""
    base = root(data_dir)
    if not base.is_dir():
        return
    cutoff = time.time() - older_than_s
    for d in base.iterdir():
        if d.name.startswith((".tmp-", ".del-")) and d.is_dir() and d.stat().st_mtime < cutoff:
            shutil.rmtree(d, ignore_errors=True)
