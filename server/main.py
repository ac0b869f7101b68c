"""create_app(): lifespan, routers, static frontend; nothing else."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles

from server.api import (
    auth,
    cluster,
    convolve,
    datasets,
    docs,
    errors,
    export,
    features,
    guard,
    health,
    images,
    layers,
    learning,
    networks,
    pretrained,
    run_events,
    runs,
    segmentation,
    services,
    shapes,
    sharing,
    train_rules,
    users,
    weights,
    zoo,
)
from server.config import Settings
from server.jobs import runner
from server.net.core import warmup
from server.store import Store

FRONTEND = Path(__file__).resolve().parent.parent / "frontend"
PUBLIC_ROUTERS = [health.router, users.public]  # no token needed (issue 14)
ROUTERS = [  # behind the auth dependency: a router added here is signed-in only
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


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        app.state.store = Store(settings.db_path, iter_points=settings.max_run_iter_points)
        app.state.store.snapshot_budget = settings.snapshot_run_bytes  # issue 19
        app.state.networks = services.make_networks(settings, app.state.store)
        app.state.feature_maps = services.make_feature_maps(settings)
        app.state.runner = runner.start(settings, app.state.store)
        warmup.start_in_background()  # torch._dynamo and gc.freeze, off the start (issue 20)
        try:
            yield
        finally:
            app.state.runner.stop()
            pretrained.stop(app)
            app.state.store.close()

    app = FastAPI(
        title="cnnplay", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None
    )
    app.state.settings = settings
    app.state.auth = auth.Auth(settings)  # the teacher's token: settings.token or a random one
    app.state.images = images.ImageStore(
        settings.max_images, settings.image_store_bytes, settings.max_user_images
    )
    for router in PUBLIC_ROUTERS:
        app.include_router(router, prefix="/api")
    for router in ROUTERS:
        app.include_router(router, prefix="/api", dependencies=[Depends(auth.require_user)])
    app.include_router(docs.router)  # /docs, /redoc, /favicon.ico: outside /api
    errors.install(app)
    app.add_middleware(auth.TokenExchange)  # ?token= on a page URL -> the cookie
    guard.install(app, settings)
    if FRONTEND.is_dir():
        app.mount("/", StaticFiles(directory=FRONTEND, html=True), name="frontend")
    return app
