"""GET /api/cluster: where training runs, and how busy it is (issue 15).

The configured executor's capacity (server/jobs/executor.py): its nodes with their CPUs
and GPUs, the runs that may train at once, those training now and those waiting. The
Train view shows it beside the queue.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from server.api.runs import RunnerDep

router = APIRouter(tags=["runs"])


@router.get("/cluster")
def cluster(runner: RunnerDep) -> dict[str, Any]:
    """The executor, its nodes (CPUs, GPUs, alive), slots, busy and queued runs."""
    return runner.capacity()
