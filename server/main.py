"""create_app(): lifespan, the routers there at once, static frontend; nothing else.

The other routers, the services and the job runner load in the background once the
socket is open (server/loading.py), so this module imports no torch."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from server import loading
from server.api import auth, docs, errors, guard, health
from server.config import Settings
from server.store import Store

FRONTEND = Path(__file__).resolve().parent.parent / "frontend"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        app.state.store = Store(settings.db_path, iter_points=settings.max_run_iter_points)
        app.state.store.snapshot_budget = settings.snapshot_run_bytes  # issue 19
        # Every other router, the services and the runner load after the socket opens.
        app.state.loading = loading.Loading(app, settings)
        try:
            yield
        finally:
            app.state.loading.close()
            app.state.store.close()

    app = FastAPI(
        title="cnnplay", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None
    )
    app.state.settings = settings
    app.state.auth = auth.Auth(settings)  # the teacher's token: settings.token or a random one
    app.include_router(health.router, prefix="/api")  # public; the rest: server/loading.py
    app.include_router(docs.router)  # /docs, /redoc, /favicon.ico: outside /api
    errors.install(app)
    app.add_middleware(loading.Gate, timeout_s=settings.start_wait_s)
    app.add_middleware(auth.TokenExchange)  # ?token= on a page URL -> the cookie
    guard.install(app, settings)
    if FRONTEND.is_dir():
        app.mount("/", StaticFiles(directory=FRONTEND, html=True), name="frontend")
    return app
