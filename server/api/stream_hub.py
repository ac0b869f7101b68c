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
import bisect
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
    # The run's latest events, read once per change for every stream that has caught up:
    # `tail` holds every event stored with seq > `tail_after` when a read that began at
    # `read_version` ended (rows thinned since may still be in it: live points are fine).
    tail: list[tuple[int, str]] = field(default_factory=list)
    tail_after: int | None = None  # None: nothing read yet
    read_version: int = -1  # -1: read again (a heartbeat passed: another process may write)
    status: str | None = None
    refreshing: asyncio.Future[None] | None = None


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
        """The run's status and its events after `after`, as stored once `version` (or a
        later one) was committed. A stream that has caught up is answered from the run's
        tail, read once per change for all of its streams; one further behind reads its
        page itself (shared with any stream at the same place)."""
        run = self.runs[run_id]
        while run.tail_after is None or run.read_version < version:
            if run.refreshing is None:
                start = after if run.tail_after is None else None
                run.refreshing = asyncio.ensure_future(self._refresh(store, run_id, run, start))
            await asyncio.shield(run.refreshing)
        if after >= run.tail_after:
            i = bisect.bisect_right(run.tail, after, key=lambda r: r[0])
            return run.status, run.tail[i : i + PAGE]
        return await self._shared_page(store, run_id, after, version)

    async def _refresh(self, store: Store, run_id: str, run: _Run, start: int | None) -> None:
        """Read what is new since the tail (from `start` the first time), page by page,
        and keep the last PAGE rows."""
        try:
            read_version = run.version
            after = (
                start if start is not None else (run.tail[-1][0] if run.tail else run.tail_after)
            )
            assert after is not None
            status, rows = await self.read(store.stream_page, run_id, after, PAGE)
            tail = [*run.tail, *rows] if start is None else rows
            tail_after = after if start is not None else run.tail_after
            while len(rows) == PAGE:  # more than a page since: read on to the end
                _, rows = await self.read(store.stream_page, run_id, tail[-1][0], PAGE)
                tail += rows
            if len(tail) > PAGE:
                tail_after, tail = tail[-PAGE - 1][0], tail[-PAGE:]
            run.tail, run.tail_after, run.status = tail, tail_after, status
            run.read_version = read_version
        finally:
            run.refreshing = None

    async def _shared_page(self, store: Store, run_id: str, after: int, version: int) -> Page:
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
