"""Benchmark: a training job through the real job runner against a plain PyTorch loop, and
the web API's p99 latency while a job trains (issue 6).

One run, one machine:
  (a) samples/s of a job submitted to a real server (uvicorn in a subprocess, real HTTP,
      the LocalExecutor's spawned worker, events through its queue into SQLite), taken from
      the job's own "epoch" events, against a plain loop in this process on the same model,
      data, normalization, optimizer, batch size and thread count (1, as the worker).
      Target: job >= 0.97x the plain loop (issue 20).
  (b) p99 of POST /api/shapes (a ResNet-18 spec) over real HTTP, idle and while a job
      trains. Target: p99 < 50 ms during training.
  (c) issue 19: train() in this process with the server's snapshot limits (the "Inside the
      network" events) against without, alternating; samples/s from the "epoch" events and
      whole-run wall time. Target: with / without >= 0.95 (snapshots < 5% of training).

    python benchmarks/training.py [--model lenet5_mnist] [--dataset mnist] [--epochs 2]
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

import models
from server.net.core.build import build_module
from server.net.core.spec import NetworkSpec
from server.net.train.inputs import normalizer, run_data
from server.net.train.loop import TrainConfig, make_optimizer, train
from server.net.train.snapshots import Limits

TARGET_RATIO = 0.97  # issue 20 (was 0.9 in issue 6)
TARGET_P99_MS = 50.0
TARGET_SNAPSHOT_RATIO = 0.95  # issue 19: snapshots cost under 5% of training time
ROOT = Path(__file__).resolve().parent.parent
TOKEN = "training-benchmark-teacher-token"  # the server signs requests in with it (issue 14)


def plain_loop(model: str, config: TrainConfig) -> list[float]:
    return plain_loop_spec(models.get(model), config)


def plain_loop_spec(spec: NetworkSpec, config: TrainConfig) -> list[float]:
    """samples/s per epoch of the textbook loop: forward, loss, zero_grad, backward, step."""
    torch.set_num_threads(1)
    torch.manual_seed(config.seed)
    module = build_module(spec)
    _, height, width = spec.input.shape
    data = run_data(config, spec.input.channels, height, width)
    norm = normalizer(data.x_train, config)
    x, y = norm(data.x_train), data.y_train
    opt = make_optimizer(module, config)
    gen = torch.Generator().manual_seed(config.seed)
    module.train()
    rates = []
    for _ in range(config.epochs):
        order = torch.randperm(len(x), generator=gen)
        start = time.monotonic()
        for i in range(0, len(x), config.batch_size):
            batch = order[i : i + config.batch_size]
            loss = F.cross_entropy(module(x[batch]), y[batch])
            opt.zero_grad()
            loss.backward()
            opt.step()
        rates.append(len(x) / (time.monotonic() - start))
    return rates


def snapshot_cost(model: str, config: TrainConfig, rounds: int) -> dict[str, list[float]]:
    """samples/s per epoch and wall seconds per run of train() with the server's default
    snapshot limits and without, alternating (1 thread, as a worker); also the snapshots'
    own share of the run's time, from the taker's count of what it spent."""
    from server.config import Settings
    from server.net.train import snapshots

    s = Settings()
    limits = Limits(
        s.snapshot_interval_s,
        s.snapshot_cost_fraction,
        s.snapshot_channels,
        s.snapshot_tile,
        s.snapshot_layers,
        s.snapshot_filters,
    )
    torch.set_num_threads(1)
    spec = models.get(model)
    out: dict[str, list[float]] = {"with": [], "without": [], "wall_with": [], "wall_without": []}
    out["count"], out["share"] = [], []
    takers: list[Any] = []
    made = snapshots.taker

    def keep(*args: Any, **kw: Any) -> Any:
        takers.append(made(*args, **kw))
        return takers[-1]

    snapshots.taker = keep  # type: ignore[assignment]  # to read what each taker spent
    try:
        for _ in range(rounds):
            for key, lim in (("without", None), ("with", limits)):
                events: list[dict[str, Any]] = []
                began = time.monotonic()
                train(spec, config, events.append, snapshot=lim)
                wall = time.monotonic() - began
                out[key] += [e["samples_per_s"] for e in events if e["kind"] == "epoch"]
                out[f"wall_{key}"].append(wall)
                if lim is not None:
                    out["count"].append(takers[-1].taken)
                    out["share"].append(takers[-1].spent / wall)
    finally:
        snapshots.taker = made  # type: ignore[assignment]
    return out


class Server:
    """`cnnplay serve` in a subprocess on a free port with its own data dir."""

    def __init__(self, data_dir: Path) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        env = {
            **os.environ,
            "CNNPLAY_DATA_DIR": str(data_dir),
            "CNNPLAY_PORT": str(self.port),
            "CNNPLAY_TOKEN": TOKEN,
        }
        code = (
            "import uvicorn; from server.main import create_app; "
            f"uvicorn.run(create_app(), host='127.0.0.1', port={self.port}, log_level='warning')"
        )
        self.proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env)
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        deadline = time.monotonic() + 60
        while True:
            try:
                self.request("GET", "/api/health")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                self.conn.close()
                time.sleep(0.2)

    def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, Any]:
        """One request on the kept-alive connection (reopened once if the server closed it
        while idle: uvicorn drops keep-alive connections after 5 s)."""
        headers = {"Authorization": f"Bearer {TOKEN}"}  # signed in as the teacher
        if body is not None:
            headers["content-type"] = "application/json"
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                r = self.conn.getresponse()
                data = r.read()
                return r.status, json.loads(data) if data else None
            except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
                self.conn.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.conn.close()
        self.proc.terminate()
        self.proc.wait(timeout=30)


def latencies_ms(server: Server, body: bytes, n: int, until: Any = None) -> list[float]:
    """n sequential POST /api/shapes (or fewer, once until() is true), milliseconds each."""
    out = []
    for _ in range(n):
        start = time.perf_counter()
        status, reply = server.request("POST", "/api/shapes", body)
        out.append((time.perf_counter() - start) * 1000)
        assert status == 200 and reply["valid"], reply
        if until is not None and until():
            break
    return out


def p99(xs: list[float]) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, math.ceil(0.99 * len(xs)) - 1)]


def run_job(server: Server, model: str, config: TrainConfig) -> str:
    body = {"spec": models.get(model).model_dump(mode="json"), "config": config.model_dump()}
    status, reply = server.request("POST", "/api/runs", json.dumps(body).encode())
    assert status == 201, reply
    return reply["id"]


def wait_job(server: Server, run_id: str, timeout: float = 600) -> dict[str, Any]:
    """Until the run is done and the server's worker processes are idle (its own exited,
    the warm one that replaced it done importing), so that they take no CPU from what is
    measured next."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _, run = server.request("GET", f"/api/runs/{run_id}")
        if run["status"] not in ("queued", "running"):
            assert run["status"] == "done", run
            settle(server.proc.pid, deadline)
            return run
        time.sleep(0.2)
    raise TimeoutError(run_id)


