"""networks.Networks: resolution, seeded builds, weights, the cache and its errors."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

import models
from server.net.core.build import build_module
from server.net.core.networks import (
    RANDOM_SEED,
    NetworkNotFound,
    Networks,
    NetworkUnusable,
)
from server.net.core.shapes import ShapeReport, infer
from server.net.core.spec import NetworkSpec
from server.net.weights.library import Entry


def _entry(tmp_path: Path, spec: NetworkSpec, seed: int) -> Entry:
    torch.manual_seed(seed)
    module = build_module(spec)
    path = tmp_path / f"w{seed}.safetensors"
    save_file({k: v.contiguous() for k, v in module.state_dict().items()}, str(path))
    return Entry(id=f"upload-{seed}", title="t", kind="upload", spec=spec, path=path)


def _service(entries: dict[str, Entry], cap: int = 4) -> Networks:
    def weights(weights_id: str) -> Entry:
        return entries[weights_id]  # KeyError is a LookupError

    return Networks(models.get, weights, infer, cap)


def test_zoo_and_spec_give_the_seeded_random_weights() -> None:
    nets = _service({})
    net = nets.open(zoo="lenet5_mnist")
    with torch.random.fork_rng():
        torch.manual_seed(RANDOM_SEED)
        want = build_module(models.get("lenet5_mnist"))
    for (name, got), (_, w) in zip(net.module.state_dict().items(), want.state_dict().items()):
        assert torch.equal(got, w), name
    assert not net.module.training and net.weights is None
    assert [r.path for r in net.rows] == [r.path for r in infer(net.spec).layers]
    assert nets.open(spec=models.get("lenet5_mnist")) is net  # the same spec: the same build
    assert nets.builds == 1


def test_weights_are_loaded_and_keyed_apart(tmp_path: Path) -> None:
    spec = models.get("mnist_cnn")
    entries = {e.id: e for e in (_entry(tmp_path, spec, 1), _entry(tmp_path, spec, 2))}
    nets = _service(entries)
    one, two = nets.open(weights="upload-1"), nets.get(spec, entries["upload-2"])
    torch.manual_seed(1)
    want = build_module(spec).state_dict()
    assert all(torch.equal(one.module.state_dict()[k], v) for k, v in want.items())
    assert one is not two and one.weights is entries["upload-1"]
    assert nets.get(None, "upload-1") is one and nets.builds == 2


def test_concurrent_requests_build_a_network_once() -> None:
    nets = _service({})
    got = []
    threads = [
        threading.Thread(target=lambda: got.append(nets.open(zoo="tiny_resnet"))) for _ in range(6)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert nets.builds == 1 and all(g is got[0] for g in got)


def test_the_cache_is_bounded_by_count() -> None:
    nets = _service({}, cap=1)
    first = nets.open(zoo="lenet5_mnist")
    nets.open(zoo="mnist_cnn")
    assert nets.open(zoo="lenet5_mnist") is not first and nets.builds == 3


def test_errors_name_the_field(tmp_path: Path) -> None:
    spec = models.get("mnist_cnn")
    bad = Entry(id="upload-x", title="t", kind="upload", spec=spec, path=tmp_path / "gone")
    other = _entry(tmp_path, models.get("lenet5_mnist"), 3)
    wrong = Entry(id="upload-w", title="t", kind="upload", spec=spec, path=other.path)
    nets = _service({"upload-x": bad, "upload-w": wrong})
    with pytest.raises(NetworkUnusable, match="exactly one"):
        nets.open(zoo="mnist_cnn", weights="upload-x")
    with pytest.raises(NetworkNotFound, match="nonet") as exc:
        nets.open(zoo="nonet")
    assert exc.value.field == "zoo"
    with pytest.raises(NetworkNotFound, match="'nope'") as exc:
        nets.open(weights="nope")
    assert exc.value.field == "weights"
    with pytest.raises(NetworkNotFound, match="cannot read its file"):
        nets.open(weights="upload-x")
    with pytest.raises(NetworkUnusable, match="upload-w"):
        nets.open(weights="upload-w")
    assert nets.builds == 0


def _bytes_service(max_bytes: int, delay: float = 0.0) -> Networks:
    def check(spec: NetworkSpec) -> ShapeReport:
        time.sleep(delay)  # a slow build: every thread misses before it ends
        return infer(spec)

    def no_weights(weights_id: str) -> Entry:
        raise KeyError(weights_id)

    return Networks(models.get, no_weights, check, 10, max_bytes=max_bytes)


def test_the_cache_is_bounded_by_parameter_bytes() -> None:
    # issue 13: five 249M-parameter networks stayed in a count-bounded cache (4.5 GB)
    lenet = models.get("lenet5_mnist")
    one = sum(p.numel() * 4 for p in build_module(lenet).parameters())
    nets = _bytes_service(2 * one + one // 2)  # room for two
    for i in range(4):
        nets.open(spec=lenet.model_copy(update={"name": f"n{i}"}))
    assert nets.cached_bytes == 2 * one
    assert nets.open(spec=lenet.model_copy(update={"name": "n3"})) is not None
    assert nets.builds == 4  # n3 was kept
    nets.open(spec=lenet.model_copy(update={"name": "n0"}))
    assert nets.builds == 5  # n0 had left


def test_a_network_over_the_byte_budget_is_built_once_for_concurrent_misses() -> None:
    nets = _bytes_service(10, delay=0.2)  # nothing is kept
    spec = models.get("lenet5_mnist")
    got = []
    threads = [threading.Thread(target=lambda: got.append(nets.open(spec=spec))) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 6 and all(g is got[0] for g in got)
    assert nets.cached_bytes == 0 and nets.builds == 1
