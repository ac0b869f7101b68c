"""server/serve_limits.py and the stream caps, with raw sockets against a real
`cnnplay serve` subprocess (issue 13): half-sent requests time out, idle kept-alive
connections close, the concurrency limit answers 503, a stream's place is given back
when its client goes away, heartbeats flow."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from server.store import Store

ROOT = Path(__file__).resolve().parent.parent
HEADER_TIMEOUT_S = 1.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _connect(port: int) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    return s


TOKEN = "a-test-token-for-the-serve-limits-server"  # sign-in (issue 14): the teacher's


def _request(path: str) -> bytes:
    auth = f"Authorization: Bearer {TOKEN}\r\n"
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}\r\n".encode()


def _read_until_closed(s: socket.socket, limit_s: float = 10.0) -> tuple[bytes, float]:
    """Everything the server sends until it closes, and when it closed."""
    start, data = time.monotonic(), b""
    s.settimeout(limit_s)
    while chunk := s.recv(65536):
        data += chunk
    return data, time.monotonic() - start


def _status(port: int, path: str = "/api/health") -> int:
    with _connect(port) as s:
        s.sendall(_request(path))
        head = s.recv(65536)
    return int(head.split(b" ", 2)[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    data = tmp_path_factory.mktemp("serve")
    port = _free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "CNNPLAY_HEADER_TIMEOUT_S": str(HEADER_TIMEOUT_S),
        "CNNPLAY_KEEP_ALIVE_S": "1",
        "CNNPLAY_TOKEN": TOKEN,
        "CNNPLAY_MAX_CONNECTIONS": "20",
        "CNNPLAY_MAX_STREAMS_PER_CLIENT": "1",
        "CNNPLAY_STREAM_HEARTBEAT_S": "0.3",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "serve", "--no-browser"]
        + ["--port", str(port), "--data-dir", str(data)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if _status(port) == 200:
                    break
            except OSError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "serve did not start"
            time.sleep(0.2)
        yield port, data
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_a_half_sent_request_is_answered_408_and_closed(server: tuple[int, Path]) -> None:
    port, _ = server
    with _connect(port) as s:
        s.sendall(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # no blank line
        data, took = _read_until_closed(s)
    assert data.startswith(b"HTTP/1.1 408 ") and b"did not arrive within 1 s" in data
    assert HEADER_TIMEOUT_S * 0.8 < took < HEADER_TIMEOUT_S + 3


def test_a_silent_connection_is_closed_too(server: tuple[int, Path]) -> None:
    port, _ = server
    with _connect(port) as s:
        data, took = _read_until_closed(s)
    assert data.startswith(b"HTTP/1.1 408 ") and took < HEADER_TIMEOUT_S + 3


def test_slow_headers_within_the_limit_are_served(server: tuple[int, Path]) -> None:
    port, _ = server
    with _connect(port) as s:
        for part in (b"GET /api/health HTTP/1.1\r\n", b"Host: 127.0.0.1\r\n", b"\r\n"):
            s.sendall(part)
            time.sleep(HEADER_TIMEOUT_S / 4)
        assert s.recv(65536).startswith(b"HTTP/1.1 200 ")


def test_a_kept_alive_connection_is_closed_when_idle_and_its_next_request_timed(
    server: tuple[int, Path],
) -> None:
    port, _ = server
    with _connect(port) as s:  # idle after a response: uvicorn's keep-alive timeout
        s.sendall(_request("/api/health"))
        data, took = _read_until_closed(s)
    assert data.startswith(b"HTTP/1.1 200 ") and took < 1 + 3
    with _connect(port) as s:  # half of a second request: the header timeout again
        s.sendall(_request("/api/health"))
        first = b""
        while not first.endswith(b"}"):  # the whole first answer (a JSON body)
            first += s.recv(65536)
        assert first.startswith(b"HTTP/1.1 200 ")
        s.sendall(b"GET /api/health HTTP/1.1\r\n")  # stops the keep-alive timer
        data, took = _read_until_closed(s)
    assert data.startswith(b"HTTP/1.1 408 ") and took < HEADER_TIMEOUT_S + 3


def test_past_the_connection_limit_requests_get_503_until_the_idle_ones_go(
    server: tuple[int, Path],
) -> None:
    port, _ = server
    idle = [_connect(port) for _ in range(25)]  # CNNPLAY_MAX_CONNECTIONS=20
    try:
        time.sleep(0.2)
        assert _status(port) == 503
        time.sleep(HEADER_TIMEOUT_S + 1.5)  # the header timeout closes the idle ones
        assert _status(port) == 200
    finally:
        for s in idle:
            s.close()


def _open_stream(port: int, run_id: str) -> tuple[socket.socket, bytes]:
    s = _connect(port)
    s.sendall(_request(f"/api/runs/{run_id}/events"))
    s.settimeout(10)
    head = b""
    while b"\r\n\r\n" not in head:
        head += s.recv(65536)
    return s, head


def test_a_stream_gives_its_place_back_when_its_client_goes(server: tuple[int, Path]) -> None:
    port, data = server
    store = Store(data / "cnnplay.sqlite3")
    run_id = "c" * 32
    store.create_run(run_id, "{}", "{}")  # queued: its stream stays open
    first, head = _open_stream(port, run_id)
    assert head.startswith(b"HTTP/1.1 200 ")
    # Heartbeats while nothing happens (CNNPLAY_STREAM_HEARTBEAT_S=0.3).
    seen = head
    while seen.count(b": heartbeat") < 2:
        seen += first.recv(65536)
    # CNNPLAY_MAX_STREAMS_PER_CLIENT=1: a second one is refused while the first is open.
    second, head = _open_stream(port, run_id)
    with second:
        head += _read_until_closed(second)[0]  # the body (keep-alive closes it after 1 s)
    assert head.startswith(b"HTTP/1.1 429 ") and b"CNNPLAY_MAX_STREAMS_PER_CLIENT" in head
    # An event written by another process reaches the open stream at its next wake-up.
    store.add_run_events([(run_id, 1, '{"kind": "start"}')])
    deadline = time.monotonic() + 10
    while b'data: {"kind": "start"}' not in seen:  # heartbeats come in between
        assert time.monotonic() < deadline, "the event did not arrive"
        seen += first.recv(65536)
    assert b"id: 1\r\n" in seen or b"id: 1\n" in seen
    first.close()  # the client goes away: its place comes back
    deadline = time.monotonic() + 5
    while True:
        third, head = _open_stream(port, run_id)
        third.close()
        if head.startswith(b"HTTP/1.1 200 "):
            break
        assert time.monotonic() < deadline, head
        time.sleep(0.2)


def test_the_uvicorn_config_takes_every_limit_from_settings(tmp_path: Path) -> None:
    from server.config import Settings
    from server.serve_limits import uvicorn_config

    settings = Settings(
        data_dir=tmp_path,
        port=8123,
        max_connections=77,
        keep_alive_s=3,
        max_header_bytes=9000,
        shutdown_grace_s=2,
        header_timeout_s=4.5,
    )
    config = uvicorn_config(object(), settings)
    assert (config.host, config.port) == ("127.0.0.1", 8123)
    assert config.limit_concurrency == 77 and config.timeout_keep_alive == 3
    assert config.h11_max_incomplete_event_size == 9000
    assert config.timeout_graceful_shutdown == 2
    assert config.http.__name__.startswith("HeaderTimeout")  # type: ignore[union-attr]
