"""Ray executor (issue 15): every run is a Ray actor on the cluster (ray_actor.JobActor).

The queue, slots, event numbering and what ends write are dispatch.py's, as for the local
executor. One dispatcher thread in the web process keeps one `drain` call in flight per
running actor (a long poll: it answers as soon as the actor has events) and waits on
all of them with `ray.wait`; it numbers and writes the events into SQLite, writes the
checkpoint and final weights the actor sends back where the server keeps them, and marks
a run whose actor died (kill -9 of its process, its node lost: RayActorError) failed,
resumable from its last checkpoint. Cancel and pause are `ask` calls the actor's control
value takes between batches. `warm_workers` idle actors wait with torch imported, so
Start is a message. Actors belong to the web process (not detached): Ray ends them when
it exits, however it exits. Without an address it starts a Ray instance of its own.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

from server.jobs import ray_ship
from server.jobs.dispatch import Dispatch
from server.jobs.running import Running
from server.jobs.worker import CANCEL, PAUSE
from server.store import Store

TICK_S = 0.1
CANCEL_KILL_S = 10.0  # a cancelled actor still training after this is killed
STOP_PAUSE_S = 10.0  # at server stop: time for an actor to send its checkpoint
LIMIT_GRACE_S = 30.0  # past its time limit an actor has this long to pause
REFILL_DELAY_S = 2.0  # after a warm actor was taken, before its replacement starts
CAPACITY_CACHE_S = 1.5  # a polling Train view cannot hammer the GCS
DATASET_CACHE = 4  # shipped datasets kept in the object store


class RayExecutor(Dispatch):
    executor_name = "ray"

    def __init__(
        self,
        store: Store,
        max_jobs: int,
        max_queued: int,
        *,
        address: str | None = None,
        warm_workers: int = 0,
        max_run_seconds: float | None = None,
        gpu_min_params: int = 1_000_000,
    ) -> None:
        super().__init__(store, max_jobs, max_queued, max_run_seconds)
        self.address = address
        self.warm_workers = warm_workers
        self.gpu_min_params = gpu_min_params
        self._owns_ray = False
        self._actor_cls: Any = None
        self._idle: list[tuple[Any, Any]] = []  # warm actors and their where() refs
        self._not_before = 0.0
        self._drains: dict[Any, str] = {}  # drain ref -> run id
        self._datasets: dict[tuple[str, str], Any] = {}  # (name, stamp) -> ObjectRef
        self._capacity: tuple[float, dict[str, Any]] | None = None
        self._wake_event = threading.Event()
        self._thread: threading.Thread | None = None

    # --- lifecycle ----------------------------------------------------------------

    def start(self) -> None:
        import ray

        from server.jobs.ray_actor import JobActor

        if not ray.is_initialized():
            if self.address:
                ray.init(address=self.address)
            else:
                ray.init(include_dashboard=False)
            self._owns_ray = True
        # Threaded: run() trains in one thread while ask() and drain() answer in others.
        self._actor_cls = ray.remote(max_concurrency=4)(JobActor)
        self._halt.clear()
        self._not_before = time.monotonic() + 1.0
        self._thread = threading.Thread(target=self._loop, name="ray-dispatcher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Pause every running actor (it sends its checkpoint and ends "paused"); one that
        does not manage within STOP_PAUSE_S is killed and its run fails, resumable.
        Queued runs become paused too; runner.start queues both again."""
        import ray

        self._halt.set()
        self._wake()
        if self._thread is not None:
            self._thread.join(timeout=30)
        with self._lock:
            self._stopping = True
            queued = self._drain_queue()
            for r in self._running.values():
                self._tell(r, PAUSE)
        deadline = time.monotonic() + STOP_PAUSE_S
        while self._running and time.monotonic() < deadline:
            self._service(TICK_S)
        for r in list(self._running.values()):
            ray.kill(r.worker, no_restart=True)
        end = time.monotonic() + 5
        while self._running and time.monotonic() < end:
            self._service(TICK_S)
        self._pause_queued(queued)
        for actor, _ in self._idle:
            ray.kill(actor, no_restart=True)
        self._idle.clear()
        self._datasets.clear()
        if self._owns_ray:
            ray.shutdown()
            self._owns_ray = False

    # --- the interface (the rest is Dispatch's) -----------------------------------

    def capacity(self) -> dict[str, Any]:
        """The cluster's live nodes with their CPUs and GPUs (cached CAPACITY_CACHE_S)."""
        now = time.monotonic()
        if self._capacity is None or now - self._capacity[0] > CAPACITY_CACHE_S:
            self._capacity = (now, self._nodes())
        busy, queued = self.counts()
        load = {"slots": self.max_jobs, "busy": busy, "queued": queued, "warm": self.warm_ready()}
        return {**self._capacity[1], **load}

    def _nodes(self) -> dict[str, Any]:
        import ray

        nodes = []
        for n in ray.nodes():
            res = n.get("Resources", {})
            nodes.append(
                {
                    "id": n["NodeID"],
                    "address": n.get("NodeManagerAddress", ""),
                    "cpus": float(res.get("CPU", 0.0)),
                    "gpus": float(res.get("GPU", 0.0)),
                    "alive": bool(n.get("Alive")),
                }
            )
        live = [n for n in nodes if n["alive"]]
        return {
            "executor": "ray",
            "nodes": nodes,
            "cpus": sum(n["cpus"] for n in live),
            "gpus": sum(n["gpus"] for n in live),
        }

    def actor_pid(self, run_id: str) -> int | None:
        """The pid of a run's actor once it reported where it runs (tests)."""
        with self._lock:
            r = self._running.get(run_id)
            return r.pid if r is not None else None

    def warm_ready(self) -> int:
        import ray

        refs = [ref for _, ref in self._idle]
        return len(ray.wait(refs, num_returns=len(refs), timeout=0)[0]) if refs else 0

    # --- Dispatch's hooks ---------------------------------------------------------

    def _tell(self, running: Running, value: int) -> None:
        if running.asked != CANCEL:
            running.asked = value
            running.worker.ask.remote(value)

    def _let_go(self, running: Running) -> None:
        running.worker.close.remote()  # its temp folder; dropping the handle ends it
        running.worker = None

    def _wake(self) -> None:
        self._wake_event.set()

    # --- the dispatcher thread ----------------------------------------------------

    def _hand_over(self) -> None:
        for run_id, r in self._unstarted():
            job = r.job
            free = self._free_gpus()
            params = self._params(job) if free >= 1 else 0  # worth working out with a GPU only
            needs, device = ray_ship.resources(params, free, self.gpu_min_params)
            actor = None
            if device == "cpu":
                actor = self._take_warm()
            if actor is None:
                actor = self._actor_cls.options(**needs).remote()
            remote = {**ray_ship.remote_job(job), "device": device}
            init = ray_ship.read_optional(job.get("init_weights"))
            ckpt = ray_ship.read_optional(job["checkpoint_path"]) if job.get("resume") else None
            remote["resume"] = ckpt is not None
            actor.run.remote(remote, init, ckpt, self._dataset(job))
            with self._lock:
                r.worker, r.started_at = actor, time.monotonic()
                r.device = device
                if r.asked:
                    actor.ask.remote(r.asked)
                self._drains[actor.drain.remote()] = run_id

    def _params(self, job: dict[str, Any]) -> int:
        """The network's parameter count (0 when its shapes do not work out)."""
        try:
            return ray_ship.param_count(job["spec"])
        except Exception:
            return 0

    def _free_gpus(self) -> float:
        import ray

        return float(ray.available_resources().get("GPU", 0.0))

    def _dataset(self, job: dict[str, Any]) -> Any:
        """A downloaded or uploaded dataset's files in the object store (once per name and
        mtime); None for a built-in one, which every node has."""
        import ray

        name = job["config"].get("dataset", "mnist")
        if not job.get("data_dir"):
            return None
        folder = ray_ship.dataset_folder(name, Path(job["data_dir"]))
        if folder is None:
            return None
        stamp = ray_ship.dataset_stamp(folder)
        if stamp is None:
            return None  # gone: the run fails on the node, naming the dataset
        key = (name, stamp)
        if key not in self._datasets:
            files = ray_ship.dataset_files(folder)
            payload = {"name": name, "stamp": stamp, "folder": folder.name, "files": files}
            self._datasets[key] = ray.put(payload)
            while len(self._datasets) > DATASET_CACHE:
                self._datasets.pop(next(iter(self._datasets)))
        return self._datasets[key]

    def _take_warm(self) -> Any:
        import ray

        if not self._idle:
            return None
        refs = [ref for _, ref in self._idle]
        ready = set(ray.wait(refs, num_returns=len(refs), timeout=0)[0])
        chosen = next((p for p in self._idle if p[1] in ready), self._idle[0])
        self._idle.remove(chosen)
        self._not_before = max(self._not_before, time.monotonic() + REFILL_DELAY_S)
        return chosen[0]

    def _refill(self) -> None:
        if time.monotonic() < self._not_before:
            return
        while len(self._idle) < self.warm_workers:
            actor = self._actor_cls.options(num_cpus=1).remote()
            self._idle.append((actor, actor.where.remote()))

    def _service(self, timeout: float) -> None:
        """Wait up to `timeout` for a drain to answer; handle every one that has."""
        import ray
        from ray.exceptions import RayActorError

        with self._lock:
            refs = list(self._drains)
        if not refs:
            self._wake_event.wait(timeout)
            self._wake_event.clear()
            return
        ready, _ = ray.wait(refs, num_returns=1, timeout=timeout)
        if ready:
            ready, _ = ray.wait(refs, num_returns=len(refs), timeout=0)
        rows: list[tuple[str, int, str]] = []
        ends: list[tuple[str, dict[str, Any]]] = []
        gone: list[tuple[str, str]] = []
        for ref in ready:
            with self._lock:
                run_id = self._drains.pop(ref)
                r = self._running.get(run_id)
            if r is None:
                continue
            try:
                out = ray.get(ref)
            except RayActorError as exc:
                gone.append((run_id, _death(exc)))
                continue
            self._keep_files(r, out)
            before = len(ends)
            self._number(run_id, out["events"], rows, ends)
            if len(ends) == before and not out["finished"]:
                with self._lock:
                    self._drains[r.worker.drain.remote()] = run_id
            elif len(ends) == before:
                gone.append((run_id, "its actor ended without saying how"))
        self._write(rows, ends)
        for run_id, why in gone:
            r = self._take(run_id)
            if r is not None and r.timed_out:
                why = (
                    f"stopped: it ran past its time limit of {r.job.get('max_seconds'):g} s "
                    f"(CNNPLAY_MAX_RUN_SECONDS) and did not pause within {LIMIT_GRACE_S:g} s"
                )
            if r is not None:
                self._record_death(run_id, r, why)

    def _keep_files(self, r: Running, out: dict[str, Any]) -> None:
        """The checkpoint and final weights the actor sent, where the server keeps them;
        the first answer's `where` becomes the run's placement."""
        job = r.job
        if out["checkpoint"] is not None and job.get("checkpoint_path"):
            _write_bytes(Path(job["checkpoint_path"]), out["checkpoint"])
        end = next((e for e in out["events"] if e.get("kind") == "end"), None)
        if end is not None:
            if out["weights"] is not None:
                _write_bytes(Path(job["weights_path"]), out["weights"])
                end["weights_path"] = job["weights_path"]
            else:
                end["weights_path"] = None
            if end["status"] not in ("paused", "failed") and job.get("checkpoint_path"):
                Path(job["checkpoint_path"]).unlink(missing_ok=True)
        where = out.get("where")
        if where is not None:
            placement = {"executor": "ray", "device": r.device, **where}
            r.pid = where.get("pid")
            self.store.set_run_placement(job["id"], json.dumps(placement))

    def _reap(self) -> None:
        """Kill an actor that overstays a cancel or its time limit."""
        import ray

        now = time.monotonic()
        with self._lock:
            for r in self._running.values():
                if r.worker is None:
                    continue
                limit = r.job.get("max_seconds")
                late = r.cancel_at is not None and now - r.cancel_at > CANCEL_KILL_S
                if limit and now - r.started_at > limit + LIMIT_GRACE_S:
                    r.timed_out = late = True
                if late:
                    ray.kill(r.worker, no_restart=True)


def _death(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    first = next((line for line in text if line.strip()), type(exc).__name__)
    return f"its Ray actor died ({type(exc).__name__}: {first[:200]})"


def _write_bytes(path: Path, blob: bytes) -> None:
    """Via a temp file and os.replace: a reader never sees half a file."""
    import os

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".incoming")
    tmp.write_bytes(blob)
    os.replace(tmp, path)
