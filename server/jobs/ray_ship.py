"""What a Ray run takes to its node and what it asks Ray for (issue 15). Imports no Ray.

- `remote_job`: the job without a server path in it (the actor gets its files as bytes).
- `dataset_files`: a downloaded or uploaded dataset's files, read once on the server (the
  executor puts them in Ray's object store, cached by name and mtime); built-in datasets
  ship in the package and load by name on every node.
- `resources`: a GPU for a network big enough to profit when one is free, else a CPU.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from server.net.data import downloads, uploaded

SERVER_FIELDS = ("checkpoint_path", "weights_path", "data_dir", "init_weights")


def remote_job(job: dict[str, Any]) -> dict[str, Any]:
    """The job as the actor gets it: every server path left out (the actor fills in its
    own temp files, ray_actor.py)."""
    return {k: v for k, v in job.items() if k not in SERVER_FIELDS}


def read_optional(path: str | None) -> bytes | None:
    if not path:
        return None
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        return None


def dataset_folder(name: str, data_dir: Path) -> Path | None:
    """The folder under data_dir a non-built-in dataset lives in (None: built in)."""
    if name in downloads.SOURCES:
        return downloads.folder(data_dir, name)
    if name.startswith(uploaded.PREFIX):
        return uploaded.root(data_dir) / name.removeprefix(uploaded.PREFIX)
    return None


def dataset_stamp(folder: Path) -> str | None:
    """Name-and-mtime key of a dataset's files (None when it is not there)."""
    if not folder.is_dir():
        return None
    stamps = sorted(
        f"{p.relative_to(folder)}:{p.stat().st_mtime_ns}:{p.stat().st_size}"
        for p in folder.rglob("*")
        if p.is_file()
    )
    return "|".join(stamps) or None


def dataset_files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def param_count(spec: dict[str, Any]) -> int:
    from server.net.core.shapes import infer
    from server.net.core.spec import NetworkSpec

    return infer(NetworkSpec.model_validate(spec)).total_params


def resources(params: int, free_gpus: float, min_params: int) -> tuple[dict[str, float], str]:
    """(Ray's resource request for the actor, the device it trains on): a GPU when the
    network has at least `min_params` parameters and a whole GPU is free."""
    if params >= min_params and free_gpus >= 1:
        return {"num_cpus": 1, "num_gpus": 1}, "cuda"
    return {"num_cpus": 1, "num_gpus": 0}, "cpu"
