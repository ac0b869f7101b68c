"""What runs inside a worker process: one training job, events out through a queue.

Top-level and import-light so the "spawn" start method can find it; it receives only
plain data, a multiprocessing Queue and an Event.
"""

from __future__ import annotations

import os
import traceback
from pathlib import Path
from typing import Any


def save_weights(module: Any, path: Path) -> None:
    """safetensors via a temp file and os.replace: a reader never sees half a file."""
    from safetensors.torch import save_file

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    state = {k: v.detach().contiguous() for k, v in module.state_dict().items()}
    save_file(state, str(tmp))
    os.replace(tmp, path)


def run_job(run_id: str, job: dict[str, Any], events: Any, stop: Any) -> None:
    import torch

    from server.net.spec import NetworkSpec
    from server.net.train import TrainConfig, train

    torch.set_num_threads(1)  # the machine is shared: one core per job
    try:
        spec = NetworkSpec.model_validate(job["spec"])
        config = TrainConfig.model_validate(job["config"])
        result = train(
            spec,
            config,
            lambda event: events.put((run_id, event)),
            stop.is_set,
            max_params=job.get("max_params"),
        )
        end: dict[str, Any] = {
            "kind": "end",
            "status": result.status,
            "message": result.message,
            "metrics": result.metrics or None,
            "weights_path": None,
        }
        if result.status == "done" and result.module is not None:
            save_weights(result.module, Path(job["weights_path"]))
            end["weights_path"] = job["weights_path"]
    except Exception as exc:  # the run fails; the dispatcher records why
        traceback.print_exc()
        end = {"kind": "end", "status": "failed", "message": f"{type(exc).__name__}: {exc}"}
    events.put((run_id, end))
