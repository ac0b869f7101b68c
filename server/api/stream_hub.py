"""What the event streams of one app share (issue 13): how many are open (per client and
in all), a wake-up per run when the store commits a change to it, and store reads that
run on a few threads of their own.

A stream never holds a thread while it waits: it awaits `wait()`, which the store's
writer (the job dispatcher's thread) ends through `loop.call_soon_threadsafe` right after
its commit. Each wake-up costs one short SQLite read on a thread limited to
`Settings.stream_read_threads`, so streams can never fill the thread pool that plain
`def` endpoints (health, shapes, ...) run on; streams of the same run at the same place
share that read.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

import anyio
from fastapi import FastAPI, HTTPException

from server.config import Settings
from server.store import Store

T = TypeVar("T")
PAGE = 1000  # events per read
Page = tuple[str | None, list[tuple[int, str]]]


@dataclass
class _Run:
    version: int = 0  # bumped on every committed change to the run
    waiters: set[asyncio.Event] = field(default_factory=set)
    streams: int = 0


class StreamHub:
    def __init__(self, store: Store, settings: Settings) -> None:
        self.settings = settings
        self.loop = asyncio.get_running_loop()
        self.limiter = anyio.CapacityLimiter(settings.stream_read_threads)
        self.runs: dict[str, _Run] = {}
        self.open_by: Counter[str] = Counter()
        self.open_total = 0
        self._reads: dict[tuple[str, int, int], asyncio.Future[Page]] = {}
        self.stop_listening = store.run_changes.listen(self._changed)

    # --- open streams, counted --------------------------------------------------

    def open(self, keys: tuple[str, ...]) -> Callable[[], None]:
        """Count a new stream against each key and the total, or 429 naming the limit;
        answers the function that gives its place back (once)."""
        s = self.settings
        if self.open_total >= s.max_streams:
            raise HTTPException(
                429,
                f"the server has {self.open_total} event streams open, its limit "
                f"(CNNPLAY_MAX_STREAMS={s.max_streams}); try again when one has closed",
                headers={"Retry-After": "10"},
            )
        for key in keys:
            if self.open_by[key] >= s.max_streams_per_client:
                raise HTTPException(
                    429,
                    f"{self.open_by[key]} event streams are already open for {key}, the "
                    f"limit per client (CNNPLAY_MAX_STREAMS_PER_CLIENT="
                    f"{s.max_streams_per_client}); close another tab's first",
                    headers={"Retry-After": "10"},
                )
        self.open_total += 1
        self.open_by.update(keys)
        done = False

        def release() -> None:
            nonlocal done
            if not done:
                done = True
                self.open_total -= 1
                self.open_by.subtract(keys)
                for key in keys:
                    if self.open_by[key] <= 0:
                        del self.open_by[key]

        return release

    # --- waking up on changes -----------------------------------------------------

    def watch(self, run_id: str) -> _Run:
        run = self.runs.setdefault(run_id, _Run())
        run.streams += 1
        return run

    def unwatch(self, run_id: str) -> None:
        run = self.runs.get(run_id)
        if run is not None:
            run.streams -= 1
            if run.streams <= 0:
                del self.runs[run_id]

    def _changed(self, run_id: str) -> None:
        """On the writer's thread, after its commit: wake that run's streams."""
        if run_id in self.runs:
            self.loop.call_soon_threadsafe(self._bump, run_id)  # raises once the loop closed

    def _bump(self, run_id: str) -> None:
        run = self.runs.get(run_id)
        if run is not None:
            run.version += 1
            for waiter in run.waiters:
                waiter.set()

    async def wait(self, run: _Run, version: int, timeout: float) -> bool:
        """True once the run has changed since `version`; False after `timeout` seconds."""
        if run.version != version:
            return True
        waiter = asyncio.Event()
        run.waiters.add(waiter)
        try:
            with anyio.move_on_after(timeout):
                await waiter.wait()
        finally:
            run.waiters.discard(waiter)
        return run.version != version

    # --- store reads on the streams' own threads ------------------------------------

    async def read(self, fn: Callable[..., T], *args: Any) -> T:
        return await anyio.to_thread.run_sync(partial(fn, *args), limiter=self.limiter)

    async def page(self, store: Store, run_id: str, after: int, version: int) -> Page:
        """store.stream_page(run_id, after): one read for every stream that asks for the
        same page of the same version of the run (it started after that version's
        commit, so each of them sees everything it waited for)."""
        key = (run_id, after, version)
        future = self._reads.get(key)
        if future is None:
            future = asyncio.ensure_future(self.read(store.stream_page, run_id, after, PAGE))
            self._reads[key] = future
            future.add_done_callback(partial(self._read_done, key))
        return await asyncio.shield(future)  # one stream leaving does not cancel the others'

    def _read_done(self, key: tuple[str, int, int], future: asyncio.Future[Page]) -> None:
        self._reads.pop(key, None)
        if not future.cancelled():
            future.exception()  # retrieved: every waiter that is still there re-raises it


def hub(app: FastAPI) -> StreamHub:
    """The app's hub, made on the first stream (on the running event loop)."""
    current: StreamHub | None = getattr(app.state, "stream_hub", None)
    if current is None or current.loop is not asyncio.get_running_loop():
        if current is not None:  # the app runs under a new loop (a second test client)
            current.stop_listening()
        current = StreamHub(app.state.store, app.state.settings)
        app.state.stream_hub = current
    return current
