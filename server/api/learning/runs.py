"""Weights ids as the learning panels accept them: a bare run id means its run."""

from __future__ import annotations

from fastapi import HTTPException

from server.net.weights import library as lib
from server.store import NotFound, Store, valid_id


def weights_id(weights_id: str, store: Store) -> str:
    """A weights id; a bare run id means its run, and a run that has not finished is a
    409 rather than a 404."""
    if valid_id(weights_id):
        try:
            row = store.get_run(weights_id)
        except NotFound:
            raise HTTPException(404, f"no run with id {weights_id!r}") from None
        if row.status != "done":
            raise HTTPException(
                409, f"run {weights_id} is {row.status}; it has weights once it is done"
            )
        weights_id = lib.RUN_PREFIX + weights_id
    return weights_id
