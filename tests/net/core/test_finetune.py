"""finetune: the panel of a fine-tuned run, worked out once; a missing source says why.
(The filter and layer changes themselves: tests/api/test_features.py and weights/diff.)"""

from __future__ import annotations

from pathlib import Path

import models
from server.net.core.finetune import finetune
from server.net.core.networks import Network, Networks
from server.net.core.shapes import infer
from server.net.weights.library import Entry


def _no_weights(weights_id: str) -> Entry:
    raise LookupError(weights_id)


def test_only_fine_tuned_weights_have_a_panel_and_a_gone_source_says_why() -> None:
    net = Networks(models.get, _no_weights, infer, 2).open(zoo="mnist_cnn")
    asked: list[str] = []

    def start_file(weights_id: str) -> Path:
        asked.append(weights_id)
        raise LookupError(f"no weights with id {weights_id!r}")

    assert finetune(net, start_file) is None and not asked  # random weights
    entry = Entry(
        id="run-x", title="t", kind="run", spec=net.spec, path=Path("x"), init_from="gone"
    )
    tuned = Network(net.spec, net.module, net.rows, entry, ("k", "run-x"))
    panel = finetune(tuned, start_file)
    assert panel == {"source": "gone", "error": "no weights with id 'gone'"}
    assert finetune(tuned, start_file) is panel and asked == ["gone"]  # once per network
