"""Stream one URL into a verified file: the download loop of every file cnnplay fetches
(datasets in server/net/data/downloads.py, ImageNet weights in server/net/weights/pretrained.py).

The bytes go to "<target>.part" while their digest is computed; only a file whose digest
matches the published one is renamed to <target> (os.replace), so a file that is there is
a verified file. A mismatch deletes the .part and is refused.

With resume=True an existing .part continues with an HTTP Range request (its bytes are
hashed first); a server that ignores Range (200, not 206) or refuses it (416) restarts the
file from byte 0, and a transfer that breaks off (or is cancelled: a set `cancel` event
stops it between chunks) keeps its .part for the next try; without resume a failure of any
kind leaves nothing.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import re
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

CHUNK = 1 << 16
Progress = Callable[[int, int | None], None]  # (bytes of the file so far, its size if known)
_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")


class DownloadError(RuntimeError):
    """A download failed (network, HTTP status, checksum); the message says which file."""


class ChecksumMismatch(DownloadError):
    pass


class Cancelled(DownloadError):
    pass


@dataclass(frozen=True)
class Remote:
    filename: str
    url: str
    digest: str
    size: int  # bytes, for progress when a server sends no Content-Length
    algorithm: str = "md5"
    # True: `digest` is a prefix of the hex digest, the hash torch.hub reads from a file name
    prefix: bool = False

    def matches(self, hexdigest: str) -> bool:
        if self.prefix:  # torch.hub's check_hash: digest[:len(hash_prefix)] == hash_prefix
            return bool(self.digest) and hexdigest[: len(self.digest)] == self.digest
        return hexdigest == self.digest


def hasher(algorithm: str) -> hashlib._Hash:
    if algorithm == "md5":
        return hashlib.md5(usedforsecurity=False)
    return hashlib.new(algorithm)


def part_path(target: Path) -> Path:
    return target.with_name(target.name + ".part")


def _open(url: str, start: int, timeout: float) -> http.client.HTTPResponse:
    headers = {"User-Agent": "cnnplay"}
    if start:
        headers["Range"] = f"bytes={start}-"
    return urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout)


def _offset(response: http.client.HTTPResponse, asked: int) -> int:
    """Where the body starts in the file: `asked` for a 206 that answers the Range asked for,
    0 for a plain 200 (the server ignored Range: the whole file follows)."""
    if response.status != 206:
        return 0
    match = _CONTENT_RANGE.fullmatch(response.headers.get("Content-Range", "").strip())
    if match is None or int(match.group(1)) != asked:
        raise DownloadError(
            f"the server answered a range other than bytes={asked}- "
            f"({response.headers.get('Content-Range')!r})"
        )
    return asked


def _total(response: http.client.HTTPResponse, offset: int) -> int | None:
    length = response.headers.get("Content-Length")
    return offset + int(length) if length and length.isdigit() else None


def _hash_existing(part: Path, upto: int, digest: hashlib._Hash) -> None:
    with part.open("r+b") as f:
        f.truncate(upto)
        while chunk := f.read(CHUNK):
            digest.update(chunk)


def _respond(
    remote: Remote, part: Path, resume: bool, timeout: float
) -> tuple[http.client.HTTPResponse, int]:
    """The response to read from and the bytes asked to skip: a Range request when a .part
    may continue."""
    have = part.stat().st_size if resume and part.is_file() else 0
    try:
        return _open(remote.url, have, timeout), have
    except urllib.error.HTTPError as exc:
        if have and exc.code == 416:  # the .part is not a prefix the server can continue
            exc.close()
            part.unlink(missing_ok=True)
            return _open(remote.url, 0, timeout), 0
        raise


def _transfer(
    remote: Remote,
    part: Path,
    on_progress: Progress,
    timeout: float,
    resume: bool,
    cancel: threading.Event | None,
) -> int:
    digest = hasher(remote.algorithm)
    response, have = _respond(remote, part, resume, timeout)
    with response:
        offset = _offset(response, have) if have else 0
        total = _total(response, offset)
        if offset:
            _hash_existing(part, offset, digest)
        got = offset
        with part.open("ab" if offset else "wb") as out:
            on_progress(got, total)
            while chunk := response.read(CHUNK):
                if cancel is not None and cancel.is_set():
                    raise Cancelled(f"{remote.filename}: cancelled")
                got += len(chunk)
                if got > 2 * remote.size + CHUNK:  # a server sending far more than the file
                    raise DownloadError(
                        f"{remote.filename}: the server sent over {got:,} bytes; "
                        f"expected {remote.size:,}"
                    )
                digest.update(chunk)
                out.write(chunk)
                on_progress(got, total)
    if cancel is not None and cancel.is_set():
        raise Cancelled(f"{remote.filename}: cancelled")
    if total is not None and got < total:  # kept: a resumable download continues from here
        raise DownloadError(
            f"{remote.filename}: the transfer stopped at {got:,} of {total:,} bytes"
        )
    if not remote.matches(digest.hexdigest()):
        raise ChecksumMismatch(
            f"{remote.filename}: {remote.algorithm} {digest.hexdigest()} does not match "
            f"the published {remote.digest}; the file was deleted"
        )
    return got


def fetch(
    remote: Remote,
    target: Path,
    on_progress: Progress = lambda done, total: None,
    timeout: float = 60.0,
    *,
    resume: bool = False,
    cancel: threading.Event | None = None,
) -> int:
    """Download `remote` to `target` (verified); returns the file's size. Raises
    DownloadError (ChecksumMismatch, Cancelled). Without `resume` a failure leaves nothing."""
    part = part_path(target)
    try:
        got = _transfer(remote, part, on_progress, timeout, resume, cancel)
        os.replace(part, target)
    except ChecksumMismatch:
        part.unlink(missing_ok=True)
        raise
    except DownloadError:
        if not resume:
            part.unlink(missing_ok=True)
        raise
    # URLError and HTTPError are OSErrors; a connection closed early is an IncompleteRead
    except (OSError, ValueError, http.client.HTTPException) as exc:
        if not resume:
            part.unlink(missing_ok=True)
        raise DownloadError(f"{remote.filename} from {remote.url}: {exc}") from exc
    return got
