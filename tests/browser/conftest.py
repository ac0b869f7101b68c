"""A live server on a free port and Debian's Chromium driven by Playwright.

Sign-in (issue 14): every test server takes TOKEN as the teacher's token, and every
browser context starts with the sign-in cookie for 127.0.0.1 (cookies ignore the
port), so tests see the app as a signed-in teacher. `anonymous(context)` takes the
cookie away again for tests of signing in.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect, sync_playwright

from server.api.auth import COOKIE
from server.config import Settings
from server.loading import wait_loaded
from server.main import create_app

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# CI machines are small and shared: wait longer than Playwright's 5 s before failing.
expect.set_options(timeout=15_000)
SHOTS = Path(__file__).resolve().parents[2] / "screenshots"
TOKEN = "browser-tests-teacher-token-0123456789abcdef"  # every test server's teacher


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve(settings: Settings, loaded: bool = True) -> Iterator[str]:
    """create_app(settings) under uvicorn in a thread, on settings.port; yields its URL
    once it has loaded (server/loading.py), or as soon as it listens if not `loaded`."""
    app = create_app(settings)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=settings.port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    if loaded:
        wait_loaded(app)
    try:
        yield f"http://127.0.0.1:{settings.port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def fresh_settings(tmp_path_factory: pytest.TempPathFactory, name: str) -> Settings:
    """Settings for a server of a test module's own: an empty data dir, a free port."""
    # One warm worker, not the default two: most test servers never train, and each warm
    # worker is an interpreter importing torch on the test machine's cores.
    return Settings(
        data_dir=tmp_path_factory.mktemp(name), port=_free_port(), token=TOKEN, warm_workers=1
    )


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve(fresh_settings(tmp_path_factory, "data")) as url:
        yield url


def sign_in(context: BrowserContext, token: str = TOKEN) -> BrowserContext:
    """Give the context the cookie that `GET /?token=` sets, for every test server."""
    context.add_cookies(
        [
            {
                "name": COOKIE,
                "value": token,
                "domain": "127.0.0.1",
                "path": "/",
                "httpOnly": True,
                "sameSite": "Strict",
            }
        ]
    )
    return context


def anonymous(context: BrowserContext) -> BrowserContext:
    """The context without any sign-in cookie."""
    context.clear_cookies()
    return context


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        plain_new_context = b.new_context

        def signed_in_context(*args: object, **kwargs: object) -> BrowserContext:
            return sign_in(plain_new_context(*args, **kwargs))  # type: ignore[arg-type]

        b.new_context = signed_in_context  # type: ignore[method-assign]
        yield b
        b.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    yield pg
    context.close()
    assert not errors, f"uncaught errors in the page: {errors}"


def shot(page: Page, name: str) -> Path:
    """Save a screenshot under screenshots/ (git-ignored) to look at."""
    SHOTS.mkdir(exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def shorten_runs(page: Page, train_limit: int = 48) -> None:
    """Runs the page starts train on `train_limit` images (the form has no such field):
    the start request is rewritten on its way to the server."""

    def shorten(route: Route) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        body = json.loads(route.request.post_data or "{}")
        body["config"]["train_limit"] = train_limit
        route.continue_(post_data=json.dumps(body))

    page.route("**/api/runs", shorten)
