"""Feature-map requests against a bare torch forward with the same hooks, same run.

    python -m benchmarks.features

For LeNet-5 on 28x28 and ResNet-18 on 224x224 it times (median of repeats, each request
taken in turn with its bare forward so that a busy machine slows both alike):
  bare       the network's forward under no_grad with a hook on the same layer(s)
  layer      POST /api/features/layer (one layer page, end to end through the app), cold
             and right after an overview of the same image (its activations cached)
  overview   POST /api/features/overview (hooks on every layer, ranges, filters)
and prints the ratios, then the bytes sent per displayed value over every layer's
first page. Targets: overview and layer requests within 1.5x of bare for ResNet-18;
< 1 byte per displayed value. With --cold (issue 20): VGG-16's overview after the network
left the cache against a bare forward (target <= 2x).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import torch
from fastapi.testclient import TestClient

import models
from server.config import Settings

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks import signed_in  # noqa: E402  (run as a script: the repository root)
from server.main import create_app
from server.net.core import encode
from server.net.core.build import build_module
from server.net.core.shapes import infer

Times = tuple[float, float]  # (wall, CPU) seconds, medians


def paired(
    base: Callable[[], object], other: Callable[[], object], repeats: int
) -> tuple[Times, Times]:
    """Median wall and CPU times of `base` and `other`, taken in turns so that a busy
    machine slows both alike (the ratio is what matters). CPU time is the process's,
    every thread included (the app's worker thread too); on a shared machine it is the
    steadier number, the wall time the one a user feels."""
    base(), other()  # warm up
    wall: tuple[list[float], list[float]] = ([], [])
    cpu: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeats):
        for k, fn in enumerate((base, other)):
            w0, c0 = time.perf_counter(), time.process_time()
            fn()
            wall[k].append(time.perf_counter() - w0)
            cpu[k].append(time.process_time() - c0)
    med = statistics.median
    return (med(wall[0]), med(cpu[0])), (med(wall[1]), med(cpu[1]))


def _line(label: str, t: Times, base: Times | None = None) -> str:
    text = f"  {label:<24} {t[0] * 1e3:8.1f} ms wall {t[1] * 1e3:8.1f} ms CPU"
    if base is not None:
        text += f"   ratio {t[0] / base[0]:5.2f}x wall {t[1] / base[1]:5.2f}x CPU"
    return text


def bare(net: torch.nn.Module, x: torch.Tensor, paths: list[str]) -> Callable[[], object]:
    named = dict(net.named_modules())
    kept: dict[str, torch.Tensor] = {}

    def run() -> object:
        handles = [
            named[p].register_forward_hook(lambda m, i, o, p=p: kept.__setitem__(p, o))
            for p in paths
        ]
        try:
            with torch.no_grad():
                return net(x)
        finally:
            for h in handles:
                h.remove()

    return run


def bench(
    client: TestClient, zoo: str, image: str, layer: str, repeats: int, count_bytes: bool = True
) -> None:
    spec = models.get(zoo)
    rows = infer(spec).layers
    body = {"net": {"zoo": zoo}, "image": image}
    client.post("/api/features/overview", json=body)  # build and cache the network
    net = build_module(spec).eval()
    x = torch.randn(1, *spec.input.shape)
    page = {**body, "layer": layer, "count": 64}
    acts = client.app.state.feature_maps.activations

    def cold_page() -> object:
        acts.clear()  # as if no overview had run: the page runs the network itself
        return client.post("/api/features/layer", json=page)

    t_bare_one, t_layer = paired(bare(net, x, [layer]), cold_page, repeats)
    client.post("/api/features/overview", json=body)
    t_cached = paired(
        bare(net, x, [layer]), lambda: client.post("/api/features/layer", json=page), repeats
    )[1]
    t_bare_all, t_over = paired(
        bare(net, x, [r.path for r in rows]),
        lambda: client.post("/api/features/overview", json=body),
        repeats,
    )
    sent = shown = 0
    for row in rows if count_bytes else []:
        r = client.post("/api/features/layer", json={**body, "layer": row.path, "count": 64})
        meta, _ = encode.unframe(r.content)
        sent += len(r.content)
        shown += meta["count"] * meta["tile"][0] * meta["tile"][1]
    print(f"{spec.name} {tuple(spec.input.shape)}, {len(rows)} layers, page layer {layer}")
    print(_line("bare forward, 1 hook", t_bare_one))
    print(_line("layer request", t_layer, t_bare_one))
    print(_line("  after the overview", t_cached, t_bare_one))
    print(_line("bare forward, all hooks", t_bare_all))
    print(_line("overview request", t_over, t_bare_all))
    if shown:
        print(f"  first pages of every layer: {sent:,} bytes for {shown:,} values")
        print(f"  bytes per displayed value   {sent / shown:.3f}")


def cold_zoo(zoo: str = "vgg16", repeats: int = 3) -> dict[str, float]:
    """Issue 20: the overview of a zoo network not in the in-memory cache (evicted, or a new
    server) against a bare forward of the built network, medians of `repeats` in turns.
    `first`: the very first open on a fresh data directory (the seeded build, which also
    writes its init-store file); `cold`: later opens (the file, memory-mapped)."""
    spec = models.get(zoo)
    x = torch.randn(1, *spec.input.shape)
    settings = Settings(data_dir=Path(tempfile.mkdtemp()))
    body = {"net": {"zoo": zoo}, "image": "flower"}
    with signed_in.client(create_app(settings)) as client:
        t = time.perf_counter()
        assert client.post("/api/features/overview", json=body).status_code == 200
        first = time.perf_counter() - t
        net = client.app.state.networks.open(zoo=zoo).module

        def forward() -> object:
            with torch.no_grad():
                return net(x)

        def cold() -> object:
            client.app.state.networks._cache.clear()  # evicted
            client.app.state.feature_maps.activations.clear()
            r = client.post("/api/features/overview", json=body)
            assert r.status_code == 200, r.text
            return r

        (bare_s, _), (cold_s, _) = paired(forward, cold, repeats)
    return {"first": first, "bare": bare_s, "cold": cold_s}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=7, help="ResNet-18 repeats (LeNet: 30)")
    parser.add_argument("--no-bytes", action="store_true", help="only the time ratios")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: default)")
    parser.add_argument("--cold", action="store_true", help="only VGG-16 cold (issue 20)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.cold:
        m = cold_zoo("vgg16", 3)
        ratio = m["cold"] / m["bare"]
        print(f"VGG-16 bare forward        {m['bare']:6.2f} s")
        print(f"overview, network evicted  {m['cold']:6.2f} s  ratio {ratio:.2f}x (target <= 2x)")
        print(f"overview, first ever open  {m['first']:6.2f} s  (seeded build + store write)")
        return
    torch.manual_seed(0)
    settings = Settings(data_dir=Path(tempfile.mkdtemp()))
    with signed_in.client(create_app(settings)) as client:
        bench(client, "lenet5_mnist", "mnist-7", "layers.0", 30, not args.no_bytes)
        bench(client, "resnet18", "flower", "layers.4.layers.1", args.repeats, not args.no_bytes)


if __name__ == "__main__":
    main()
