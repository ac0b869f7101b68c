"""Pretrained weights (issue 17): GET /api/pretrained lists the shipped transfer sources and
the official ImageNet weights of the zoo; GET /api/pretrained/{name} is one of them (the
browser polls it for the progress bar); POST / DELETE /api/pretrained/{name}/download start
and cancel a download (DELETE also removes converted weights); GET /api/weights/usage is
the weights library's disk use against CNNPLAY_MAX_LIBRARY_BYTES.

Downloads run in background threads of the web process (I/O, not a training job:
server/net/weights/pretrained.py); a converted download is the library entry
`imagenet-<zoo>` in GET /api/weights.
"""

from __future__ import annotations

import threading
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request, Response

import models
from models import torchvision
from server.api.deps import SettingsDep
from server.config import Settings
from server.net.data import imagenet
from server.net.train import transfer
from server.net.weights import official, pretrained, usage
from server.net.weights.torch_files import read_state_dict

router = APIRouter(tags=["pretrained"])
_lock = threading.Lock()


def downloads_for(settings: Settings) -> pretrained.Downloads:
    return pretrained.Downloads(
        settings.data_dir,
        official.read_manifest(),
        torchvision.convert,  # the key mapping derived from the zoo builders
        read_state_dict,  # torch.load(weights_only=True), memory-mapped
        base_url=settings.pretrained_base_url,
        max_library_bytes=settings.max_library_bytes,
        max_downloads=settings.max_downloads,
    )


def get_downloads(request: Request) -> pretrained.Downloads:
    """The app's ImageNet download manager, made on first use (one per app)."""
    state = request.app.state
    with _lock:
        if getattr(state, "pretrained", None) is None:
            state.pretrained = downloads_for(state.settings)
        return state.pretrained


def stop(app: FastAPI) -> None:
    """At shutdown: downloads stop and keep their .part files for a resume."""
    manager = getattr(app.state, "pretrained", None)
    if manager is not None:
        manager.close()


DownloadsDep = Annotated[pretrained.Downloads, Depends(get_downloads)]


def _shipped() -> list[dict[str, Any]]:
    """The shipped weights a run can start from (config.init_from)."""
    out = []
    for name, entry in transfer.manifest().items():
        out.append(
            {
                "name": name,
                "kind": "shipped",
                "zoo": entry["zoo"],
                "source_data": entry.get("source_data", "MNIST digits 0-9"),
                "classes": entry.get("classes", list(range(entry.get("head", 10)))),
                "heldout_accuracy": entry["heldout_accuracy"],
                "heldout_size": entry.get("heldout_size"),
                "train_size": entry.get("train_size"),
            }
        )
    return out


def _imagenet(o: official.Official, manager: pretrained.Downloads) -> dict[str, Any]:
    st = manager.state(o.zoo)
    return {
        "name": o.id,
        "kind": official.KIND,
        "zoo": o.zoo,
        "title": f"{models.entry(o.zoo).title} · {official.SOURCE_DATA}",
        "source_data": official.SOURCE_DATA,
        "classes": None,
        "num_classes": imagenet.NUM_CLASSES,
        "heldout_accuracy": round(o.acc1 / 100, 5),  # top-1 on ImageNet-1k val
        "top5_accuracy": round(o.acc5 / 100, 5),
        "weights": o.weights,
        "file_name": o.file_name,
        "url": manager.base_url + o.file_name,
        "bytes": o.bytes,
        "status": st.status,
        "progress": st.progress(),
        "error": st.error,
    }


def _official(name: str, manager: pretrained.Downloads) -> official.Official:
    zoo = name.removeprefix(official.PREFIX)
    if name.startswith(official.PREFIX) and zoo in manager.manifest:
        return manager.manifest[zoo]
    if name in transfer.manifest():
        raise HTTPException(409, f"{name!r} ships with cnnplay: there is nothing to download")
    known = ", ".join(o.id for o in manager.manifest.values())
    raise HTTPException(404, f"no pretrained weights named {name[:100]!r}; downloadable: {known}")


@router.get("/pretrained")
def list_pretrained(manager: DownloadsDep) -> list[dict[str, Any]]:
    """Shipped transfer sources, then one item per zoo architecture with official ImageNet
    weights (status, progress in bytes with ETA, error)."""
    return _shipped() + [_imagenet(o, manager) for o in manager.manifest.values()]


@router.get("/pretrained/{name}")
def get_pretrained(name: str, manager: DownloadsDep) -> dict[str, Any]:
    for item in _shipped():
        if item["name"] == name:
            return item
    return _imagenet(_official(name, manager), manager)


@router.post("/pretrained/{name}/download", status_code=202)
def start_download(name: str, manager: DownloadsDep, response: Response) -> dict[str, Any]:
    """Start (or join) the download; 200 when the weights are already converted."""
    o = _official(name, manager)
    try:
        state = manager.start(o.zoo)
    except usage.LibraryFull as exc:
        raise HTTPException(409, str(exc)) from None
    if state.status == "ready":
        response.status_code = 200
    return _imagenet(o, manager)


@router.delete("/pretrained/{name}/download", status_code=204)
def cancel_download(name: str, manager: DownloadsDep) -> Response:
    """Cancel a download (its partial file goes) or delete the converted weights."""
    manager.cancel(_official(name, manager).zoo)
    return Response(status_code=204)


@router.get("/weights/usage")
def weights_usage(settings: SettingsDep) -> dict[str, int]:
    """Disk use of the weights library (imports, downloads) and its bound."""
    return usage.usage(settings.data_dir).public(settings.max_library_bytes)
