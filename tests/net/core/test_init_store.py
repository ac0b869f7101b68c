"""init_store: the seeded build written once, loaded back bit for bit, bounded on disk."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch
from torch import nn

import models
from server.net.core import init_store
from server.net.core.init_store import InitStore, seeded_build
from server.net.core.networks import Networks
from server.net.core.shapes import infer
from server.net.weights.library import Entry

SMALL = ["mnist_cnn", "mlp", "tiny_resnet", "tiny_inception", "tiny_densenet", "rnn_mnist_lstm"]


def _same(a: nn.Module, b: nn.Module) -> None:
    sa, sb = a.state_dict(), b.state_dict()
    assert sa.keys() == sb.keys()
    for name in sa:
        assert sa[name].dtype == sb[name].dtype, name
        assert torch.equal(sa[name], sb[name]), name
    assert dict(a.named_buffers()).keys() == dict(b.named_buffers()).keys()


@pytest.mark.parametrize("name", SMALL)
def test_a_loaded_build_is_bit_identical_to_the_seeded_build(tmp_path: Path, name: str) -> None:
    spec = models.get(name)
    store = InitStore(tmp_path, 1 << 30)
    first = store.build(spec, 3)
    assert store.writes == 1 and store.loads == 0
    loaded = store.build(spec, 3)
    assert store.loads == 1
    _same(seeded_build(spec, 3), first)
    _same(seeded_build(spec, 3), loaded)
    assert not any(p.is_meta for p in loaded.parameters())
    x = torch.randn(2, *spec.input.shape)
    with torch.no_grad():
        assert torch.equal(seeded_build(spec, 3).eval()(x), loaded.eval()(x))


def test_batchnorm_buffers_and_training_come_back(tmp_path: Path) -> None:
    spec = models.get("tiny_resnet")
    store = InitStore(tmp_path, 1 << 30)
    store.build(spec, 0)
    loaded = store.build(spec, 0)
    assert any(b.dtype == torch.int64 for b in loaded.buffers())  # num_batches_tracked
    # Training a loaded network writes into its own copy, never into the file.
    before = store.path(spec, 0).read_bytes()
    opt = torch.optim.SGD(loaded.parameters(), lr=0.5)
    loaded.train()(torch.randn(4, *spec.input.shape)).sum().backward()
    opt.step()
    assert store.path(spec, 0).read_bytes() == before
    _same(seeded_build(spec, 0), store.build(spec, 0))


def test_seed_and_spec_have_their_own_files_and_random_state_is_untouched(
    tmp_path: Path,
) -> None:
    store = InitStore(tmp_path, 1 << 30)
    spec = models.get("mnist_cnn")
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    a, b = store.build(spec, 0), store.build(spec, 1)
    assert torch.equal(torch.rand(3), expected)
    assert store.path(spec, 0) != store.path(spec, 1)
    assert not torch.equal(next(a.parameters()), next(b.parameters()))
    assert store.path(models.get("mlp"), 0) != store.path(spec, 0)


def test_disk_is_bounded_least_recently_used_first(tmp_path: Path) -> None:
    spec_a, spec_b, spec_c = models.get("mnist_cnn"), models.get("mlp"), models.get("lenet5")
    sizes = {}
    probe = InitStore(tmp_path / "probe", 1 << 30)
    for spec in (spec_a, spec_b, spec_c):
        probe.build(spec, 0)
        sizes[spec.model_dump_json()] = probe.path(spec, 0).stat().st_size
    budget = max(sizes.values()) * 2 + 1
    store = InitStore(tmp_path / "s", budget)
    store.build(spec_a, 0)
    store.build(spec_b, 0)
    store.build(spec_a, 0)  # a load: a is now the most recently used
    os.utime(store.path(spec_b, 0), (1, 1))  # make b plainly the older one
    store.build(spec_c, 0)
    assert store.disk_bytes() <= budget
    assert store.path(spec_a, 0).exists() and store.path(spec_c, 0).exists()
    assert not store.path(spec_b, 0).exists()
    assert not list((tmp_path / "s").glob("*.tmp"))  # written atomically


def test_a_network_past_the_bound_or_a_zero_bound_is_never_written(tmp_path: Path) -> None:
    spec = models.get("mnist_cnn")
    for bound in (0, 1000):
        store = InitStore(tmp_path / str(bound), bound)
        _same(seeded_build(spec, 0), store.build(spec, 0))
        assert store.writes == 0
        assert not (tmp_path / str(bound)).exists() or store.disk_bytes() == 0


def test_a_damaged_file_falls_back_to_the_seeded_build(tmp_path: Path) -> None:
    spec = models.get("mnist_cnn")
    store = InitStore(tmp_path, 1 << 30)
    store.build(spec, 0)
    store.path(spec, 0).write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json at all}")
    _same(seeded_build(spec, 0), store.build(spec, 0))
    assert store.loads == 0
    _same(seeded_build(spec, 0), store.build(spec, 0))  # rewritten: now it loads
    assert store.loads == 1


def test_the_network_service_rebuilds_an_evicted_network_from_the_store(
    tmp_path: Path,
) -> None:
    def no_weights(weights_id: str) -> Entry:
        raise LookupError(weights_id)

    store = init_store.configure(tmp_path, 1 << 30)
    try:
        networks = Networks(models.get, no_weights, infer, 1)
        first = networks.open(zoo="tiny_resnet")
        networks.open(zoo="mlp")  # evicts tiny_resnet (cap 1)
        again = networks.open(zoo="tiny_resnet")
        assert again is not first and networks.builds == 3
        assert store.loads == 1
        _same(first.module, again.module)
    finally:
        init_store._store = None


def test_the_file_is_plain_safetensors_with_every_tensor_64_byte_aligned(tmp_path: Path) -> None:
    from safetensors.torch import load_file

    spec = models.get("tiny_resnet")
    store = InitStore(tmp_path, 1 << 30)
    store.build(spec, 0)
    read = load_file(str(store.path(spec, 0)))  # the library reads it
    state = seeded_build(spec, 0).state_dict()
    for name, tensor in state.items():
        assert torch.equal(read[name], tensor), name
    loaded = store.build(spec, 0)
    for tensor in list(loaded.parameters()) + list(loaded.buffers()):
        assert tensor.data_ptr() % 64 == 0
