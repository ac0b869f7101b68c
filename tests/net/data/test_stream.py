"""The shared download loop against a local HTTP server that can honour or ignore Range,
cut a transfer short and go slowly (no internet in tests)."""

from __future__ import annotations

import hashlib
import http.server
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

import pytest

from server.net.data import stream
from server.net.data.stream import Remote

DATA = bytes(range(256)) * 1024  # 256 KiB: four chunks


class RangeServer:
    """Serves `files` by name. `ranges`: answer Range with 206 (else a plain 200); `cut`:
    send at most this many body bytes, then close (Content-Length says the full size);
    `delay`: seconds between 16 KiB writes; `flowing`: cleared, bodies wait until it is set.
    `requests` logs each GET's Range header."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.ranges = True
        self.cut: int | None = None
        self.delay = 0.0
        self.flowing = threading.Event()
        self.flowing.set()
        self.requests: list[str | None] = []
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                owner.requests.append(self.headers.get("Range"))
                data = owner.files.get(self.path.lstrip("/"))
                if data is None:
                    self.send_error(404)
                    return
                start = 0
                match = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range") or "")
                if match and owner.ranges:
                    start = int(match.group(1))
                    if start >= len(data):
                        self.send_error(416)
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                else:
                    self.send_response(200)
                self.send_header("Content-Length", str(len(data) - start))
                self.end_headers()
                owner.flowing.wait(30)
                body = data[start:]
                if owner.cut is not None:
                    body = body[: owner.cut]
                for i in range(0, len(body), 1 << 14):
                    try:
                        self.wfile.write(body[i : i + (1 << 14)])
                    except (BrokenPipeError, ConnectionResetError):
                        return
                    time.sleep(owner.delay)
                self.close_connection = True

        self.http = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.http.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}/"

    def __enter__(self) -> RangeServer:
        threading.Thread(target=self.http.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.http.shutdown()
        self.http.server_close()


@pytest.fixture
def web() -> Iterator[RangeServer]:
    with RangeServer() as server:
        yield server


def remote(web: RangeServer, data: bytes = DATA, prefix: bool = True) -> Remote:
    web.files["f.pth"] = data
    digest = hashlib.sha256(data).hexdigest()
    return Remote(
        "f.pth", web.url + "f.pth", digest[:8] if prefix else digest, len(data), "sha256", prefix
    )


def test_prefix_check_is_torch_hubs() -> None:
    r = Remote("x-abcd.pth", "u", "abcd", 1, "sha256", prefix=True)
    assert r.matches("abcd" + "0" * 60) and not r.matches("abce" + "0" * 60)
    assert not Remote("x-.pth", "u", "", 1, "sha256", prefix=True).matches("ab")
    assert not Remote("x", "u", "abcd", 1, "sha256").matches("abcd" + "0" * 60)  # full digest


def test_fetch_reports_progress_and_verifies(web: RangeServer, tmp_path: Path) -> None:
    seen: list[tuple[int, int | None]] = []
    got = stream.fetch(remote(web), tmp_path / "f.pth", lambda d, t: seen.append((d, t)))
    assert got == len(DATA) and (tmp_path / "f.pth").read_bytes() == DATA
    assert seen[0] == (0, len(DATA)) and seen[-1] == (len(DATA), len(DATA))
    assert [d for d, _ in seen] == sorted(d for d, _ in seen) and len(seen) > 3
    assert not stream.part_path(tmp_path / "f.pth").exists()


def test_a_broken_transfer_resumes_with_range(web: RangeServer, tmp_path: Path) -> None:
    target, half = tmp_path / "f.pth", len(DATA) // 2
    web.cut = half
    with pytest.raises(stream.DownloadError, match=f"stopped at {half:,} of {len(DATA):,}"):
        stream.fetch(remote(web), target, resume=True)
    assert stream.part_path(target).stat().st_size == half and not target.exists()
    web.cut = None
    seen: list[int] = []
    stream.fetch(remote(web), target, lambda d, t: seen.append(d), resume=True)
    assert web.requests == [None, f"bytes={half}-"]
    assert target.read_bytes() == DATA and seen[0] == half


def test_a_server_without_range_restarts_cleanly(web: RangeServer, tmp_path: Path) -> None:
    target = tmp_path / "f.pth"
    stream.part_path(target).write_bytes(DATA[:1000])
    web.ranges = False
    stream.fetch(remote(web), target, resume=True)
    assert web.requests == ["bytes=1000-"] and target.read_bytes() == DATA


def test_a_part_past_the_end_restarts(web: RangeServer, tmp_path: Path) -> None:
    target = tmp_path / "f.pth"
    stream.part_path(target).write_bytes(DATA + b"extra")  # 416 for its Range
    stream.fetch(remote(web), target, resume=True)
    assert web.requests == [f"bytes={len(DATA) + 5}-", None] and target.read_bytes() == DATA


def test_a_wrong_part_fails_the_checksum_and_goes(web: RangeServer, tmp_path: Path) -> None:
    target = tmp_path / "f.pth"
    stream.part_path(target).write_bytes(b"\0" * 1000)  # not the file's first bytes
    with pytest.raises(stream.ChecksumMismatch, match="does not match the published"):
        stream.fetch(remote(web), target, resume=True)
    assert not stream.part_path(target).exists() and not target.exists()


def test_without_resume_a_failure_leaves_nothing(web: RangeServer, tmp_path: Path) -> None:
    web.cut = 1000
    with pytest.raises(stream.DownloadError):
        stream.fetch(remote(web, prefix=False), tmp_path / "f.pth")
    assert not list(tmp_path.iterdir())


def test_cancel_stops_between_chunks(web: RangeServer, tmp_path: Path) -> None:
    cancel = threading.Event()
    web.delay = 0.01

    def on_progress(done: int, total: int | None) -> None:
        if done >= stream.CHUNK:
            cancel.set()

    with pytest.raises(stream.Cancelled):
        stream.fetch(remote(web), tmp_path / "f.pth", on_progress, resume=True, cancel=cancel)
    part = stream.part_path(tmp_path / "f.pth")
    assert stream.CHUNK <= part.stat().st_size < len(DATA)  # kept for a resume
