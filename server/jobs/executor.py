"""The narrow executor interface a training backend serves (local processes now, Ray later).

A job spec is plain JSON-able data: {"spec": NetworkSpec as dict, "config": TrainConfig as
dict, "weights_path": str, "max_params": int}. Nothing in it is a file, socket or lock.
"""

from __future__ import annotations

from typing import Any, Protocol


class QueueFull(RuntimeError):
    """max_queued_jobs runs are already waiting."""


class Executor(Protocol):
    def start(self) -> None: ...

    def stop(self) -> None: ...

    def submit(self, job: dict[str, Any]) -> str:
        """Queue a job; returns its run id (raises QueueFull)."""
        ...

    def cancel(self, run_id: str) -> bool:
        """Stop a queued or running job; False when it had already finished."""
        ...

    def position(self, run_id: str) -> int | None:
        """1-based place in the queue, None when not queued."""
        ...

    def events(self, run_id: str, after: int = 0) -> list[tuple[int, dict[str, Any]]]:
        """(seq, event) pairs with seq > after."""
        ...

    def status(self, run_id: str) -> str: ...
