"""Memory under the issue-13 battery's worst cheap requests, against a real server.

Starts `uvicorn server.main:create_app --factory` on a temporary data dir, measures its
resident memory after start-up (the baseline, this run) and after each case, and prints
the growth, the ratio to the target and whether it is met:

  images    forty 6000x6000 PNG uploads (~120 KB each, 108 MB decoded each)
  networks  feature maps of five different 100M-parameter specs (400 MB each)
  huge      feature maps of three 235M-parameter specs (over the cache budget alone)
  gates     POST /api/learning/gates with a 249M-parameter spec that has no LSTM
  weights   POST /api/weights of a 200 MB safetensors file

    python3 benchmarks/memory_bounds.py [--target-mb 600]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx2
import torch
from PIL import Image
from safetensors.torch import save

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int, field: str = "VmRSS") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1]) // 1024
    return 0


def linear_spec(name: str, side: int, out: int) -> dict:
    return {
        "name": name,
        "input": {"channels": 1, "height": side, "width": side},
        "layers": [{"type": "flatten"}, {"type": "linear", "out_features": out}],
    }


def case_images(c: httpx2.Client) -> str:
    buf = io.BytesIO()
    Image.new("RGB", (6000, 6000), (255, 255, 255)).save(buf, "PNG", optimize=True)
    codes = [
        c.post("/api/images", files={"file": ("a.png", buf.getvalue(), "image/png")}).status_code
        for _ in range(40)
    ]
    return f"{codes.count(200)} x 200"


def _overview(c: httpx2.Client, spec: dict) -> int:
    body = {"net": {"spec": spec}, "image": "mnist-0"}
    return c.post("/api/features/overview", json=body).status_code


def case_networks(c: httpx2.Client) -> str:
    codes = [_overview(c, linear_spec(f"n{i}", 128, 6100 + i)) for i in range(5)]
    return " ".join(map(str, codes))


def case_huge(c: httpx2.Client) -> str:
    codes = [_overview(c, linear_spec(f"h{i}", 128, 14300 + i)) for i in range(3)]
    return " ".join(map(str, codes))


def case_gates(c: httpx2.Client) -> str:
    spec = linear_spec("big", 1, 15780)
    spec["input"] = {"channels": 1, "height": 1, "width": 15780}
    r = c.post("/api/learning/gates", json={"spec": spec, "mnist_index": 0})
    return str(r.status_code)


def case_weights(c: httpx2.Client) -> str:
    spec = linear_spec("w", 128, 3050)  # 16384 x 3050: 50M parameters, 200 MB
    torch.manual_seed(0)
    state = {"layers.1.weight": torch.randn(3050, 16384), "layers.1.bias": torch.zeros(3050)}
    data = save(state)
    files = {"file": ("w.safetensors", data, "application/octet-stream")}
    r = c.post("/api/weights", files=files, data={"spec": json.dumps(spec)})
    return f"{r.status_code} ({len(data) >> 20} MB file)"


CASES = {
    "images": case_images,
    "networks": case_networks,
    "huge": case_huge,
    "gates": case_gates,
    "weights": case_weights,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target-mb", type=int, default=600, help="RSS growth allowed")
    parser.add_argument("cases", nargs="*", default=list(CASES))
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="cnnplay-mem-"))
    port = _free_port()
    env = {**os.environ, "CNNPLAY_DATA_DIR": str(data_dir), "CNNPLAY_PORT": str(port)}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "server.main:create_app",
            "--factory",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        with httpx2.Client(base_url=url, timeout=600) as c:
            for _ in range(1200):  # start-up imports torch: up to two minutes on a busy machine
                try:
                    if c.get("/api/health").status_code == 200:
                        break
                except httpx2.TransportError:
                    time.sleep(0.1)
            _overview(c, linear_spec("warm", 28, 10))  # the first request's one-off imports
            base = rss_mb(server.pid)
            print(f"baseline (this run): {base} MB resident after start-up")
            head = f"{'case':10} {'answer':22} {'after':>8} {'peak':>8} {'this case':>9}"
            print(f"{head} {'since start':>11} ratio  met")
            before = base
            for name in args.cases:
                answer = CASES[name](c)
                after, peak = rss_mb(server.pid), rss_mb(server.pid, "VmHWM")
                growth = after - base
                ok = growth <= args.target_mb
                print(
                    f"{name:10} {answer:22} {after:6} MB {peak:6} MB {after - before:6} MB "
                    f"{growth:8} MB {growth / args.target_mb:5.2f}  {'yes' if ok else 'NO'}"
                )
                before = after
            print(
                f"target: RSS growth since start under {args.target_mb} MB (issue 13); the "
                "network cache alone may hold CNNPLAY_NETWORK_CACHE_BYTES (768 MB by default)"
            )
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
