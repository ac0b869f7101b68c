"""A real `cnnplay serve` subprocess with a warm worker, stopped by SIGTERM and by SIGINT:
nothing leaks (issue 18: "There appear to be 3 leaked semaphore objects") and no worker
is left behind (issue 13)."""

from __future__ import annotations

import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.jobs.procs import ENV, PYTHON, children, wait_gone

pytestmark = pytest.mark.slow  # a server and a worker start: seconds each


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def worker_pids(server: int) -> set[int]:
    """The server's spawned workers (not its multiprocessing resource tracker)."""
    found = set()
    for pid in children(server):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
        except FileNotFoundError:
            continue
        if b"spawn_main" in cmd:
            found.add(pid)
    return found


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_stopping_the_server_leaks_nothing_and_leaves_no_worker(
    tmp_path: Path, sig: signal.Signals
) -> None:
    port = free_port()
    env = {**ENV, "CNNPLAY_WARM_WORKERS": "1"}
    cmd = [PYTHON, "-m", "server.cli", "serve", "--no-browser"]
    cmd += ["--port", str(port), "--data-dir", str(tmp_path)]
    server = subprocess.Popen(
        cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            assert time.monotonic() < deadline, "the server did not start"
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        while not (workers := worker_pids(server.pid)):  # the pool fills after a moment
            assert time.monotonic() < deadline, "no warm worker started"
            time.sleep(0.1)
        server.send_signal(sig)
        _, err = server.communicate(timeout=60)
    finally:
        server.kill()
    assert "Application shutdown complete" in err
    assert "leaked" not in err and "resource_tracker" not in err, err[-2000:]
    assert wait_gone(workers, timeout=5) == set()
