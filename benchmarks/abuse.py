"""The abuse battery's worst cases (issue 13) against a real `cnnplay serve` subprocess.

    python -m benchmarks.abuse [--streams 500] [--half-sent 1000] [--skip memory]

  memory    forty 6000x6000 PNG uploads (35 KB files) to POST /api/images, then five
            distinct ~249M-parameter specs to POST /api/features/overview; the server's
            peak RSS over its RSS after start-up (target: growth < 600 MB)
  streams   a training run with N event streams open on it (one client, so the per-client
            cap is raised to N for this server); /api/health p99 over its p99 with no
            stream open, measured in the same run with the same run training (target:
            p99 < 100 ms with 500 streams)
  half-sent M connections that send half a request line and stop: how long until the
            server has closed them all (target: within CNNPLAY_HEADER_TIMEOUT_S + 5 s)
  orphans   kill -9 of the server while a run trains; worker processes still alive 3 s
            later (target: 0; they are killed here afterwards)

Each line prints the measure, the target and whether it is met. It measures whatever the
branch has: some targets are other engineers' fixes (memory bounds, orphaned workers).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import io
import json
import multiprocessing
import os
import resource
import selectors
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from PIL import Image

from server.store import Store

ROOT = Path(__file__).resolve().parent.parent
MB = 1 << 20
TRAIN = {"dataset": "digits", "epochs": 100, "batch_size": 8}
MLP = {
    "name": "mlp",
    "input": {"channels": 1, "height": 28, "width": 28},
    "layers": [
        {"type": "flatten"},
        {"type": "linear", "out_features": 64},
        {"type": "relu"},
        {"type": "linear", "out_features": 10},
    ],
}


TOKEN = "abuse-benchmark-teacher-token"  # the server signs requests in with it (issue 14)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss(pid: int) -> int:
    """Resident bytes of one process (0 once it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def children(pid: int) -> list[int]:
    """Every live descendant of `pid` (from /proc)."""
    parent: dict[int, int] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
                parent[int(d.name)] = int(fields[1])
            except (OSError, IndexError, ValueError):
                continue
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        kids = [c for c, pp in parent.items() if pp == p]
        out += kids
        todo += kids
    return out


class Server:
    def __init__(self, data_dir: Path, env: dict[str, str]) -> None:
        self.port = _free_port()
        self.data_dir = data_dir
        cmd = [sys.executable, "-m", "server.cli", "serve", "--no-browser"]
        cmd += ["--port", str(self.port)]
        self.proc = subprocess.Popen(
            [*cmd, "--data-dir", str(data_dir)],
            env={**os.environ, "PYTHONPATH": str(ROOT), **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 120
        while True:
            try:
                if self.request("GET", "/api/health")[0] == 200:
                    break
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.2)

    def request(
        self, method: str, path: str, body: bytes | None = None, kind: str = "application/json"
    ) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        try:
            headers = {"Authorization": f"Bearer {TOKEN}"}  # signed in as the teacher
            conn.request(method, path, body, headers | ({"Content-Type": kind} if body else {}))
            r = conn.getresponse()
            return r.status, r.read()
        finally:
            conn.close()

    def json(self, method: str, path: str, data: object) -> tuple[int, dict]:
        payload = None if data is None else json.dumps(data).encode()
        status, body = self.request(method, path, payload)
        return status, json.loads(body or b"null")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Peak(threading.Thread):
    """The highest RSS of a process, sampled every 50 ms."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.halt = pid, rss(pid), threading.Event()
        self.start()

    def run(self) -> None:
        while not self.halt.wait(0.05):
            self.peak = max(self.peak, rss(self.pid))


def health_ms(server: Server, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        status, _ = server.request("GET", "/api/health")
        out.append((time.perf_counter() - t) * 1000 if status == 200 else float("inf"))
    return out


def p99(ms: list[float]) -> float:
    return statistics.quantiles(ms, n=100)[98] if len(ms) > 1 else ms[0]


def line(what: str, value: str, target: str, met: bool) -> None:
    print(f"  {what:<46} {value:>18}   target {target:<26} {'met' if met else 'NOT MET'}")


def start_run(server: Server) -> str:
    status, out = server.json("POST", "/api/runs", {"spec": MLP, "config": TRAIN})
    assert status == 201, out
    deadline = time.monotonic() + 120
    store = Store(server.data_dir / "cnnplay.sqlite3")
    while store.last_seq(out["id"]) < 5:  # its worker has started and sends iterations
        assert time.monotonic() < deadline, "the run did not start"
        time.sleep(0.2)
    return out["id"]


def multipart(name: str, data: bytes, kind: str) -> tuple[bytes, str]:
    boundary = "abuse" + os.urandom(8).hex()
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        f"Content-Type: {kind}\r\n\r\n"
    ).encode()
    return (
        head + data + f"\r\n--{boundary}--\r\n".encode(),
        f"multipart/form-data; boundary={boundary}",
    )


def memory(server: Server) -> None:
    base = rss(server.proc.pid)
    peak = Peak(server.proc.pid)
    png = io.BytesIO()
    Image.new("L", (6000, 6000), 0).save(png, "PNG", optimize=True)
    body, kind = multipart("big.png", png.getvalue(), "image/png")
    codes = [server.request("POST", "/api/images", body, kind)[0] for _ in range(40)]
    after_uploads = peak.peak
    for i in range(5):  # 784 -> 30,000 -> 7,500 - i: ~248.5M parameters, each a new network
        hidden = [{"type": "linear", "out_features": 30_000}, {"type": "relu"}]
        last = {"type": "linear", "out_features": 7_500 - i}
        spec = {**MLP, "layers": [{"type": "flatten"}, *hidden, last]}
        status, out = server.json(
            "POST", "/api/features/overview", {"net": {"spec": spec}, "image": "mnist-3"}
        )
        codes.append(status)
        if status != 200 and i == 0:
            print(f"memory: a 249M-parameter spec answered {status}: {str(out)[:200]}")
    peak.halt.set()
    peak.join()
    print(f"memory: start-up RSS {base / MB:,.0f} MB; answers {sorted(set(codes))}")
    line(
        "peak RSS growth, 40 PNG uploads",
        f"{(after_uploads - base) / MB:,.0f} MB",
        "< 600 MB",
        after_uploads - base < 600 * MB,
    )
    line(
        "peak RSS growth, + five 249M-parameter specs",
        f"{(peak.peak - base) / MB:,.0f} MB",
        "< 600 MB",
        peak.peak - base < 600 * MB,
    )
    line(
        "RSS after both, over start-up",
        f"{(rss(server.proc.pid) - base) / MB:,.0f} MB",
        "< 600 MB",
        rss(server.proc.pid) - base < 600 * MB,
    )


def _stream_reader(port: int, run_id: str, n: int, out: Any, halt: Any) -> None:
    """In a process of its own (its reading must not slow the health requests' timing):
    open n streams and read them all, as n browsers would; report the status codes once
    all have answered, then the bytes read, when told to stop."""
    sel = selectors.DefaultSelector()
    socks, answers, received = [], {}, 0
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port))
        auth = f"Authorization: Bearer {TOKEN}\r\n"
        s.sendall(
            f"GET /api/runs/{run_id}/events HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}\r\n".encode()
        )
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
        socks.append(s)
    reported = False
    while not halt.is_set():
        for key, _ in sel.select(0.1):
            try:
                chunk = key.fileobj.recv(65536)  # type: ignore[union-attr]
            except BlockingIOError:
                continue
            answers.setdefault(key.fileobj, chunk[9:12].decode())
            received += len(chunk)
            if not chunk:
                sel.unregister(key.fileobj)
        if not reported and len(answers) == n:
            out.put(list(answers.values()))
            reported = True
    out.put(received)
    for s in socks:
        s.close()


def streams(server: Server, n: int) -> None:
    run_id = start_run(server)
    quiet = health_ms(server, 200)
    ctx = multiprocessing.get_context("fork")
    out, halt = ctx.Queue(), ctx.Event()
    reader = ctx.Process(target=_stream_reader, args=(server.port, run_id, n, out, halt))
    reader.start()
    codes = out.get(timeout=120)
    time.sleep(3)  # every stream following the run
    t0 = time.monotonic()
    loaded = health_ms(server, 200)
    took = time.monotonic() - t0
    halt.set()
    received = out.get(timeout=60)
    reader.join()
    server.request("POST", f"/api/runs/{run_id}/cancel")
    rate = received / (took + 3) / 1024
    open_ok = codes.count("200")
    answers = dict(enumerate(codes))
    others = sorted({a for a in answers.values() if a != "200"})
    print(f"streams: {open_ok} of {n} open (others: {others}), reading ~{rate:,.0f} KB/s of events")
    q, lo = p99(quiet), p99(loaded)
    print(
        f"  health p50 {statistics.median(quiet):.1f} -> {statistics.median(loaded):.1f} ms, "
        f"p99 {q:.1f} -> {lo:.1f} ms with the streams open (ratio {lo / q:.1f}x)"
    )
    line(
        f"health p99 with {open_ok} streams open",
        f"{p99(loaded):.1f} ms",
        "< 100 ms",
        p99(loaded) < 100,
    )


def half_sent(server: Server, m: int, header_timeout_s: float) -> None:
    socks = []
    started = time.monotonic()
    for _ in range(m):
        s = socket.create_connection(("127.0.0.1", server.port))
        s.sendall(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # and nothing more
        socks.append(s)
    during = server.request("GET", "/api/health")[0]
    sel = selectors.DefaultSelector()
    for s in socks:
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
    open_ = set(socks)
    limit = header_timeout_s + 30
    while open_ and time.monotonic() - started < limit:
        for key, _ in sel.select(0.2):
            try:
                if not key.fileobj.recv(65536):  # type: ignore[union-attr]
                    open_.discard(key.fileobj)  # type: ignore[arg-type]
                    sel.unregister(key.fileobj)
            except (BlockingIOError, ConnectionResetError):
                continue
    took = time.monotonic() - started
    for s in socks:
        s.close()
    print(f"half-sent: {m} connections; /api/health answered {during} while they were open")
    value = f"{took:.1f} s" if not open_ else f"{len(open_)} open after {took:.0f} s"
    line(
        f"all {m} half-sent requests closed by the server",
        value,
        f"<= {header_timeout_s + 5:g} s",
        not open_ and took <= header_timeout_s + 5,
    )


def orphans(server: Server) -> None:
    start_run(server)
    time.sleep(1)
    workers = children(server.proc.pid)
    server.proc.send_signal(signal.SIGKILL)
    server.proc.wait()
    time.sleep(3)
    alive = [p for p in workers if rss(p) > 0]
    print(f"orphans: the server had {len(workers)} child processes when it was killed")
    line("worker processes alive 3 s after kill -9", str(len(alive)), "0", not alive)
    for p in alive:
        with contextlib.suppress(ProcessLookupError):
            os.kill(p, signal.SIGKILL)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--streams", type=int, default=500)
    p.add_argument("--half-sent", type=int, default=1000)
    p.add_argument(
        "--skip", nargs="*", default=[], choices=["memory", "streams", "half-sent", "orphans"]
    )
    args = p.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 8192), hard))
    header_timeout_s = 10.0
    env = {
        "CNNPLAY_MAX_STREAMS_PER_CLIENT": str(args.streams),  # one client opens them all
        "CNNPLAY_MAX_STREAMS": str(max(args.streams, 500)),
        "CNNPLAY_HEADER_TIMEOUT_S": str(header_timeout_s),
        "CNNPLAY_TOKEN": TOKEN,
    }
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(Path(tmp), env)
        try:
            if "memory" not in args.skip:
                memory(server)
            if "streams" not in args.skip:
                streams(server, args.streams)
            if "half-sent" not in args.skip:
                half_sent(server, args.half_sent, header_timeout_s)
            if "orphans" not in args.skip:
                orphans(server)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
