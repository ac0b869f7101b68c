"""Imported weights: files a user brought, checked, then kept as `upload-<32 hex>` entries.

Imported files are parsed by safetensors (or, for torchvision checkpoints, by
server/net/weights/torch_files.py and converted by models/torchvision.py), checked key
by key against the module their spec builds, and only then written to
<data dir>/weights/<hex>.safetensors with the spec beside it in <hex>.json (each through
a temp file and os.replace; the JSON goes last, so a listing never sees a half-imported
entry).
"""

from __future__ import annotations

import json
import os
import re
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load as load_bytes
from safetensors.torch import save_file

from server.net.core.build import build_module
from server.net.core.spec import NetworkSpec
from server.net.weights import files as weights
from server.net.weights.entry import BadWeights, Entry, LibraryFull, NotFound

UPLOAD_PREFIX = "upload-"
HEX = re.compile(r"[0-9a-f]{32}")
# details of an import that are Entry fields rather than extra JSON
_FIELDS = ("zoo", "preprocess")


def uploads_dir(data_dir: Path) -> Path:
    return data_dir / "weights"


def upload_entry(meta_path: Path) -> Entry | None:
    try:
        meta = json.loads(meta_path.read_text())
        spec = NetworkSpec.model_validate(meta["spec"])
    except (OSError, ValueError, KeyError):
        return None  # a stray or damaged file is not an entry
    path = meta_path.with_suffix(".safetensors")
    if not path.is_file():
        return None
    details = meta.get("details") or {}
    return Entry(
        id=UPLOAD_PREFIX + meta_path.stem,
        title=meta.get("title") or spec.name,
        kind="upload",
        spec=spec,
        path=path,
        created=meta.get("created"),
        zoo=details.get("zoo"),
        preprocess=details.get("preprocess"),
        details={
            "sha256": meta.get("sha256"),
            "file_name": meta.get("file_name"),
            **{k: v for k, v in details.items() if k not in _FIELDS},
        },
    )


def uploads(data_dir: Path) -> list[Entry]:
    folder = uploads_dir(data_dir)
    if not folder.is_dir():
        return []
    found = [upload_entry(p) for p in folder.glob("*.json") if HEX.fullmatch(p.stem)]
    entries = [e for e in found if e is not None]
    return sorted(entries, key=lambda e: e.created or "", reverse=True)


def find_upload(weights_id: str, data_dir: Path) -> Entry | None:
    hexid = weights_id.removeprefix(UPLOAD_PREFIX)
    if not weights_id.startswith(UPLOAD_PREFIX) or not HEX.fullmatch(hexid):
        return None
    return upload_entry(uploads_dir(data_dir) / f"{hexid}.json")


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


def expected_state(spec: NetworkSpec, **build: Any) -> dict[str, torch.Tensor]:
    """The keys, shapes and dtypes of `build_module(spec).state_dict()`, built on the
    meta device: no memory is allocated and nothing initialised (VGG-19: 144M values)."""
    with torch.device("meta"):
        return build_module(spec, **build).state_dict()


def check_fit(spec: NetworkSpec, tensors: dict[str, torch.Tensor], **build: Any) -> None:
    """Every key and shape must be the built module's (weights.check names each bad key);
    floating tensors stay floating and integer buffers integer; values finite."""
    expected = expected_state(spec, **build)
    try:
        weights.check(expected, tensors)
    except weights.WeightsMismatch as exc:
        raise BadWeights(str(exc)) from None
    problems = []
    for key in sorted(expected):
        want, got = expected[key], tensors[key]
        if want.is_floating_point() != got.is_floating_point():
            problems.append(f"{key}: dtype {got.dtype} in the file, {want.dtype} in the network")
        elif got.is_floating_point() and not bool(torch.isfinite(got).all()):
            problems.append(f"{key}: has NaN or infinite values")
    if problems:
        raise BadWeights("weights do not fit the network: " + "; ".join(problems))


def _not_safetensors(exc: Exception) -> BadWeights:
    return BadWeights(
        f"the file is not safetensors ({exc}); export weights with "
        "safetensors.torch.save_file, never torch.save"
    )


def check_file_fit(spec: NetworkSpec, path: Path, **build: Any) -> None:
    """check_fit for a safetensors file on disk, memory-mapped: keys, shapes and dtypes
    come from its header, and the values are read one tensor at a time (issue 13:
    uploads were read whole into memory), so at most the largest tensor is resident."""
    if path.stat().st_size < 8:
        raise BadWeights("the file is not safetensors: it is shorter than a safetensors header")
    try:
        with safe_open(str(path), framework="pt") as f:
            header, names = {}, f.keys()  # a safe_open handle is not iterable
            for key in names:
                piece = f.get_slice(key)
                dtype = weights.DTYPES.get(piece.get_dtype())
                if dtype is None:
                    raise BadWeights(f"{key}: dtype {piece.get_dtype()} is not one torch reads")
                header[key] = torch.empty(piece.get_shape(), dtype=dtype, device="meta")
            expected = expected_state(spec, **build)
            try:
                weights.check(expected, header)
            except weights.WeightsMismatch as exc:
                raise BadWeights(str(exc)) from None
            problems = []
            for key in sorted(expected):
                want, got = expected[key], header[key]
                if want.is_floating_point() != got.is_floating_point():
                    problems.append(
                        f"{key}: dtype {got.dtype} in the file, {want.dtype} in the network"
                    )
                elif got.is_floating_point() and not bool(torch.isfinite(f.get_tensor(key)).all()):
                    problems.append(f"{key}: has NaN or infinite values")
    except (SafetensorError, ValueError, RuntimeError, OverflowError) as exc:
        raise _not_safetensors(exc) from None
    if problems:
        raise BadWeights("weights do not fit the network: " + "; ".join(problems))