def settle(pid: int, deadline: float, quiet_s: float = 0.5) -> None:
    """Until the children of `pid` (workers, not multiprocessing's resource tracker) have
    used no CPU for `quiet_s` (a warm worker blocks in a read; Linux /proc)."""
    before = -1
    while time.monotonic() < deadline:
        used = sum(cpu_ticks(child) for child in workers(pid))
        if used == before:
            return
        before = used
        time.sleep(quiet_s)


def workers(pid: int) -> list[int]:
    """Child processes of the server other than multiprocessing's resource tracker (Linux)."""
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        for child in (task / "children").read_text().split():
            cmd = (
                Path(f"/proc/{child}/cmdline").read_bytes()
                if Path(f"/proc/{child}").exists()
                else b""
            )
            if b"resource_tracker" not in cmd:
                out.append(int(child))
    return out


def cpu_ticks(pid: int) -> int:
    """utime + stime of a process, in clock ticks; 0 once it has gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


def job_rates(data_dir: Path, run_id: str) -> list[float]:
    """samples/s of each epoch, from the job's own events in the server's SQLite."""
    from server.store import Store

    store = Store(data_dir / "cnnplay.sqlite3")
    rows, after = [], 0
    while page := store.run_events(run_id, after):
        rows += page
        after = page[-1][0]
    events = [json.loads(text) for _, text in rows]
    return [e["samples_per_s"] for e in events if e["kind"] == "epoch"]


def paired_ratios(jobs: list[list[float]], loops: list[list[float]]) -> list[float]:
    """Each job's median epoch over the median epoch of the two plain loops run just before
    and just after it (loops[i], loops[i + 1]): a slow stretch of a shared machine then
    hits a job and its own baseline alike, and the median of these ratios is the figure."""
    return [
        statistics.median(job) / statistics.median(loops[i] + loops[i + 1])
        for i, job in enumerate(jobs)
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="lenet5_mnist")
    parser.add_argument("--dataset", default="mnist")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--requests", type=int, default=300, help="POST /api/shapes per phase")
    parser.add_argument("--rounds", type=int, default=4, help="jobs, each between plain loops")
    parser.add_argument("--snapshot-rounds", type=int, default=3, help="runs with, without")
    parser.add_argument("--only-snapshots", action="store_true", help="measure (c) alone")
    args = parser.parse_args()
    config = TrainConfig(dataset=args.dataset, batch_size=args.batch_size, epochs=args.epochs)
    snap = snapshot_cost(args.model, config, args.snapshot_rounds)
    snap_ratio = statistics.median(snap["with"]) / statistics.median(snap["without"])
    wall_ratio = statistics.median(snap["wall_without"]) / statistics.median(snap["wall_with"])
    print(f"snapshots (issue 19), model {args.model} on {args.dataset}, 1 thread:")
    print(f"  without: {', '.join(f'{r:,.0f}' for r in snap['without'])} samples/s per epoch")
    print(f"  with:    {', '.join(f'{r:,.0f}' for r in snap['with'])} samples/s per epoch")
    print(
        f"  {statistics.median(snap['count']):.0f} snapshots a run, their own time "
        f"{100 * statistics.median(snap['share']):.1f}% of it; whole-run wall time "
        f"without / with = {wall_ratio:.3f}"
    )
    snap_ok = snap_ratio >= TARGET_SNAPSHOT_RATIO
    print(
        f"  with / without = {snap_ratio:.3f} median epochs (target >= "
        f"{TARGET_SNAPSHOT_RATIO}): {'met' if snap_ok else 'NOT met'}"
    )
    if args.only_snapshots:
        return 0 if snap_ok else 1
    shapes_body = models.get("resnet18").model_dump_json().encode()

    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        server = Server(data_dir)
        try:
            latencies_ms(server, shapes_body, 20)  # warm up
            idle = latencies_ms(server, shapes_body, args.requests)
            # (b) a job trains while the API is asked; (a) then one more job on its own.
            busy_id = run_job(server, args.model, config)
            while server.request("GET", f"/api/runs/{busy_id}")[1]["status"] != "running":
                time.sleep(0.1)
            time.sleep(3)  # the worker has imported torch and is in its loop

            def finished() -> bool:
                return server.request("GET", f"/api/runs/{busy_id}")[1]["status"] != "running"

            busy = latencies_ms(server, shapes_body, args.requests, until=finished)
            wait_job(server, busy_id)
            # Alternate plain loop and job (neither runs while the other does), so that a
            # slow or busy stretch of a shared machine hits both alike.
            loops, jobs = [plain_loop(args.model, config)], []
            for _ in range(args.rounds):
                solo_id = run_job(server, args.model, config)
                wait_job(server, solo_id)
                jobs.append(job_rates(data_dir, solo_id))
                loops.append(plain_loop(args.model, config))
        finally:
            server.close()

    ratios = paired_ratios(jobs, loops)
    ratio = statistics.median(ratios)
    plain, job = sum(loops, []), sum(jobs, [])
    print(f"model {args.model} on {args.dataset}, batch {args.batch_size}, 1 thread")
    print(f"  plain PyTorch loop: {', '.join(f'{r:,.0f}' for r in plain)} samples/s per epoch")
    print(f"  job (real runner):  {', '.join(f'{r:,.0f}' for r in job)} samples/s per epoch")
    print(
        f"  job / plain = {ratio:.3f} median of {len(ratios)} rounds "
        f"({', '.join(f'{r:.3f}' for r in ratios)}; target >= {TARGET_RATIO}); "
        f"{max(job) / max(plain):.3f} best epochs"
    )
    print(
        f"POST /api/shapes (resnet18): idle p50 {statistics.median(idle):.1f} ms, "
        f"p99 {p99(idle):.1f} ms ({len(idle)} requests)"
    )
    print(
        f"  while training: p50 {statistics.median(busy):.1f} ms, p99 {p99(busy):.1f} ms "
        f"({len(busy)} requests); p99 ratio busy/idle {p99(busy) / p99(idle):.2f} "
        f"(target p99 < {TARGET_P99_MS:.0f} ms)"
    )
    ok = ratio >= TARGET_RATIO and p99(busy) < TARGET_P99_MS and snap_ok
    print("targets met" if ok else "targets NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
