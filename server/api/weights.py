"""The weights library: GET/POST /api/weights, GET/DELETE /api/weights/{id},
GET /api/weights/{id}/file (the .safetensors download).

Entries are shipped weights, finished training runs and imported files
(server/net/weights/library.py). An import is a multipart form: `file`, an optional
`title`, and exactly one of
  `spec`  the NetworkSpec JSON a cnnplay .safetensors file belongs to (never a pickle);
  `zoo`   a zoo architecture (models/torchvision.py SUPPORTED) whose torchvision
          checkpoint `file` is: a .pth state_dict (read only by torch.load's restricted
          weights_only unpickler) or .safetensors with torchvision's keys; it is
          converted to layer-path keys and its head sized from its classifier (issue 17).
The file is checked against the network's module before anything is stored.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import IO, Annotated, Any

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, Response, UploadFile
from fastapi.responses import FileResponse
from pydantic import ValidationError

import models
from models import torchvision
from server.api.deps import SettingsDep, StoreDep
from server.api.errors import _where
from server.api.limits import check_bytes
from server.api.shapes import checked_report
from server.config import Settings
from server.net.core.spec import NetworkSpec
from server.net.weights import library as lib
from server.net.weights import usage
from server.net.weights.torch_files import read_state_dict
from server.store import NotFound as RunNotFound
from server.store import Store

router = APIRouter(tags=["weights"])
WEIGHTS_FILE = "weights"  # the kind of an imported file in the store's owned_files


class Library:
    """The library as one user sees it (issue 14): the data dir, and the store's view for
    that user, which holds their runs (and shared ones) and knows whose imported files
    are whose; another user's import is a 404 like an unknown id."""

    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings = settings
        self.store = store

    def _mine(self, entry: lib.Entry) -> bool:
        return entry.kind != "upload" or self.store.may_read_file(WEIGHTS_FILE, entry.id)

    def allows(self, weights_id: str) -> bool:
        """Whether this user may use weights `weights_id` (without loading the entry): a
        run they can read, an import of theirs, or weights everyone has."""
        if weights_id.startswith(lib.RUN_PREFIX):
            try:
                self.store.get_run(weights_id.removeprefix(lib.RUN_PREFIX))
            except RunNotFound:
                return False
        if weights_id.startswith(lib.UPLOAD_PREFIX):
            return self.store.may_read_file(WEIGHTS_FILE, weights_id)
        return True

    def list(self) -> list[lib.Entry]:
        entries = lib.everything(self.settings.data_dir, self.store.list_runs(), models.get)
        return [e for e in entries if self._mine(e)]

    def get(self, weights_id: str) -> lib.Entry:
        def get_run(run_id: str) -> Any:
            try:
                return self.store.get_run(run_id)
            except RunNotFound as exc:
                raise LookupError(run_id) from exc

        try:
            entry = lib.find(weights_id, self.settings.data_dir, get_run, models.get)
        except lib.NotFound:
            entry = None
        if entry is None or not self._mine(entry):
            raise HTTPException(404, f"no weights with id {weights_id[:100]!r}")
        return entry


def get_library(request: Request, store: StoreDep) -> Library:
    return Library(request.app.state.settings, store)


LibraryDep = Annotated[Library, Depends(get_library)]


def _spec(text: str) -> NetworkSpec:
    try:
        return NetworkSpec.model_validate_json(text)
    except ValidationError as exc:
        detail = [
            {"field": "spec." + _where(e["loc"]) if e["loc"] else "spec", "msg": e["msg"]}
            for e in exc.errors()[:20]
        ]
        raise HTTPException(422, detail) from None


def safe_name(title: str) -> str:
    """A download file name from a title: ASCII letters, digits, '-', '_' and '.'."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", title).strip("._")[:80] or "weights"
    return f"{stem}.safetensors"


def download_name(entry: lib.Entry) -> str:
    """The file name GET /api/weights/{id}/file gives the entry's weights."""
    return safe_name(entry.id if entry.kind == "shipped" else entry.title)


@router.get("/weights")
def list_weights(library: LibraryDep) -> list[dict[str, Any]]:
    """Every set of weights a user can open: shipped, finished runs, imported files."""
    return [entry.public() for entry in library.list()]


def _too_large(limit: int) -> HTTPException:
    return HTTPException(413, f"the file is over {limit:,} bytes (CNNPLAY_MAX_WEIGHTS_BYTES)")


def _spool(upload: IO[bytes], folder: Path, limit: int, chunk: int) -> Path:
    """Copy the upload to a hidden temp file in `folder` (no listing reads it) in chunks,
    stopping past `limit` bytes (413), so a file is checked and memory-mapped from disk
    rather than held in memory (issue 13)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f".incoming-{secrets.token_hex(8)}.tmp"
    size = 0
    try:
        with open(path, "wb") as out:
            while block := upload.read(chunk):
                size += len(block)
                if size > limit:
                    raise _too_large(limit)
                out.write(block)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


def _store_args(settings: Settings, file: UploadFile, title: str) -> dict[str, Any]:
    """What both kinds of import pass to the library: names and limits."""
    return {
        "title": title,
        "file_name": file.filename or "",
        "max_files": settings.max_imported_weights,
        "max_params": settings.max_params,
        "max_activation_bytes": settings.max_activation_bytes,
    }


def _check_room(settings: Settings, adding: int) -> None:
    """The library's disk bound holds for imports as for downloads (409 naming it)."""
    used = usage.usage(settings.data_dir).bytes
    usage.check_room(used, adding, settings.max_library_bytes, "this import")


