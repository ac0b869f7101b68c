"""The fine-tune panel of a run started from other weights (issue 7): the pretrained
first-layer filters beside the tuned ones, each filter's relative L2 change, and each
layer's. Worked out once per network (it is kept in the network's memo).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from safetensors import SafetensorError
from safetensors.torch import load_file

from server.net.core import encode
from server.net.core.feature_maps import few_filters
from server.net.core.networks import Network
from server.net.weights import diff as weight_diff


def finetune(net: Network, start_file: Callable[[str], Path]) -> dict[str, Any] | None:
    """None unless the network's weights were fine-tuned from others (`init_from`);
    `start_file(weights_id)` is the file they started from (LookupError or ValueError
    when it is gone: the panel then says why)."""
    weights = net.weights
    if weights is None or not weights.init_from:
        return None
    if "finetune" not in net.memo:
        net.memo["finetune"] = _diff(net, weights.init_from, weights.frozen, start_file)
    return net.memo["finetune"]


def _diff(
    net: Network, source: str, frozen: list[str], start_file: Callable[[str], Path]
) -> dict[str, Any]:
    try:
        start = load_file(str(start_file(source)), device="cpu")
    except (LookupError, ValueError, OSError, SafetensorError) as exc:
        return {"source": source, "error": str(exc)}
    paths = [row.path for row in net.rows]
    fd = weight_diff.filters(net.module, start, paths, frozen)
    rows = weight_diff.layers(net.module, start, paths, frozen)
    filters = None
    if fd is not None:
        shown = few_filters(fd.pretrained)
        filters = {
            "layer": fd.layer,
            "pretrained": encode.exact(shown),
            "change": fd.change[: shown.shape[0]],
            "frozen": fd.frozen,
            "identical": fd.identical,
        }
    return {
        "source": source,
        "filters": filters,
        "layers": [
            {"path": d.path, "change": d.change, "frozen": d.frozen, "new": d.new} for d in rows
        ],
    }
