"""The server starts in two steps (issue 20: cold start to /api/health).

When the socket opens, the app holds what `/api/health`, the docs pages and the frontend's
files need, and none of it imports torch. Everything else, torch with every other router,
the core services (networks, feature maps) and the job runner, is loaded by `Loading` in a
background thread that the lifespan starts. A request for any other /api route (or the
OpenAPI document) that arrives meanwhile waits for it in `Gate`, so nobody sees a 404 or a
half-made app; if loading fails, those requests get a 503 that names the error, and the
server stays up to say so. `python -c "import server.main"` imports no torch
(tests/test_loading.py checks it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from typing import Any

from fastapi import APIRouter, Depends, FastAPI
from starlette.responses import JSONResponse
from starlette.routing import Mount
from starlette.types import ASGIApp, Receive, Scope, Send

from server.api import auth, errors
from server.config import Settings

log = logging.getLogger("cnnplay")
WAITING = ("/api/", "/openapi.json")  # paths whose routes may not be there yet
THERE_AT_ONCE = ("/api/health",)


def routers() -> tuple[list[APIRouter], list[APIRouter]]:
    """(public, signed-in) routers of the loaded step; importing them imports torch."""
    from server.api import (
        cluster,
        convolve,
        datasets,
        export,
        features,
        images,
        layers,
        learning,
        networks,
        pretrained,
        run_events,
        runs,
        segmentation,
        shapes,
        sharing,
        train_rules,
        users,
        weights,
        zoo,
    )

    signed_in = [  # behind the auth dependency: a router added here is signed-in only
        layers.router,
        shapes.router,
        zoo.router,
        networks.router,
        export.router,
        images.router,
        convolve.router,
        features.router,
        runs.router,
        segmentation.router,  # issue 16: GET /api/runs/{id}/worst_iou
        run_events.router,
        datasets.router,
        learning.router,
        pretrained.router,  # before weights: /api/weights/usage is not a weights id
        weights.router,
        train_rules.router,
        cluster.router,
        users.router,
        sharing.router,
    ]
    return [users.public], signed_in  # public: no token needed (issue 14)


class Loading:
    """The loaded step, running from construction (in the lifespan) in its own thread.
    `ready()`: loaded; `error`: why loading failed (None while loading or once loaded)."""

    def __init__(self, app: FastAPI, settings: Settings) -> None:
        self.app, self.settings = app, settings
        self.error: str | None = None
        self.done = threading.Event()
        self._loop = asyncio.get_running_loop()
        self._finished = asyncio.Event()  # the loop's view of `done`
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cnnplay-loading", daemon=True)
        self._thread.start()

    def ready(self) -> bool:
        return self.done.is_set() and self.error is None

    async def wait(self, timeout_s: float) -> bool:
        """In the event loop: until loaded (True), failed or past `timeout_s` (False)."""
        if not self.done.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._finished.wait(), timeout_s)
        return self.ready()

    def why(self) -> str:
        if self.error is not None:
            return f"the server failed to start: {self.error}"
        return (
            f"the server is still starting after {self.settings.start_wait_s:g} s "
            "(start_wait_s); try again in a moment"
        )

    def close(self) -> None:
        """At shutdown: let a load in progress finish, then stop what it started (in the
        loading thread, see `_run`)."""
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        self._load()
        # This thread outlives what it started: Linux sends a child's parent-death signal
        # when the *thread* that forked it ends, and Ray's own processes (ray.init in the
        # Ray executor) ask for one. So it waits here, without CPU, until shutdown.
        self._stop.wait()
        state = self.app.state
        if getattr(state, "runner", None) is not None:
            state.runner.stop()
        if self.ready():
            from server.api import pretrained

            pretrained.stop(self.app)

    def _load(self) -> None:
        try:
            public, signed_in = routers()
            from server.api import images, services
            from server.jobs import runner
            from server.net.core import warmup

            state, settings = self.app.state, self.settings
            state.images = images.ImageStore(
                settings.max_images, settings.image_store_bytes, settings.max_user_images
            )
            state.networks = services.make_networks(settings, state.store)
            state.feature_maps = services.make_feature_maps(settings)
            state.runner = runner.start(settings, state.store)
            _install(self.app, public, signed_in)
            warmup.start_in_background()  # torch._dynamo and gc.freeze (issue 20)
        except Exception as exc:  # noqa: BLE001 - the server stays up to say what failed
            log.exception("cnnplay: loading the server failed")
            self.error = f"{type(exc).__name__}: {exc}"
        finally:
            self.done.set()
            with contextlib.suppress(RuntimeError):  # the loop has closed: nobody waits
                self._loop.call_soon_threadsafe(self._finished.set)


def _install(app: FastAPI, public: list[APIRouter], signed_in: list[APIRouter]) -> None:
    """The routers' routes into the app, before its two catch-alls (errors.py's /api route
    for a 404 or 405 that names the path, the frontend's mount), in one step (a slice
    assignment: a request sees all of them or none)."""
    staged = APIRouter(dependency_overrides_provider=app)
    for router in public:
        staged.include_router(router, prefix="/api")
    for router in signed_in:
        staged.include_router(router, prefix="/api", dependencies=[Depends(auth.require_user)])
    routes = app.router.routes
    at = next((i for i, r in enumerate(routes) if _catches_all(r)), len(routes))
    routes[at:at] = staged.routes
    app.openapi_schema = None  # made again, with every route, when next asked for


def _catches_all(route: Any) -> bool:
    return getattr(route, "path", None) == errors.CATCH_ALL or (
        isinstance(route, Mount) and route.path == ""
    )


def waits(path: str) -> bool:
    return path.startswith(WAITING) and path not in THERE_AT_ONCE


class Gate:
    """ASGI middleware: a request for a route of the loaded step waits for it (at most
    Settings.start_wait_s, then a 503 naming why)."""

    def __init__(self, app: ASGIApp, timeout_s: float) -> None:
        self.app, self.timeout_s = app, timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and waits(scope["path"]):
            loading: Loading | None = getattr(scope["app"].state, "loading", None)
            failed = loading is not None and not await loading.wait(self.timeout_s)
            if failed and scope["type"] == "http":  # a websocket is refused by its route
                await JSONResponse({"detail": loading.why()}, 503)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def wait_loaded(app: FastAPI, timeout_s: float = 120.0) -> None:
    """Block (outside the event loop) until the app's loaded step has finished; raise if
    it failed. For clients that use app.state's services directly (tests, benchmarks)."""
    loading: Loading | None = getattr(app.state, "loading", None)
    if loading is None:
        return  # no lifespan has run
    if not loading.done.wait(timeout_s):
        raise TimeoutError(f"the app was not loaded within {timeout_s:g} s")
    if loading.error is not None:
        raise RuntimeError(loading.why())


def describe(app: FastAPI) -> dict[str, Any]:
    """For /api/health: whether the loaded step is there, and why not if it failed."""
    loading: Loading | None = getattr(app.state, "loading", None)
    if loading is None:
        return {"ready": False}
    out: dict[str, Any] = {"ready": loading.ready()}
    if loading.error is not None:
        out["error"] = loading.why()
    return out
