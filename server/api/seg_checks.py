"""What POST /api/runs checks of a segmentation run (issue 16): the task fits the
dataset, the loss is per-pixel cross-entropy, the options are not classification-only,
and the network outputs one score map per class at the input's size."""

from __future__ import annotations

from pathlib import Path

from fastapi import HTTPException

from server.net.core.spec import NetworkSpec
from server.net.data import datasets, masks
from server.net.train import segmentation
from server.net.train.loop import TrainConfig


def is_segmentation(config: TrainConfig, data_dir: Path | None) -> bool:
    """Whether the run segments; 422 when config.task names a task its dataset cannot
    give (a dataset already checked by check_dataset)."""
    task = datasets.info(config.dataset, data_dir).task
    try:
        return segmentation.task_of(config.task, task, config.dataset) == segmentation.TASK
    except segmentation.TaskError as exc:
        raise HTTPException(422, f"config.{exc}") from None


def check(
    spec: NetworkSpec, config: TrainConfig, output_shape: list[int], num_classes: int
) -> None:
    try:
        segmentation.check_config(config.loss)
        masks.refuse_options(config.dataset, config.classes, config.per_class, config.val_split)
    except (segmentation.TaskError, masks.NotForMasks) as exc:
        raise HTTPException(422, f"config.{exc}") from None
    why = segmentation.check_output(output_shape, num_classes, spec.input.shape[1:])
    if why:
        raise HTTPException(422, why)
