"""server/loading.py: health answers before torch is imported; a request for the rest
waits for it; a failed or slow load is a 503 that says why, and the server stays up."""

from __future__ import annotations

import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from server import loading
from server.config import Settings
from tests.clients import open_client

ROOT = Path(__file__).resolve().parent.parent


def test_the_app_imports_no_torch_until_it_loads() -> None:
    code = (
        "import sys; from server.main import create_app; create_app(); "
        "assert 'torch' not in sys.modules, 'torch was imported'"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def test_health_answers_while_loading_and_a_request_waits_for_it(
    settings: Settings, held: threading.Event
) -> None:
    with open_client(settings, loaded=False) as client, ThreadPoolExecutor(1) as pool:
        r = client.get("/api/health")
        assert r.status_code == 200 and r.json()["ready"] is False
        waiting = pool.submit(client.get, "/api/zoo")
        assert not waiting.done()
        held.set()
        r = waiting.result(timeout=60)
        assert r.status_code == 200 and isinstance(r.json(), list)  # the zoo, not a 404
        assert client.get("/api/health").json()["ready"] is True
        doc = client.get("/openapi.json").json()  # made after loading: every route
        assert "/api/runs" in doc["paths"]


def test_a_request_past_start_wait_s_is_a_503_naming_it(
    settings: Settings, held: threading.Event
) -> None:
    impatient = settings.model_copy(update={"start_wait_s": 0.2})
    with open_client(impatient, loaded=False) as client:
        r = client.get("/api/zoo")
        assert r.status_code == 503 and "start_wait_s" in r.json()["detail"]
        held.set()
        loading.wait_loaded(client.app)  # type: ignore[arg-type]
        assert client.get("/api/zoo").status_code == 200


def test_a_failed_load_is_a_503_and_health_says_why(settings: Settings, broken_load: str) -> None:
    with open_client(settings, loaded=False) as client:
        with pytest.raises(RuntimeError, match=broken_load):
            loading.wait_loaded(client.app)  # type: ignore[arg-type]
        r = client.get("/api/zoo")
        assert r.status_code == 503 and "failed to start" in r.json()["detail"]
        assert broken_load in r.json()["detail"]
        health = client.get("/api/health")
        assert health.status_code == 503 and health.json()["status"] == "failed"
        assert broken_load in health.json()["detail"]  # what the page's notice shows
        assert client.get("/").status_code == 200  # the page is still served


def test_stopping_while_loading_waits_for_it_and_stops_the_runner(
    settings: Settings, held: threading.Event, monkeypatch: pytest.MonkeyPatch
) -> None:
    from server.jobs import runner

    stopped: list[bool] = []
    real_start = runner.start

    def start(*args: Any) -> Any:
        executor = real_start(*args)
        real_stop = executor.stop
        executor.stop = lambda: (stopped.append(True), real_stop())[1]  # type: ignore[method-assign]
        return executor

    monkeypatch.setattr(runner, "start", start)
    with open_client(settings, loaded=False) as client:
        app = client.app
        threading.Timer(0.3, held.set).start()  # loading goes on while the app stops
    assert app.state.loading.ready()  # type: ignore[attr-defined]
    assert stopped == [True]


def test_what_loading_started_outlives_the_loading(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process started while loading, with a parent-death signal (as Ray's own are), is
    still alive once loading is done: Linux sends that signal when the forking thread ends."""
    import time

    from server.jobs import lifeline, runner

    children: list[subprocess.Popen[bytes]] = []
    real_start = runner.start

    def start(*args: Any) -> Any:
        child = subprocess.Popen(["sleep", "60"], preexec_fn=lifeline.set_death_signal)
        children.append(child)
        return real_start(*args)

    monkeypatch.setattr(runner, "start", start)
    try:
        with open_client(settings):
            time.sleep(0.5)  # the signal would have come by now
            assert children[0].poll() is None, "the child died with the loading thread"
    finally:
        children[0].kill()
        children[0].wait()
