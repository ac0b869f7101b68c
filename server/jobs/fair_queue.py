"""The waiting jobs, served round-robin by owner (issue 14).

Each owner (a user id; one shared owner when a job names none) has a FIFO of their own
runs; the owners take turns, in the order they started waiting. A student who queues
twenty runs gets the next slot once per turn, like everyone else, instead of the next
twenty. An owner whose runs are all gone leaves the rotation and joins at the back when
they queue again. Not thread-safe: the executor holds its lock around every call.
"""

from __future__ import annotations

from collections import deque
from typing import Any

DEFAULT_OWNER = "local"  # jobs without job["owner"] (a single-user server) share one turn


def owner_of(job: dict[str, Any]) -> str:
    return str(job.get("owner") or DEFAULT_OWNER)


class FairQueue:
    def __init__(self) -> None:
        self._runs: dict[str, deque[tuple[str, dict[str, Any]]]] = {}  # owner -> FIFO
        self._turns: deque[str] = deque()  # owners with queued runs, next to be served first
        self._owner: dict[str, str] = {}  # run id -> owner

    def __len__(self) -> int:
        return len(self._owner)

    def __contains__(self, run_id: object) -> bool:
        return run_id in self._owner

    def append(self, run_id: str, job: dict[str, Any]) -> None:
        owner = owner_of(job)
        if owner not in self._runs:
            self._runs[owner] = deque()
            self._turns.append(owner)
        self._runs[owner].append((run_id, job))
        self._owner[run_id] = owner

    def popleft(self) -> tuple[str, dict[str, Any]]:
        """The next run: the first of the owner whose turn it is; they go to the back."""
        owner = self._turns.popleft()
        runs = self._runs[owner]
        run_id, job = runs.popleft()
        del self._owner[run_id]
        if runs:
            self._turns.append(owner)
        else:
            del self._runs[owner]
        return run_id, job

    def remove(self, run_id: str) -> bool:
        owner = self._owner.pop(run_id, None)
        if owner is None:
            return False
        runs = self._runs[owner]
        for i, (rid, _) in enumerate(runs):
            if rid == run_id:
                del runs[i]
                break
        if not runs:
            del self._runs[owner]
            self._turns.remove(owner)
        return True

    def position(self, run_id: str) -> int | None:
        """1-based place in the order the runs would start in if nothing else came.

        A run that is k-th among its owner's is served in round k: after every owner's
        first k-1 runs (or all of them, if fewer), and after the k-th runs of the owners
        whose turn comes before its owner's."""
        owner = self._owner.get(run_id)
        if owner is None:
            return None
        k = next(i for i, (rid, _) in enumerate(self._runs[owner]) if rid == run_id)
        mine = self._turns.index(owner)
        before = 0
        for turn, other in enumerate(self._turns):
            if other == owner:
                before += k
            else:
                before += min(len(self._runs[other]), k + 1 if turn < mine else k)
        return before + 1

    def owners(self) -> dict[str, int]:
        """Queued runs per owner."""
        return {owner: len(runs) for owner, runs in self._runs.items()}
