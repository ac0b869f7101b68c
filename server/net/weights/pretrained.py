"""Downloads of the official ImageNet weights (issue 17): torchvision's IMAGENET1K_V1 file of
a zoo architecture, streamed, verified as torch.hub verifies it, converted once into the
library (server/net/weights/official.py holds the manifest and the entries).

On disk (everything under the data dir, named by the server):
  pretrained/<file>.part                  the download so far (resumed with HTTP Range)
  pretrained/<file>                       the verified .pth, only while it is converted
  weights/imagenet-<zoo>.safetensors/.json  the entry

The converter (models.torchvision.convert) and the .pth reader are passed in: the core
imports no zoo.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from server.net.core.spec import NetworkSpec
from server.net.data import stream
from server.net.weights import files
from server.net.weights.entry import BadWeights
from server.net.weights.official import Official, Tensors, delete, find, pretrained_dir, store
from server.net.weights.usage import check_room, usage

WAIT_S = 0.2  # how often a download waiting for a slot looks for a cancel

# (zoo name, torchvision state_dict) -> (the zoo spec, tensors under layer-path keys)
Converter = Callable[[str, Mapping[str, torch.Tensor]], tuple[NetworkSpec, Tensors]]
Reader = Callable[[Path], Tensors]  # a .pth through torch.load(weights_only=True)


# --- the download manager ----------------------------------------------------------------


@dataclass(frozen=True)
class State:
    status: str  # "absent" | "downloading" | "converting" | "ready" | "failed"
    done: int = 0
    total: int | None = None
    eta_s: float | None = None
    error: str | None = None

    def progress(self) -> dict[str, Any] | None:
        if self.status not in ("downloading", "converting"):
            return None
        return {"done": self.done, "total": self.total, "eta_s": self.eta_s}


@dataclass
class _Job:
    official: Official
    cancel: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None
    # | "converting" | "failed" | "cancelled" (by the user: files go) | "stopped" (shutdown)
    status: str = "downloading"
    done: int = 0
    total: int | None = None
    error: str | None = None
    since: tuple[float, int] | None = None  # (monotonic time, done) of the first progress

    def eta(self) -> float | None:
        """Seconds left at this transfer's mean rate (bytes of a resumed .part excluded)."""
        total = self.total or self.official.bytes
        if self.since is None or self.status != "downloading":
            return None
        seconds, start = time.monotonic() - self.since[0], self.since[1]
        if seconds <= 0 or self.done <= start:
            return None
        return max(0.0, (total - self.done) * seconds / (self.done - start))


