"""Feature-map requests against a bare torch forward with the same hooks, same run.

    python -m benchmarks.features

For LeNet-5 on 28x28 and ResNet-18 on 224x224 it times (median of repeats):
  bare       the network's forward under no_grad with a hook on the same layer(s)
  layer      POST /api/features/layer (one layer page, end to end through the app)
  overview   POST /api/features/overview (hooks on every layer, ranges, filters)
and prints the ratios, then the bytes sent per displayed value over every layer's
first page. Targets: layer request within 1.5x of bare for ResNet-18; < 1 byte/value.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import torch
from fastapi.testclient import TestClient

import models
from server.config import Settings
from server.main import create_app
from server.net import encode
from server.net.build import build_module
from server.net.shapes import infer


def median_time(fn: Callable[[], object], repeats: int) -> float:
    fn()  # warm up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


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


def bench(client: TestClient, zoo: str, image: str, layer: str, repeats: int) -> None:
    spec = models.get(zoo)
    rows = infer(spec).layers
    body = {"net": {"zoo": zoo}, "image": image}
    client.post("/api/features/overview", json=body)  # build and cache the network
    net = build_module(spec).eval()
    x = torch.randn(1, *spec.input.shape)
    t_bare_one = median_time(bare(net, x, [layer]), repeats)
    t_bare_all = median_time(bare(net, x, [r.path for r in rows]), repeats)
    page = {**body, "layer": layer, "count": 64}
    t_layer = median_time(lambda: client.post("/api/features/layer", json=page), repeats)
    t_over = median_time(lambda: client.post("/api/features/overview", json=body), repeats)
    sent = shown = 0
    for row in rows:
        r = client.post("/api/features/layer", json={**body, "layer": row.path, "count": 64})
        meta, _ = encode.unframe(r.content)
        sent += len(r.content)
        shown += meta["count"] * meta["tile"][0] * meta["tile"][1]
    print(f"{spec.name} {tuple(spec.input.shape)}, {len(rows)} layers, page layer {layer}")
    print(f"  bare forward, 1 hook     {t_bare_one * 1e3:8.1f} ms")
    print(
        f"  layer request            {t_layer * 1e3:8.1f} ms   ratio {t_layer / t_bare_one:5.2f}x"
    )
    print(f"  bare forward, all hooks  {t_bare_all * 1e3:8.1f} ms")
    print(f"  overview request         {t_over * 1e3:8.1f} ms   ratio {t_over / t_bare_all:5.2f}x")
    print(f"  first pages of every layer: {sent:,} bytes for {shown:,} values")
    print(f"  bytes per displayed value   {sent / shown:.3f}")


def main() -> None:
    torch.manual_seed(0)
    settings = Settings(data_dir=Path(tempfile.mkdtemp()))
    with TestClient(create_app(settings), base_url="http://127.0.0.1:8000") as client:
        bench(client, "lenet5_mnist", "mnist-7", "layers.0", repeats=30)
        bench(client, "resnet18", "flower", "layers.4.layers.1", repeats=7)


if __name__ == "__main__":
    main()
