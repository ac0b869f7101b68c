"""Datasets (issue 6): GET /api/datasets lists every one with its status; downloads start
with POST /api/datasets/{name}/download (a background thread: I/O, not a training job);
POST /api/datasets uploads a zip of one folder per class; DELETE /api/datasets/{name}.
"""

from __future__ import annotations

import re
import shutil
import threading
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, Response, UploadFile

from server.api.deps import SettingsDep, StoreDep
from server.api.limits import check_bytes
from server.config import Settings
from server.net.core.spec import NetworkSpec
from server.net.data import archive, datasets, downloads, mask_archive, uploaded
from server.store import Store

router = APIRouter(tags=["datasets"])
DATASET_FILE = "dataset"  # the kind of an uploaded dataset in the store's owned_files
_lock = threading.Lock()


def get_downloads(request: Request) -> downloads.Manager:
    """The app's download manager, made on first use (one per app)."""
    state = request.app.state
    with _lock:
        manager = getattr(state, "downloads", None)
        if manager is None:
            manager = downloads.Manager(state.settings.data_dir)
            state.downloads = manager
    return manager


DownloadsDep = Annotated[downloads.Manager, Depends(get_downloads)]


def entry(info: datasets.Info, settings: Settings, manager: downloads.Manager) -> dict[str, Any]:
    """One dataset as the list shows it."""
    out: dict[str, Any] = {
        "name": info.name,
        "title": info.title,
        "kind": info.kind,
        "channels": info.channels,
        "height": info.height,
        "width": info.width,
        "num_classes": info.num_classes,
        "class_names": list(info.class_names),
        "train_size": info.train_size,
        "val_size": info.val_size,
        "status": "ready",
        "progress": None,  # 0..1 while downloading
        "bytes_done": None,
        "bytes_total": None,
        "error": None,
        "deletable": info.kind != "builtin",
        "task": info.task,  # "classification" | "segmentation" (masks, issue 16)
    }
    if info.kind == "download":
        out["download_bytes"] = sum(f.size for f in downloads.SOURCES[info.name].files)
        st = manager.state(info.name)
        if st.status == "downloading":
            out["status"] = "downloading"
            out["progress"] = st.done / st.total if st.total else 0.0
            out["bytes_done"], out["bytes_total"] = st.done, st.total
        elif not datasets.ready(info.name, settings.data_dir):
            out["status"] = "missing"
            out["error"] = st.error if st.status == "failed" else None
        out["deletable"] = out["status"] == "ready"
    elif info.kind == "upload":
        m = uploaded.manifest(settings.data_dir, info.name[len(uploaded.PREFIX) :])
        out["id"] = m["id"]
        out["counts"] = m["counts"]
        out["skipped"] = m.get("skipped", 0)
    return out


def _readable(name: str, store: Store | None) -> bool:
    """An upload is its uploader's (issue 14); the others are everyone's."""
    if store is None or not name.startswith(uploaded.PREFIX):
        return True
    return store.may_read_file(DATASET_FILE, name[len(uploaded.PREFIX) :])


def _info(name: str, settings: Settings, store: Store) -> datasets.Info:
    try:
        if not _readable(name, store):
            raise datasets.UnknownDataset(f"no dataset {name[:100]!r}")
        return datasets.info(name, settings.data_dir)
    except datasets.UnknownDataset as exc:
        raise HTTPException(404, str(exc)) from None


@router.get("/datasets")
def list_datasets(
    settings: SettingsDep, manager: DownloadsDep, store: StoreDep
) -> list[dict[str, Any]]:
    """Every dataset: {name, title, kind, channels, height, width, num_classes, class_names,
    train_size, val_size, status: ready|missing|downloading, progress, ...}."""
    return [
        entry(i, settings, manager)
        for i in datasets.catalog(settings.data_dir)
        if _readable(i.name, store)
    ]


@router.get("/train/datasets")
def list_ready(
    settings: SettingsDep, manager: DownloadsDep, store: StoreDep
) -> list[dict[str, Any]]:
    """The datasets a run can use right now (the ready part of GET /api/datasets)."""
    return [d for d in list_datasets(settings, manager, store) if d["status"] == "ready"]


@router.get("/datasets/{name}")
def get_dataset(
    name: str, settings: SettingsDep, manager: DownloadsDep, store: StoreDep
) -> dict[str, Any]:
    return entry(_info(name, settings, store), settings, manager)


@router.post("/datasets/{name}/download", status_code=202)
def start_download(
    name: str, settings: SettingsDep, manager: DownloadsDep, store: StoreDep
) -> dict[str, Any]:
    """Start fetching a downloadable dataset into the cache; poll GET /api/datasets."""
    info = _info(name, settings, store)
    if info.kind != "download":
        raise HTTPException(409, f"dataset {name!r} is {info.kind}; only downloadable ones fetch")
    if not datasets.ready(name, settings.data_dir):
        manager.start(name)
    return entry(info, settings, manager)


def _limits(settings: Settings) -> archive.Limits:
    return archive.Limits(
        max_entries=settings.max_archive_entries,
        max_bytes=settings.max_archive_bytes,
        max_ratio=settings.max_archive_ratio,
        max_image_pixels=settings.max_image_pixels,
        max_total_pixels=settings.max_archive_pixels,
        max_images=settings.max_dataset_images,
        max_classes=settings.max_dataset_classes,
        side=settings.dataset_image_side,
        max_side=settings.dataset_max_side,
        max_stored_bytes=settings.max_dataset_bytes,
    )


