"""Benchmark: POST /api/shapes for ResNet-152 against torchinfo's summary().

Both run in this process on the same spec: the endpoint in-process through
TestClient (validation + analytic inference + JSON), torchinfo on the module
`build_module` makes from that spec with input (1, 3, 224, 224). Prints both
medians, the ratio, and whether the targets were met:
    >= 20x faster than torchinfo, and < 20 ms per request.

    python benchmarks/shapes.py [--repeat N]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient
from torchinfo import summary

import models
from server.config import Settings
from server.main import create_app
from server.net.build import build_module

TARGET_RATIO = 20.0
TARGET_MS = 20.0


def median_ms(fn: Callable[[], object], repeat: int) -> float:
    fn()  # warm up: first-call caches, lazy imports
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30, help="timed runs of /api/shapes")
    parser.add_argument("--repeat-torchinfo", type=int, default=5, help="timed torchinfo runs")
    args = parser.parse_args()

    spec = models.get("resnet152")
    body = spec.model_dump_json().encode()
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(Settings(data_dir=Path(tmp)))
        with TestClient(app, base_url="http://127.0.0.1:8000") as client:

            def api() -> None:
                r = client.post(
                    "/api/shapes", content=body, headers={"content-type": "application/json"}
                )
                assert r.status_code == 200, r.text[:300]  # parsing the reply is the client's

            report = client.post(
                "/api/shapes", content=body, headers={"content-type": "application/json"}
            ).json()
            assert report["valid"], report["error"]
            api_ms = median_ms(api, args.repeat)

    module = build_module(spec).eval()

    def baseline() -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            summary(module, input_size=(1, *spec.input.shape), verbose=0, device="cpu")

    torchinfo_ms = median_ms(baseline, args.repeat_torchinfo)
    stats = summary(module, input_size=(1, *spec.input.shape), verbose=0, device="cpu")

    ratio = torchinfo_ms / api_ms
    print(f"ResNet-152: {len(report['layers'])} layer rows, {report['total_params']:,} params")
    print(f"  torchinfo total params (same run): {stats.total_params:,}")
    print(f"  POST /api/shapes median: {api_ms:8.2f} ms  ({args.repeat} runs)")
    print(f"  torchinfo summary median: {torchinfo_ms:8.2f} ms  ({args.repeat_torchinfo} runs)")
    print(f"  ratio torchinfo / api:   {ratio:8.1f}x")
    fast = ratio >= TARGET_RATIO
    quick = api_ms < TARGET_MS
    print(f"  target >= {TARGET_RATIO:g}x faster: {'MET' if fast else 'NOT MET'}")
    print(f"  target < {TARGET_MS:g} ms:          {'MET' if quick else 'NOT MET'}")
    return 0 if fast and quick else 1


if __name__ == "__main__":
    raise SystemExit(main())