class Downloads:
    """One background download per architecture (a second start joins it), at most
    `max_downloads` at once; thread-safe. Progress and failures live here; what is ready
    lives on disk, so a new manager (a restarted server) sees every converted entry."""

    def __init__(
        self,
        data_dir: Path,
        manifest: Mapping[str, Official],
        convert: Converter,
        read: Reader,
        *,
        base_url: str,
        max_library_bytes: int,
        max_downloads: int,
        timeout: float = 60.0,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.manifest = dict(manifest)
        self.convert = convert
        self.read = read
        self.base_url = base_url
        self.max_library_bytes = max_library_bytes
        self.timeout = timeout
        self._slots = threading.Semaphore(max_downloads)
        self._lock = threading.Lock()
        self._jobs: dict[str, _Job] = {}

    def _official(self, zoo: str) -> Official:
        if zoo not in self.manifest:
            raise KeyError(zoo)
        return self.manifest[zoo]

    def _file(self, official: Official) -> Path:
        return pretrained_dir(self.data_dir) / official.file_name

    def _on_disk(self, official: Official) -> int:
        """Bytes of this download already on disk (its .part or verified .pth)."""
        pth = self._file(official)
        part = stream.part_path(pth)
        return max((p.stat().st_size for p in (pth, part) if p.is_file()), default=0)

    def state(self, zoo: str) -> State:
        official = self._official(zoo)
        with self._lock:
            job = self._jobs.get(zoo)
            if job is not None and job.status in ("downloading", "converting", "failed"):
                return State(job.status, job.done, job.total, job.eta(), job.error)
        if find(self.data_dir, official.id) is not None:
            return State("ready", official.bytes, official.bytes)
        return State("absent")

    def start(self, zoo: str) -> State:
        """Start (or join) the download of `zoo`; ready stays ready. Raises KeyError for an
        architecture without official weights and LibraryFull past max_library_bytes."""
        official = self._official(zoo)
        if find(self.data_dir, official.id) is not None:
            return State("ready", official.bytes, official.bytes)
        with self._lock:
            job = self._jobs.get(zoo)
            if job is not None and job.status in ("downloading", "converting"):
                return self._snapshot(job)
            old = job.thread if job is not None else None
        if old is not None:
            old.join()  # a cancelled one finishing its last chunk: never two writers
        with self._lock:
            self._check_room(official)
            job = self._jobs[zoo] = _Job(official)
            job.thread = threading.Thread(
                target=self._run, args=(job,), name=f"pretrained-{zoo}", daemon=True
            )
            job.thread.start()
            return self._snapshot(job)

    def _snapshot(self, job: _Job) -> State:
        return State(job.status, job.done, job.total, job.eta(), job.error)

    def _check_room(self, official: Official) -> None:
        """The library once this and every running download are converted must fit (the
        .part and .pth files on disk are counted in `usage` and replaced by the entry)."""
        running = [
            j.official
            for j in self._jobs.values()
            if j.status in ("downloading", "converting") and j.official != official
        ]
        committed = sum(max(0, o.bytes - self._on_disk(o)) for o in running)
        adding = max(0, official.bytes - self._on_disk(official))
        check_room(
            usage(self.data_dir).bytes + committed,
            adding,
            self.max_library_bytes,
            f"ImageNet weights {official.file_name}",
        )

    def cancel(self, zoo: str, timeout: float = 30.0) -> None:
        """Stop a download and delete its files, or delete the converted weights."""
        official = self._official(zoo)
        with self._lock:
            job = self._jobs.get(zoo)
            if job is not None:
                job.status = "cancelled"  # kept until its thread ends: start() waits for it
                job.cancel.set()
        if job is not None and job.thread is not None:
            job.thread.join(timeout)  # a stalled read ends within self.timeout
        self._discard(official)
        delete(self.data_dir, zoo)

    def _discard(self, official: Official) -> None:
        pth = self._file(official)
        for path in (stream.part_path(pth), pth):
            path.unlink(missing_ok=True)

    def wait(self, zoo: str, timeout: float | None = None) -> State:
        with self._lock:
            job = self._jobs.get(zoo)
        if job is not None and job.thread is not None:
            job.thread.join(timeout)
        return self.state(zoo)

    def close(self, timeout: float = 5.0) -> None:
        """Stop every download, keeping each .part for a resume after a restart."""
        with self._lock:
            jobs = list(self._jobs.values())
            for job in jobs:
                if job.status in ("downloading", "converting"):
                    job.status = "stopped"
                job.cancel.set()
        for job in jobs:
            if job.thread is not None:
                job.thread.join(timeout)

    # --- the worker thread --------------------------------------------------------------

    def _progress(self, job: _Job, done: int, total: int | None) -> None:
        with self._lock:
            if job.since is None:
                job.since = (time.monotonic(), done)
            job.done, job.total = done, total

    def _finish(self, job: _Job, status: str, error: str | None = None) -> None:
        with self._lock:
            if job.status in ("downloading", "converting"):  # not cancelled or stopped
                job.status, job.error = status, error

    def _run(self, job: _Job) -> None:
        while not self._slots.acquire(timeout=WAIT_S):
            if job.cancel.is_set():
                return
        try:
            self._download_and_convert(job)
        except stream.Cancelled:
            if job.status == "cancelled":
                self._discard(job.official)
        except stream.DownloadError as exc:  # a broken transfer keeps its .part to resume
            self._finish(job, "failed", str(exc))
        except (BadWeights, files.WeightsMismatch, ValueError, RuntimeError) as exc:
            self._file(job.official).unlink(missing_ok=True)  # verified, yet not convertible
            self._finish(job, "failed", f"{job.official.file_name}: {exc}")
        except Exception as exc:  # a thread must not die silently; the item shows why
            self._finish(job, "failed", f"{type(exc).__name__}: {exc}")
        finally:
            self._slots.release()

    def _download_and_convert(self, job: _Job) -> None:
        official = job.official
        pth = self._file(official)
        if not pth.is_file():  # a verified .pth is there only when a conversion broke off
            pth.parent.mkdir(parents=True, exist_ok=True)
            stream.fetch(
                official.remote(self.base_url),
                pth,
                lambda done, total: self._progress(job, done, total),
                self.timeout,
                resume=True,
                cancel=job.cancel,
            )
        with self._lock:
            if job.status != "downloading":
                raise stream.Cancelled(f"{official.file_name}: cancelled")
            job.status, job.since = "converting", None
        spec, tensors = self.convert(official.zoo, self.read(pth))
        if job.cancel.is_set():
            raise stream.Cancelled(f"{official.file_name}: cancelled")
        store(self.data_dir, official, spec, tensors)
        pth.unlink(missing_ok=True)
        with self._lock:
            if self._jobs.get(official.zoo) is job and job.status == "converting":
                del self._jobs[official.zoo]  # ready lives on disk from here on