def write_via(path: Path, write: Callable[[Path], None]) -> None:
    """write(tmp) then fsync and os.replace: the file appears whole or not at all."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        write(tmp)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _store(
    data_dir: Path,
    spec: NetworkSpec,
    write: Callable[[Path], None],
    *,
    title: str,
    file_name: str,
    details: dict[str, Any],
    max_files: int | None,
) -> Entry:
    folder = uploads_dir(data_dir)
    if max_files is not None and len(uploads(data_dir)) >= max_files:
        raise LibraryFull(f"limit of {max_files:,} imported weight files reached; delete some")
    folder.mkdir(parents=True, exist_ok=True)
    hexid = secrets.token_hex(16)
    write_via(folder / f"{hexid}.safetensors", write)
    meta = {
        "title": title.strip()[:200] or f"{spec.name} (imported)",
        "file_name": Path(file_name).name[:200],
        "spec": spec.model_dump(mode="json", exclude_none=True),
        "created": _now(),
        "sha256": weights.sha256(folder / f"{hexid}.safetensors"),
        "details": details,
    }
    text = json.dumps(meta).encode()
    write_via(folder / f"{hexid}.json", lambda tmp: tmp.write_bytes(text))
    entry = upload_entry(folder / f"{hexid}.json")
    assert entry is not None
    return entry


def import_file(
    data_dir: Path,
    data: bytes,
    spec: NetworkSpec,
    title: str = "",
    file_name: str = "",
    max_files: int | None = None,
    **build: Any,
) -> Entry:
    """Check safetensors `data` against `spec`, then store it as is; returns the new
    upload entry. `build`: build_module limits (max_params, max_activation_bytes)."""
    check_fit(spec, parse(data), **build)
    return _store(
        data_dir,
        spec,
        lambda tmp: tmp.write_bytes(data),
        title=title,
        file_name=file_name,
        details={},
        max_files=max_files,
    )


def import_path(
    data_dir: Path,
    path: Path,
    spec: NetworkSpec,
    title: str = "",
    file_name: str = "",
    max_files: int | None = None,
    **build: Any,
) -> Entry:
    """import_file for a safetensors file already on disk (a spooled upload in the weights
    folder): checked from the file, then moved into place, never read whole."""
    check_file_fit(spec, path, **build)
    return _store(
        data_dir,
        spec,
        lambda tmp: os.replace(path, tmp),
        title=title,
        file_name=file_name,
        details={},
        max_files=max_files,
    )


def unshared(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Contiguous CPU tensors, none sharing memory (safetensors refuses shared ones)."""
    seen: set[int] = set()
    out = {}
    for key, value in tensors.items():
        value = value.detach().cpu().contiguous()
        ptr = value.untyped_storage().data_ptr()
        out[key] = value.clone() if ptr in seen else value
        seen.add(ptr)
    return out


def import_tensors(
    data_dir: Path,
    spec: NetworkSpec,
    tensors: dict[str, torch.Tensor],
    *,
    title: str = "",
    file_name: str = "",
    details: dict[str, Any] | None = None,
    max_files: int | None = None,
    **build: Any,
) -> Entry:
    """Check converted tensors (layer-path keys) against `spec` and store them as a new
    upload entry. `details` ({"zoo", "preprocess", ...}) is kept with the entry."""
    check_fit(spec, tensors, **build)
    state = unshared(tensors)
    return _store(
        data_dir,
        spec,
        lambda tmp: save_file(state, str(tmp)),
        title=title,
        file_name=file_name,
        details=dict(details or {}),
        max_files=max_files,
    )


def delete_upload(data_dir: Path, weights_id: str) -> None:
    hexid = weights_id.removeprefix(UPLOAD_PREFIX)
    if not weights_id.startswith(UPLOAD_PREFIX) or not HEX.fullmatch(hexid):
        raise NotFound(weights_id)
    folder = uploads_dir(data_dir)
    meta = folder / f"{hexid}.json"
    if not meta.is_file():
        raise NotFound(weights_id)
    meta.unlink()  # first: the entry leaves the listing before its file goes
    (folder / f"{hexid}.safetensors").unlink(missing_ok=True)
