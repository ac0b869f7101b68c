"""What runs on a Ray node: one training job in an actor (issue 15). Imports no Ray.

RayExecutor (ray_executor.py) makes this class a threaded Ray actor: `run` trains in one
of its threads while `ask` (cancel, pause) and `drain` (events out) run beside it. The
actor gets everything as data: the job with no server path in it, the starting weights
and the checkpoint as bytes, a downloaded or uploaded dataset as its files' bytes (which
it writes to a cache on its own node). It trains with a checkpoint file in its own temp
folder and hands the checkpoint's bytes back whenever that file changed (after every
epoch, at a pause), the final weights' bytes with the run's end. The web process writes
them where the server keeps them; it is the only one that touches the server's files.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import tempfile
import threading
import traceback
from pathlib import Path
from typing import Any

from server.jobs import worker

DRAIN_WAIT_S = 0.5  # a drain call waits this long for an event before answering empty
CACHE_DIR = "cnnplay-ray-data"  # under the node's temp folder: shipped datasets


class Control:
    """The value worker.run_job reads before every batch (0, CANCEL or PAUSE)."""

    value = 0


def write_dataset(files: dict[str, bytes], folder: str, key: str, root: Path) -> Path:
    """A shipped dataset's files under root/<folder>/<key>/datasets/<folder>/, once per
    key (the dataset's name and mtime); older copies of the same dataset are removed.
    Returns the data_dir to train with."""
    base = root / folder
    data_dir = base / key
    target = data_dir / "datasets" / folder
    if not target.is_dir():
        tmp = Path(tempfile.mkdtemp(dir=root, prefix=".incoming-"))
        for rel, blob in files.items():
            path = tmp / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(blob)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.replace(tmp, target)  # a second actor may have written it meanwhile
        except OSError:
            shutil.rmtree(tmp, ignore_errors=True)
    for other in base.iterdir():
        if other.name != key:
            shutil.rmtree(other, ignore_errors=True)
    return data_dir


def cache_key(name: str, stamp: str) -> str:
    return hashlib.sha256(f"{name}\0{stamp}".encode()).hexdigest()[:20]


class JobActor:
    """One run. Made warm (torch imported, worker.warm_up done) before a job arrives."""

    def __init__(self) -> None:
        worker.warm_up()
        self._cond = threading.Condition()
        self._events: list[dict[str, Any]] = []
        self._finished = False
        self._started = False
        self.control = Control()
        self._root = Path(tempfile.mkdtemp(prefix="cnnplay-run-"))
        self._ckpt = self._root / "run.ckpt.safetensors"
        self._weights = self._root / "run.safetensors"
        self._ckpt_seen: tuple[int, int] | None = None
        self._placed = False  # the first drain says where the actor runs

    def where(self) -> dict[str, Any]:
        """The node, its address, this process and the GPUs Ray gave it."""
        import ray

        ctx = ray.get_runtime_context()
        return {
            "node": ctx.get_node_id(),
            "address": ray.util.get_node_ip_address(),
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "gpus": [str(g) for g in ray.get_gpu_ids()],
        }

    def ask(self, value: int) -> None:
        if self.control.value != worker.CANCEL:
            self.control.value = value

    def run(
        self,
        job: dict[str, Any],
        init_weights: bytes | None,
        checkpoint: bytes | None,
        dataset: dict[str, Any] | None,
    ) -> None:
        """Train the job (blocks one of the actor's threads until it ends)."""
        with self._cond:
            if self._started:
                raise RuntimeError("an actor runs one job")
            self._started = True
        try:
            local = {**job, "checkpoint_path": str(self._ckpt), "weights_path": str(self._weights)}
            local["init_weights"] = init_weights
            local["data_dir"] = None
            if checkpoint is not None:
                self._ckpt.write_bytes(checkpoint)
                self._ckpt_seen = self._stamp()  # the server has this one already
            if dataset is not None:
                root = Path(tempfile.gettempdir()) / CACHE_DIR
                root.mkdir(parents=True, exist_ok=True)
                key = cache_key(dataset["name"], dataset["stamp"])
                data_dir = write_dataset(dataset["files"], dataset["folder"], key, root)
                local["data_dir"] = str(data_dir)
            worker.run_job(local, self._send, self.control)
        except Exception as exc:  # before run_job could say so itself
            traceback.print_exc()
            self._send([{"kind": "end", "status": "failed", "message": f"{exc!r}"}])
        finally:
            with self._cond:
                self._finished = True
                self._cond.notify_all()

    def _send(self, batch: list[dict[str, Any]]) -> None:
        with self._cond:
            self._events.extend(batch)
            self._cond.notify_all()

    def _stamp(self) -> tuple[int, int] | None:
        try:
            st = self._ckpt.stat()
        except FileNotFoundError:
            return None
        return st.st_mtime_ns, st.st_size

    def drain(self, wait_s: float = DRAIN_WAIT_S) -> dict[str, Any]:
        """The events since the last drain (waiting up to wait_s for one), the checkpoint's
        bytes when it changed since, the final weights' bytes with a "done" end, and
        whether the job has ended."""
        with self._cond:
            self._cond.wait_for(lambda: self._events or self._finished, timeout=wait_s)
            events, self._events = self._events, []
            finished = self._finished and not self._events
        out: dict[str, Any] = {"events": events, "finished": finished, "checkpoint": None}
        if not self._placed:
            out["where"], self._placed = self.where(), True
        stamp = self._stamp()
        if stamp is not None and stamp != self._ckpt_seen:
            try:
                out["checkpoint"] = self._ckpt.read_bytes()  # written by os.replace: whole
                self._ckpt_seen = stamp
            except FileNotFoundError:
                pass
        end = next((e for e in events if e.get("kind") == "end"), None)
        out["weights"] = None
        if end is not None and end.get("status") == "done" and self._weights.is_file():
            out["weights"] = self._weights.read_bytes()
        return out

    def close(self) -> None:
        """The server has everything: remove the run's temp folder (the actor ends when
        the server drops its handle)."""
        shutil.rmtree(self._root, ignore_errors=True)
