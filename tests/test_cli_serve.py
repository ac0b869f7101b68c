"""`cnnplay serve` and sign-in (issue 14): the token, the printed address, the browser."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from server import cli


@pytest.fixture
def no_server(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """uvicorn's Server.run and the browser replaced by recorders: nothing starts, nothing
    opens (serve runs uvicorn.Server with the limits of server/serve_limits.py)."""
    seen: dict[str, Any] = {"opened": []}
    import uvicorn

    def record(server: uvicorn.Server) -> None:
        seen.update(app=server.config.app, host=server.config.host)

    monkeypatch.setattr(uvicorn.Server, "run", record)
    monkeypatch.setattr(cli, "_open_when_up", lambda url, port: seen["opened"].append(url))
    return seen


def test_serve_makes_a_token_prints_the_address_and_opens_it(
    tmp_path: Path,
    no_server: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CNNPLAY_TOKEN", raising=False)
    assert cli.main(["serve", "--data-dir", str(tmp_path), "--port", "8123"]) == 0
    token = no_server["app"].state.auth.token
    url = f"http://127.0.0.1:8123/?token={token}"
    assert url in capsys.readouterr().out and len(token) >= 43
    assert no_server["opened"] == [url]


def test_no_browser_opens_none_and_an_exposed_server_says_where_students_join(
    tmp_path: Path, no_server: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["serve", "--data-dir", str(tmp_path), "--host", "0.0.0.0", "--no-browser"]
    assert cli.main(argv) == 0
    assert no_server["opened"] == [] and no_server["host"] == "0.0.0.0"
    assert ":8000/join" in capsys.readouterr().out


def test_cnnplay_token_is_kept(
    tmp_path: Path, no_server: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CNNPLAY_TOKEN", "a-teachers-own-token-that-is-long-enough")
    assert cli.main(["serve", "--data-dir", str(tmp_path), "--no-browser"]) == 0
    assert no_server["app"].state.auth.token == "a-teachers-own-token-that-is-long-enough"
