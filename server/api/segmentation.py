"""Segmentation results (issue 16): GET /api/runs/{id}/worst_iou pages a finished
segmentation run's held-out examples by their own mean IoU, worst first: image, true
mask, predicted mask (palette PNG data URLs) and the IoU. Like GET .../misclassified it
reads the ranking stored in the run's metrics; the predicted masks are the run's weights
applied again to the page's images (a page is a few dozen 64x64 images)."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import torch
from fastapi import APIRouter, HTTPException

from server.api.deps import NetworksDep, SettingsDep, StoreDep
from server.api.services import open_network
from server.net.core import encode
from server.net.core.spec import NetworkSpec
from server.net.train import segmentation
from server.net.train.inputs import input_scaling, run_data
from server.net.train.loop import TrainConfig
from server.store import NotFound

router = APIRouter(tags=["runs"])


@lru_cache(maxsize=1)  # one run paged at a time; shapes_masks held out is ~25 MB
def _heldout(spec_json: str, config_json: str, data_dir: str) -> tuple[torch.Tensor, ...]:
    """The run's held-out images (M, C, H, W) in [0, 1], masks (M, H, W), and the
    (mean, std) it scaled its inputs with, as its worker saw them."""
    spec = NetworkSpec.model_validate_json(spec_json)
    config = TrainConfig.model_validate_json(config_json)
    channels, height, width = spec.input.shape
    data = run_data(config, channels, height, width, data_dir)
    mean, std = input_scaling(data.x_train, config)
    return data.x_val, data.y_val, mean, std


@router.get("/runs/{run_id}/worst_iou")
def worst_iou(
    run_id: str,
    store: StoreDep,
    settings: SettingsDep,
    networks: NetworksDep,
    offset: int = 0,
    limit: int = 12,
) -> dict[str, Any]:
    """Held-out examples of a finished segmentation run, lowest mean IoU first."""
    try:
        row = store.get_run(run_id)
    except NotFound:
        raise HTTPException(404, f"no run with id {run_id[:64]!r}") from None
    if not row.metrics_json:
        raise HTTPException(409, f"the run has no results yet ({row.status})")
    metrics = json.loads(row.metrics_json)
    if metrics.get("task") != segmentation.TASK:
        raise HTTPException(409, "the run is not a segmentation run; see .../misclassified")
    if offset < 0:
        raise HTTPException(422, f"offset must be >= 0, got {offset}")
    if not 1 <= limit <= settings.max_misclassified_page:
        raise HTTPException(
            422,
            f"limit must be 1..{settings.max_misclassified_page} "
            f"(CNNPLAY_MAX_MISCLASSIFIED_PAGE), got {limit}",
        )
    kept = metrics["worst_iou"]
    page = kept["items"][offset : offset + limit]
    items = []
    if page:
        try:
            vx, vy, mean, std = _heldout(row.spec_json, row.config_json, str(settings.data_dir))
        except ValueError as exc:  # its dataset was deleted (an upload)
            raise HTTPException(409, f"the run's held-out images are gone: {exc}") from None
        net = open_network(networks, weights=f"run-{run_id}", where="")
        idx = torch.tensor([i for i, _ in page])
        pred = segmentation.predict_masks(net.module, (vx[idx] - mean) / std)
        k = len(metrics["labels"])
        pal = segmentation.palette(k)
        for j, (index, iou) in enumerate(page):
            items.append(
                {
                    "index": index,
                    "iou": iou,
                    "image": encode.png_data_url(vx[index])[0],
                    "true": encode.mask_png_data_url(vy[index], pal),
                    "pred": encode.mask_png_data_url(pred[j], pal),
                }
            )
    return {
        "total": kept["total"],
        "kept": len(kept["items"]),
        "offset": offset,
        "limit": limit,
        "labels": metrics["labels"],
        "palette": metrics["palette"],
        "items": items,
    }