def _import_spec(settings: Settings, file: UploadFile, spec: str, title: str) -> lib.Entry:
    net = _spec(spec)
    checked_report(net, settings)  # 422 / 413 before building or reading anything
    folder = lib.uploads_dir(settings.data_dir)
    path = _spool(file.file, folder, settings.max_weights_bytes, settings.upload_chunk_bytes)
    try:
        _check_room(settings, path.stat().st_size)
        return lib.import_path(settings.data_dir, path, net, **_store_args(settings, file, title))
    finally:
        path.unlink(missing_ok=True)  # moved into place when it was imported


def _import_zoo(settings: Settings, file: UploadFile, zoo: str, title: str) -> lib.Entry:
    if zoo not in torchvision.SUPPORTED:
        raise HTTPException(
            422,
            f"zoo: {zoo[:100]!r} is not an architecture torchvision checkpoints import "
            f"into; one of {', '.join(torchvision.SUPPORTED)}",
        )
    folder = lib.uploads_dir(settings.data_dir)
    path = _spool(file.file, folder, settings.max_weights_bytes, settings.upload_chunk_bytes)
    try:
        _check_room(settings, path.stat().st_size)
        net, tensors = torchvision.convert(zoo, read_state_dict(path))
        checked_report(net, settings)
        details = {"zoo": zoo, "preprocess": lib.torchvision_preprocess()}
        args = _store_args(settings, file, title)
        return lib.import_tensors(settings.data_dir, net, tensors, details=details, **args)
    finally:
        path.unlink(missing_ok=True)  # mapped tensors stay readable until released


@router.post("/weights", status_code=201)
def import_weights(
    settings: SettingsDep,
    store: StoreDep,
    file: Annotated[UploadFile, File(description="a .safetensors file, or a torchvision .pth")],
    spec: Annotated[
        str | None, Form(description="the NetworkSpec JSON a cnnplay .safetensors belongs to")
    ] = None,
    zoo: Annotated[
        str | None, Form(max_length=100, description="the zoo architecture of a torchvision file")
    ] = None,
    title: Annotated[str, Form(max_length=200)] = "",
) -> dict[str, Any]:
    """Import weights for a spec, or a torchvision checkpoint for a zoo architecture:
    every key and shape is checked before the file is kept."""
    if (spec is None) == (zoo is None):
        raise HTTPException(
            422,
            "spec, zoo: give exactly one: `spec` with a cnnplay .safetensors file, or "
            "`zoo` with a torchvision checkpoint",
        )
    check_bytes(store, settings, file.size or 0)  # issue 14: the user's quota
    try:
        if spec is not None:
            entry = _import_spec(settings, file, spec, title)
        else:
            assert zoo is not None
            entry = _import_zoo(settings, file, zoo, title)
    except lib.BadWeights as exc:
        raise HTTPException(422, f"file: {exc}") from None
    except lib.LibraryFull as exc:
        raise HTTPException(409, f"{exc} (CNNPLAY_MAX_IMPORTED_WEIGHTS)") from None
    except usage.LibraryFull as exc:
        raise HTTPException(409, str(exc)) from None
    store.own_file(WEIGHTS_FILE, entry.id, entry.path.stat().st_size)  # the importer's
    return entry.public()


@router.get("/weights/{weights_id}")
def get_weights(weights_id: str, library: LibraryDep) -> dict[str, Any]:
    return library.get(weights_id).public()


@router.get("/weights/{weights_id}/file")
def download_weights(weights_id: str, library: LibraryDep) -> FileResponse:
    """The .safetensors file, as an attachment with a safe file name."""
    entry = library.get(weights_id)
    if not entry.path.is_file():
        raise HTTPException(404, f"the file of weights {weights_id!r} is missing")
    name = download_name(entry)
    return FileResponse(
        entry.path,
        media_type="application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.delete("/weights/{weights_id}", status_code=204)
def delete_weights(weights_id: str, library: LibraryDep, settings: SettingsDep) -> Response:
    """Delete an imported file (runs are deleted with their run; shipped ones stay)."""
    entry = library.get(weights_id)
    if entry.kind != "upload":
        where = {
            "run": "DELETE /api/runs/{id} removes a run",
            "imagenet": f"DELETE /api/pretrained/{entry.id}/download removes a download",
        }.get(entry.kind, "it ships")
        raise HTTPException(409, f"only imported weights can be deleted here ({where})")
    try:
        lib.delete_upload(settings.data_dir, weights_id)
    except lib.NotFound:
        raise HTTPException(404, f"no weights with id {weights_id[:100]!r}") from None
    library.store.forget_file(WEIGHTS_FILE, weights_id)
    return Response(status_code=204)
