"""What POST /api/runs checks before a run is queued (4xx naming the field and the limit),
and where a run's starting weights come from: config.init_from is any weights id of the
library (shipped name, imagenet-<zoo>, upload-<hex>, run-<hex>; issue 17).
"""

from __future__ import annotations

from fastapi import HTTPException

from server.api import seg_checks
from server.api.datasets import check_dataset
from server.api.weights import Library
from server.config import Settings
from server.net.core.shapes import infer
from server.net.core.spec import NetworkSpec
from server.net.train import transfer
from server.net.train.inputs import InputStats
from server.net.train.loop import TrainConfig
from server.net.weights import files as weights
from server.net.weights import library as lib

IMAGENET_PREFIX = "imagenet-"  # official weights, downloaded by GET /api/pretrained (B)


def source(library: Library, weights_id: str, field: str = "config.init_from") -> lib.Entry:
    """The library entry of a weights id; 409 for ImageNet weights not downloaded yet,
    422 for an id the library does not know."""
    try:
        entry = library.get(weights_id)
    except HTTPException as exc:
        if exc.status_code != 404:
            raise
        if weights_id.startswith(IMAGENET_PREFIX):
            raise HTTPException(
                409,
                f"{field}: {weights_id!r} is not downloaded yet; "
                f"POST /api/pretrained/{weights_id}/download first",
            ) from None
        raise HTTPException(
            422,
            f"{field}: no weights with id {weights_id[:100]!r} in the library "
            "(GET /api/weights lists them)",
        ) from None
    if not entry.path.is_file():
        raise HTTPException(422, f"{field}: the file of weights {weights_id!r} is missing")
    return entry


def source_stats(entry: lib.Entry) -> InputStats | None:
    """How the weights want their inputs scaled: torchvision's ImageNet mean/std for
    torchvision-born entries (their `preprocess`, contract A), None otherwise."""
    pre = entry.preprocess
    return InputStats(mean=pre["mean"], std=pre["std"]) if pre else None


def check_fits_weights(
    spec: NetworkSpec, new_head: bool, entry: lib.Entry, field: str = "config.init_from"
) -> None:
    """422 naming each mismatched state key when the spec does not fit the weights (the
    head may differ: it is re-made); reads the file's header only."""
    try:
        transfer.check_fits(spec, entry.path, new_head)
    except weights.WeightsMismatch as exc:
        raise HTTPException(422, f"{field}: {exc}") from None


def prepare(
    spec: NetworkSpec, config: TrainConfig, settings: Settings, library: Library
) -> tuple[TrainConfig, str | None]:
    """Every check of a new run. Returns the config to store (input_stats filled in from
    the weights' preprocessing when the weights say how) and the path of the init_from file
    for the job (None without init_from)."""
    report = infer(spec)
    if report.error:
        raise HTTPException(422, f"spec: {report.error['layer']}: {report.error['message']}")
    # Known, on disk, channels that fit (or convert: RGB <-> grey); its class count.
    num_classes = check_dataset(spec, config.dataset, settings.data_dir, library.store)
    classes = len(config.classes) if config.classes else num_classes
    if seg_checks.is_segmentation(config, settings.data_dir):  # issue 16
        seg_checks.check(spec, config, report.output_shape, num_classes)
    elif list(report.output_shape) != [classes]:
        raise HTTPException(
            422,
            f"the network's output shape is {tuple(report.output_shape)}; training on "
            f"{config.dataset} needs ({classes},): end with flatten and a linear layer of "
            f"{classes} units",
        )
    # A pretrained network mostly runs forward (its frozen part once per image): it may be
    # larger than one trained from scratch.
    limit, name = settings.max_train_params, "CNNPLAY_MAX_TRAIN_PARAMS"
    if config.init_from is not None:
        limit, name = settings.max_finetune_params, "CNNPLAY_MAX_FINETUNE_PARAMS"
    if report.total_params > limit:
        raise HTTPException(
            422,
            f"the network has {report.total_params:,} parameters; the training limit is "
            f"{limit:,} ({name})",
        )
    try:
        transfer.check_frozen(spec, config.frozen)
    except transfer.FrozenPathError as exc:
        raise HTTPException(422, f"config.{exc}") from exc
    path: str | None = None
    if config.init_from is not None:
        entry = source(library, config.init_from)
        check_fits_weights(spec, config.new_head, entry)
        stats = source_stats(entry)
        if stats is not None and config.normalize == "standardize" and not config.input_stats:
            config = config.model_copy(update={"input_stats": stats})
        path = str(entry.path)
    stats_given = config.input_stats
    if stats_given is not None and len(stats_given.mean) != spec.input.channels:
        raise HTTPException(
            422,
            f"config.input_stats has {len(stats_given.mean)} channels; the network's input "
            f"has {spec.input.channels}",
        )
    return config, path


def init_weights(config: TrainConfig, library: Library) -> str | None:
    """The init_from file of a run being resumed (409 when it has gone meanwhile)."""
    if config.init_from is None:
        return None
    try:
        return str(source(library, config.init_from).path)
    except HTTPException as exc:
        raise HTTPException(409, f"the run cannot resume: {exc.detail}") from None
