"""Benchmark: server cold start to a 200 from /api/health against `python -c "import torch"`
(issue 20), alternating on the same machine, medians.

    python benchmarks/startup.py [--repeat 3]

The server is `python -m server.cli serve` on a free port with a fresh data directory;
the time runs from the process start to the first 200 of GET /api/health. Target: the
server within 1.5x of the bare torch import. Printed beside it: the time until health says
`ready` (torch, every router and the job runner loaded in the background, server/loading.py),
which is when a request for the rest of the API is answered.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = 1.5


def import_torch_s() -> float:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import torch"], check=True)
    return time.perf_counter() - t


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _health(port: int) -> dict | None:
    """GET /api/health's JSON when it is a 200, else None."""
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
        conn.request("GET", "/api/health")
        r = conn.getresponse()
        body = json.loads(r.read()) if r.status == 200 else None
        conn.close()
        return body
    except OSError:
        return None


def _healthy(port: int) -> bool:
    return _health(port) is not None


def server_start_s(root: Path = ROOT, timeout: float = 120) -> tuple[float, float]:
    """(seconds to the first 200 of /api/health, seconds until it says ready)."""
    port = _free_port()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "PYTHONPATH": str(root)}
        cmd = [sys.executable, "-m", "server.cli", "serve", "--port", str(port)]
        t = time.perf_counter()
        proc = subprocess.Popen(
            [*cmd, "--data-dir", tmp],
            cwd=root,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            up = None
            while True:
                health = _health(port)
                if health is not None and up is None:
                    up = time.perf_counter() - t
                if health is not None and health.get("ready", True):
                    return up, time.perf_counter() - t  # type: ignore[return-value]
                if proc.poll() is not None or time.perf_counter() - t > timeout:
                    raise RuntimeError("the server did not answer /api/health")
                time.sleep(0.02)
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def measure(repeat: int, root: Path = ROOT) -> dict[str, float]:
    base, server, ready = [], [], []
    for _ in range(repeat):
        base.append(import_torch_s())
        up, loaded = server_start_s(root)
        server.append(up)
        ready.append(loaded)
    return {
        "base": statistics.median(base),
        "server": statistics.median(server),
        "ready": statistics.median(ready),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--root", type=Path, default=ROOT, help="checkout to start")
    args = parser.parse_args()
    m = measure(args.repeat, args.root)
    ratio = m["server"] / m["base"]
    print(f"python -c 'import torch'      {m['base']:6.2f} s (median of {args.repeat})")
    print(f"server start -> /api/health   {m['server']:6.2f} s")
    print(f"server start -> ready         {m['ready']:6.2f} s (the whole API loaded)")
    print(f"ratio {ratio:.2f}x (target <= {TARGET}x): {'met' if ratio <= TARGET else 'NOT met'}")


if __name__ == "__main__":
    main()
