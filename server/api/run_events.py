"""GET /api/runs/{run_id}/events: a run's events as Server-Sent Events (issues 6, 13).

Every stored event after `Last-Event-ID` (or `?after=`) with `id:` = its seq, then new
ones as the dispatcher commits them, then `event: end` with the run's status once it has
stopped (done, failed, cancelled, diverged, paused: a resumed run is followed from its
seq) or was deleted. Old iteration points may have been thinned (server/store/events.py):
before an event that follows such a gap the stream sends `event: thinned` with
`{"first", "last"}`, the seqs that are gone, so a resumed stream never meets a gap it
cannot explain. When nothing came for `stream_heartbeat_s` it sends an SSE comment, so
that proxies keep the connection and a client that went away is noticed.

Streams are counted per client and in all (429 past CNNPLAY_MAX_STREAMS_PER_CLIENT or
CNNPLAY_MAX_STREAMS); a stream waits without holding a thread (server/api/stream_hub.py)
and ends when its client disconnects.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from functools import lru_cache
from typing import Annotated
from urllib.parse import urlsplit

import anyio
from fastapi import APIRouter, Header, HTTPException, Request
from fastapi.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from server.api.deps import SettingsDep, StoreDep
from server.api.stream_hub import PAGE, StreamHub, hub
from server.store import STOPPED, NotFound, Store

router = APIRouter(tags=["runs"])
HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
SSE_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {"content": {"text/event-stream": {}}, "description": "the run's events"},
    403: {"description": "a foreign Origin"},
    404: {"description": "no such run"},
    422: {"description": "Last-Event-ID (or after) is not an integer"},
    429: {"description": "too many event streams open (per client or in all)"},
}


def stream_keys(request: Request) -> tuple[str, ...]:
    """Who a stream counts against for CNNPLAY_MAX_STREAMS_PER_CLIENT: its client address
    (issue 13); the signed-in user joins the keys once requests carry one (issue 14)."""
    host = request.client.host if request.client else "unknown"
    return (f"client {host}",)


def _same_origin(request: Request) -> None:
    """A foreign page may not read a run's events, whatever its Accept header says."""
    origin = request.headers.get("origin")
    if origin and urlsplit(origin).netloc != request.headers.get("host", ""):
        raise HTTPException(403, f"requests from {origin[:200]} are not allowed")


def _resume_point(last_event_id: str | None, after: int | None) -> int:
    for value in (last_event_id, after):
        if value is not None:
            try:
                return max(0, int(value))
            except ValueError:
                raise HTTPException(422, "Last-Event-ID must be an integer seq") from None
    return 0


class EventStream(StreamingResponse):
    """A StreamingResponse that gives its place among the open streams back however it
    ends: finished, the client gone, the server stopping."""

    media_type = "text/event-stream"

    def __init__(self, content: AsyncIterator[str | bytes], release: Callable[[], None]) -> None:
        super().__init__(content, media_type="text/event-stream", headers=HEADERS)
        self.release = release

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.release()


@lru_cache(maxsize=8192)
def _sse(seq: int, text: str) -> bytes:
    """One stored event as SSE bytes, made once for all the streams that send it (the
    tail's rows are the same str objects for each, so their hash is computed once too)."""
    return f"id: {seq}\ndata: {text}\n\n".encode()


def _message(name: str, data: object) -> str:
    return f"event: {name}\ndata: {json.dumps(data)}\n\n"


async def _follow(
    streams: StreamHub, store: Store, run_id: str, seq: int, heartbeat_s: float, batch_s: float
) -> AsyncIterator[str | bytes]:
    run = streams.watch(run_id)
    try:
        while True:
            version = run.version
            status, rows = await streams.page(store, run_id, seq, version)
            if status is None:  # deleted while someone watched
                yield _message("end", {"status": "deleted"})
                return
            chunk: list[bytes] = []
            for s, text in rows:
                if s > seq + 1:
                    chunk.append(_message("thinned", {"first": seq + 1, "last": s - 1}).encode())
                seq = s
                chunk.append(_sse(s, text))
            if chunk:
                yield b"".join(chunk)  # one write for the page, not one per event
            if len(rows) == PAGE:
                continue  # more to read now
            if status in STOPPED:  # read before the page: nothing can follow it
                yield _message("end", {"status": status})
                return
            if rows:  # what comes next leaves together, at most every stream_batch_s
                await anyio.sleep(batch_s)
            if not await streams.wait(run, version, heartbeat_s):
                yield ": heartbeat\n\n"
                run.read_version = -1  # read the store again: a write nobody announced
    finally:
        streams.unwatch(run_id)


@router.get(
    "/runs/{run_id}/events",
    response_class=EventStream,
    responses=SSE_RESPONSES,
    status_code=200,  # EventStream takes no status_code, so FastAPI cannot read it there
)
async def run_events(
    run_id: str,
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    last_event_id: Annotated[str | None, Header()] = None,
    after: int | None = None,
) -> EventStream:
    """SSE: every stored event after Last-Event-ID (or ?after=), then new ones as they
    arrive; `event: thinned` before a gap that thinning left; a final `event: end`."""
    _same_origin(request)
    streams = hub(request.app)
    try:
        await streams.read(store.get_run, run_id)
    except NotFound:
        raise HTTPException(404, f"no run with id {run_id[:64]!r}") from None
    seq = _resume_point(last_event_id, after)
    release = streams.open(stream_keys(request))
    follow = _follow(
        streams, store, run_id, seq, settings.stream_heartbeat_s, settings.stream_batch_s
    )
    return EventStream(follow, release)
