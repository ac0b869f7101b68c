"""The weights library: GET/POST /api/weights, GET/DELETE /api/weights/{id},
GET /api/weights/{id}/file (the .safetensors download).

Entries are shipped weights, finished training runs and imported files
(server/net/weights/library.py). An import is a multipart form: `file` (.safetensors,
never a pickle), `spec` (the NetworkSpec JSON the file belongs to) and an optional
`title`; the file is checked against the spec's module before anything is stored.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, Response, UploadFile
from fastapi.responses import FileResponse
from pydantic import ValidationError

import models
from server.api.deps import SettingsDep
from server.api.errors import _where
from server.api.shapes import checked_report
from server.config import Settings
from server.net.core.spec import NetworkSpec
from server.net.weights import library as lib
from server.store import NotFound as RunNotFound
from server.store import Store

router = APIRouter(tags=["weights"])


class Library:
    """The library as the app sees it: the data dir and the run store."""

    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings = settings
        self.store = store

    def list(self) -> list[lib.Entry]:
        return lib.everything(self.settings.data_dir, self.store.list_runs(), models.get)

    def get(self, weights_id: str) -> lib.Entry:
        def get_run(run_id: str) -> Any:
            try:
                return self.store.get_run(run_id)
            except RunNotFound as exc:
                raise LookupError(run_id) from exc

        try:
            return lib.find(weights_id, self.settings.data_dir, get_run, models.get)
        except lib.NotFound:
            raise HTTPException(404, f"no weights with id {weights_id[:100]!r}") from None


def get_library(request: Request) -> Library:
    return Library(request.app.state.settings, request.app.state.store)


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


@router.get("/weights")
def list_weights(library: LibraryDep) -> list[dict[str, Any]]:
    """Every set of weights a user can open: shipped, finished runs, imported files."""
    return [entry.public() for entry in library.list()]


@router.post("/weights", status_code=201)
def import_weights(
    library: LibraryDep,
    settings: SettingsDep,
    file: Annotated[UploadFile, File(description="a .safetensors file")],
    spec: Annotated[str, Form(description="the NetworkSpec JSON the weights belong to")],
    title: Annotated[str, Form(max_length=200)] = "",
) -> dict[str, Any]:
    """Import weights for a spec: every key and shape is checked before the file is kept."""
    net = _spec(spec)
    checked_report(net, settings)  # 422 / 413 before building anything
    limit = settings.max_weights_bytes
    data = file.file.read(limit + 1)
    if len(data) > limit:
        raise HTTPException(413, f"the file is over {limit:,} bytes (CNNPLAY_MAX_WEIGHTS_BYTES)")
    try:
        entry = lib.import_file(
            settings.data_dir,
            data,
            net,
            title=title,
            file_name=file.filename or "",
            max_files=settings.max_imported_weights,
            max_params=settings.max_params,
            max_activation_bytes=settings.max_activation_bytes,
        )
    except lib.BadWeights as exc:
        raise HTTPException(422, f"file: {exc}") from None
    except lib.LibraryFull as exc:
        raise HTTPException(409, f"{exc} (CNNPLAY_MAX_IMPORTED_WEIGHTS)") from None
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
    name = safe_name(entry.id if entry.kind == "shipped" else entry.title)
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
        where = "DELETE /api/runs/{id} removes a run" if entry.kind == "run" else "it ships"
        raise HTTPException(409, f"only imported weights can be deleted here ({where})")
    try:
        lib.delete_upload(settings.data_dir, weights_id)
    except lib.NotFound:
        raise HTTPException(404, f"no weights with id {weights_id[:100]!r}") from None
    return Response(status_code=204)