def _check_room(settings: Settings, adding: int) -> None:
    """409 unless the uploads and `adding` more bytes fit CNNPLAY_MAX_DATASETS_BYTES."""
    used, limit = uploaded.bytes_used(settings.data_dir), settings.max_datasets_bytes
    if used + adding > limit or used >= limit:
        raise HTTPException(
            409,
            f"this dataset needs {adding:,} bytes; uploaded datasets take {used:,} of their "
            f"{limit:,} (CNNPLAY_MAX_DATASETS_BYTES); delete one first",
        )


def _title(title: str | None, filename: str | None) -> str:
    """A display title: the one given, else the zip's file name without folders or .zip."""
    raw = title or Path((filename or "").replace("\\", "/")).name.removesuffix(".zip")
    clean = re.sub(r"[\x00-\x1f\x7f]", "", raw).strip()[:80]
    return clean or "Uploaded images"


@router.post("/datasets", status_code=201)
def upload_dataset(
    file: Annotated[UploadFile, File()],
    settings: SettingsDep,
    manager: DownloadsDep,
    store: StoreDep,
    title: Annotated[str | None, Form(max_length=200)] = None,
    seed: Annotated[int, Form(ge=0, le=2**31 - 1)] = 0,
) -> dict[str, Any]:
    """A zip of one folder per class -> checked, decoded, resized, split (stratified by
    seed) and stored under a server-made id; answers the list entry with class counts and
    how many files were skipped."""
    data = file.file.read(settings.max_upload_bytes + 1)
    if len(data) > settings.max_upload_bytes:
        raise HTTPException(
            413, f"the file is over {settings.max_upload_bytes:,} bytes (CNNPLAY_MAX_UPLOAD_BYTES)"
        )
    check_bytes(store, settings, len(data))  # issue 14: the user's quota
    have = len(uploaded.list_all(settings.data_dir))
    if have >= settings.max_upload_datasets:
        raise HTTPException(
            409,
            f"there are already {have} uploaded datasets (CNNPLAY_MAX_UPLOAD_DATASETS); "
            "delete one first",
        )
    _check_room(settings, 0)  # full already: refuse before decoding anything
    try:
        decoded = mask_archive.read_any(data, _limits(settings))  # masks/: issue 16
    except archive.ArchiveError as exc:
        raise HTTPException(exc.status, str(exc)) from None
    _check_room(settings, uploaded.stored_bytes(decoded))
    uploaded.sweep(settings.data_dir)
    m = uploaded.save(
        settings.data_dir,
        decoded,
        _title(title, file.filename),
        settings.dataset_held_fraction,
        seed,
    )
    folder = uploaded.root(settings.data_dir) / m["id"]
    size = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
    store.own_file(DATASET_FILE, m["id"], size)  # the uploader's (issue 14)
    out = entry(datasets.info(m["name"], settings.data_dir), settings, manager)
    out["skipped_examples"] = m["skipped_examples"]
    return out


@router.delete("/datasets/{name}", status_code=204)
def delete_dataset(
    name: str, settings: SettingsDep, manager: DownloadsDep, store: StoreDep
) -> Response:
    """An upload (by its name "upload:<id>" or its id), or a downloaded set's cache."""
    if uploaded.ID.match(name):
        name = uploaded.PREFIX + name
    info = _info(name, settings, store)
    if info.kind == "builtin":
        raise HTTPException(409, f"dataset {name!r} is built in; it cannot be deleted")
    if info.kind == "upload":
        try:
            uploaded.delete(settings.data_dir, name[len(uploaded.PREFIX) :])
        except uploaded.NotFound as exc:
            raise HTTPException(404, str(exc)) from None
        store.forget_file(DATASET_FILE, name[len(uploaded.PREFIX) :])
        return Response(status_code=204)
    if not store.sees_all:  # a downloaded set is the whole class's (issue 14)
        raise HTTPException(403, f"dataset {name!r} is shared by the class; the teacher deletes it")
    if manager.state(name).status == "downloading":
        raise HTTPException(409, f"dataset {name!r} is downloading; wait for it to finish")
    shutil.rmtree(downloads.folder(settings.data_dir, name), ignore_errors=True)
    return Response(status_code=204)


def check_dataset(
    spec: NetworkSpec, name: str, data_dir: Path | None, store: Store | None = None
) -> int:
    """For the runs API: 422 for an unknown dataset (or another user's upload) or channels
    that do not fit, 409 for one not on disk yet; returns its number of classes. A
    1-channel network takes an RGB set as grey, a 3-channel one a grey set as three
    equal channels."""
    try:
        if not _readable(name, store):
            raise datasets.UnknownDataset(f"no dataset {name[:100]!r}")
        info = datasets.info(name, data_dir)
    except datasets.UnknownDataset as exc:
        raise HTTPException(422, f"config.dataset: {exc}") from None
    if not datasets.ready(name, data_dir):
        raise HTTPException(
            409,
            f"config.dataset: {name!r} is not downloaded yet; "
            f"POST /api/datasets/{name}/download (or the Download button) first",
        )
    if not datasets.can_convert(info.channels, spec.input.channels):
        raise HTTPException(
            422,
            f"spec.input.channels is {spec.input.channels}; {name} images have "
            f"{info.channels} channel{'s' if info.channels > 1 else ''} (a network with 1 or "
            "3 input channels can use 1- and 3-channel datasets)",
        )
    return info.num_classes
