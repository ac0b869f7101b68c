"""The training rules, stated once by the server (issue 12):

- GET /api/train/schema: TrainConfig's JSON Schema (options, defaults, bounds), as
  /api/layers serves the layers', with the server's parameter limits under "x-limits";
- POST /api/transfer/plan: a transfer mode's frozen paths and re-headed spec for a network
  and a source of weights (server/net/train/transfer.py, server/net/core/head.py), so the
  Train view computes neither.
"""

from __future__ import annotations

from functools import cache
from typing import Any, Literal

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, Field, model_validator

import models
from server.api import run_checks
from server.api.deps import SettingsDep
from server.api.shapes import check_size
from server.api.weights import LibraryDep
from server.net.core.head import NoHead, with_head
from server.net.core.spec import NetworkSpec
from server.net.train import transfer
from server.net.train.loop import TrainConfig

router = APIRouter(tags=["training rules"])


@cache
def _config_schema() -> dict[str, Any]:
    return TrainConfig.model_json_schema()


@router.get("/train/schema")
def train_schema(settings: SettingsDep) -> dict[str, Any]:
    """TrainConfig's JSON Schema; "x-limits" holds the parameter limits of a network to
    train from scratch and from library weights (CNNPLAY_MAX_TRAIN_PARAMS, _FINETUNE_)."""
    return {
        **_config_schema(),
        "x-limits": {
            "max_train_params": settings.max_train_params,
            "max_finetune_params": settings.max_finetune_params,
        },
    }


class PlanRequest(BaseModel):
    """A network (a spec, or a zoo name; neither: the source's own network), the weights
    to start from, a mode and the number of classes of the new task."""

    model_config = ConfigDict(extra="forbid")
    spec: NetworkSpec | None = None
    zoo: str | None = Field(None, max_length=100)
    source: str = Field(min_length=1, max_length=100)
    mode: Literal["frozen", "later", "all"]
    classes: int = Field(ge=2, le=1000)
    # "all" fine-tunes the pretrained layers at lr / 10.
    lr: float = Field(TrainConfig.model_fields["lr"].default, gt=0, le=1e7)

    @model_validator(mode="after")
    def _one_network(self) -> PlanRequest:
        if self.spec is not None and self.zoo is not None:
            raise ValueError("give spec or zoo, not both")
        return self


@router.post("/transfer/plan")
def transfer_plan(body: PlanRequest, settings: SettingsDep, library: LibraryDep) -> dict[str, Any]:
    """{"spec": the network with a head of `classes` units, "frozen": layer paths,
    "pretrained_lr": float | null, "init_from": the source}; 422 naming the state key when
    the network does not fit the source's weights (its head aside)."""
    entry = run_checks.source(library, body.source, field="source")
    spec = body.spec or entry.spec
    if body.zoo is not None:
        try:
            spec = models.get(body.zoo)
        except KeyError:
            raise HTTPException(422, f"zoo: no zoo network named {body.zoo[:100]!r}") from None
    check_size(spec, settings)
    try:
        spec = with_head(spec, body.classes)
    except NoHead as exc:
        raise HTTPException(422, f"spec: {exc}") from None
    config = transfer.mode_config(body.mode, spec, body.source, body.lr)
    run_checks.check_fits_weights(spec, True, entry, field="source")
    return {
        "spec": spec.model_dump(mode="json", exclude_none=True),
        "frozen": config.get("frozen", []),
        "pretrained_lr": config.get("pretrained_lr"),
        "init_from": config["init_from"],
    }
