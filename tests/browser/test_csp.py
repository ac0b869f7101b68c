"""The Content-Security-Policy (issue 13) blocks nothing the app or the docs use: every
view and both docs pages load without a single CSP violation."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import shot

pytestmark = pytest.mark.browser
VIEWS = ["design", "conv", "features", "train", "learn"]


def _violations(page: Page) -> list[str]:
    found: list[str] = []

    def note(message) -> None:  # type: ignore[no-untyped-def]
        text = message.text
        if "Content Security Policy" in text or "Refused to" in text:
            found.append(text)

    page.on("console", note)
    return found


def test_every_view_runs_under_the_policy(live_server: str, page: Page) -> None:
    found = _violations(page)
    response = page.goto(f"{live_server}/#design")
    assert response is not None
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    for view in VIEWS:
        page.goto(f"{live_server}/#{view}")
        expect(page.locator("main")).to_be_visible()
        page.wait_for_load_state("networkidle")
    shot(page, "csp_learn")
    page.goto(f"{live_server}/#conv")
    page.wait_for_load_state("networkidle")
    shot(page, "csp_conv")
    assert not found, found


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_the_docs_pages_run_under_the_policy(live_server: str, page: Page, path: str) -> None:
    found = _violations(page)
    page.goto(f"{live_server}{path}")
    page.wait_for_load_state("networkidle")
    expect(page.get_by_text("/api/shapes").first).to_be_visible(timeout=30_000)
    shot(page, f"csp{path.replace('/', '_')}")
    assert not found, found
